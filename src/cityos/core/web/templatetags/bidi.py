"""Names people typed, shown isolated from the text around them.

A name in a right-to-left script, or one holding bidi controls typed before the forms removed
them (``core.inputs.clean_text``), would otherwise reorder the words of the sentence it sits in:
``{% blocktranslate with venue=venue.name|bdi %}Check in at {{ venue }}{% endblocktranslate %}``.
In HTML the name is wrapped in ``<bdi>``; in plain text (a page's ``<title>``, an attribute) it is
put between the Unicode isolates FSI and PDI, which close whatever the name left open."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


@register.filter
def bdi(value: Any) -> SafeString:
    """``<bdi>name</bdi>``, the name escaped; the translated sentence stays as translators wrote it."""
    return format_html("<bdi>{}</bdi>", "" if value is None else value)


@register.filter
def isolate(value: Any) -> str:
    """The name between FSI and PDI, for text that is no HTML (it is escaped as usual)."""
    return f"{FIRST_STRONG_ISOLATE}{'' if value is None else value}{POP_DIRECTIONAL_ISOLATE}"
