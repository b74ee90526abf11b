"""Template filters of the monitoring pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from cityos.monitoring.meanings import species_labels

register = template.Library()


@register.filter
def get_status(labels: Mapping[str, Any], key: str) -> Any:
    """``labels|get_status:key``: a dictionary lookup by a variable key."""
    return labels.get(key, key)


@register.filter
def species(code: str) -> Any:
    """``code|species``: a trap's animal in the reader's language (as sent if unknown)."""
    return species_labels().get((code or "").strip().lower(), code)


@register.filter
def get_item(values: Mapping[str, Any], key: str) -> Any:
    return values.get(key)
