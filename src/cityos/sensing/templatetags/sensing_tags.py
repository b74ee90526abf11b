"""Template filters of the sensing pages."""

from __future__ import annotations

from django import template

from cityos.sensing.labels import kind_label as _kind_label

register = template.Library()


@register.filter
def kind_label(code: str) -> str:
    """``thing.kind|kind_label``: a device kind in the reader's language (as stored if unknown)."""
    return _kind_label(code) if code else code
