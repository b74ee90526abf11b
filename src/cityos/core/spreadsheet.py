"""CSV cells that a spreadsheet shows as text, never runs: a cell that starts like a formula
(``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe (OWASP's
advice against CSV injection). Numbers stay numbers, so a negative value is still a value."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.utils import translation

Row = TypeVar("Row")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def in_request_language(rows: Iterable[Row]) -> Iterator[Row]:
    """``rows`` produced in the language active now. A streamed CSV is written after its view has
    returned, in a thread that may no longer have the request's language (ASGI), so translated
    cells (names of kinds, states) would come out in the default language."""
    language = translation.get_language()

    def produce() -> Iterator[Row]:
        with translation.override(language):
            yield from rows

    return produce()
