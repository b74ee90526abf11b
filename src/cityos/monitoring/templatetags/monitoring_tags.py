"""Template filters of the monitoring pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_status(labels: Mapping[str, Any], key: str) -> Any:
    """``labels|get_status:key``: a dictionary lookup by a variable key."""
    return labels.get(key, key)


@register.filter
def get_item(values: Mapping[str, Any], key: str) -> Any:
    return values.get(key)
