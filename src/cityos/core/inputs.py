"""Input that Python or PostgreSQL cannot hold, found before it reaches a query: NUL characters
(PostgreSQL text cannot store them) in decoded JSON and in query strings. And the cleaning of
free text people type (:func:`clean_text`), which the forms' ``TextField`` and the API's ``Text``
apply."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest

JSON_NUL_ESCAPE = b"\\u0000"  # how JSON writes a NUL character: a body without it has none

# The bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069). A name holding
# one reverses or reorders the text shown after it (the words of a page's sentence around it), and
# no one types them meaning to. The marks U+200E and U+200F change no other text: they are kept.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str) -> str:
    """Free text as typed (a name, an address, a note), without the bidi controls."""
    return BIDI_CONTROLS.sub("", value)


def nul_path(value: Any, path: str = "") -> str | None:
    """Where in decoded JSON a NUL character is (in a key or a text), as ``path.key.0`` (the
    API's field names); None if nowhere. A loop, not recursion: JSON may be nested as deep as
    its parser allows."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return at
        elif isinstance(item, dict):
            for key, inner in reversed(list(item.items())):
                if "\x00" in key:
                    return f"{at}.{key.replace(chr(0), '')}"
                stack.append((inner, f"{at}.{key}"))
        elif isinstance(item, list):
            stack.extend((inner, f"{at}.{index}") for index, inner in reversed(list(enumerate(item))))
    return None


def query_nul_key(request: HttpRequest) -> str | None:
    """The query parameter whose name or value holds a NUL character (its name without it)."""
    if "%00" not in request.META.get("QUERY_STRING", ""):
        return None  # a NUL can only arrive percent-encoded
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return key.replace("\x00", "")
    return None
