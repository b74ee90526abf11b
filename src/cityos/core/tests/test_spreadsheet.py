"""CSV cells a spreadsheet shows as text and never runs."""

from __future__ import annotations

import pytest

from cityos.core.spreadsheet import safe_cell


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1+cmd", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_starts_like_a_formula_gets_a_leading_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_plain_text_numbers_and_nothing_stay_as_they_are() -> None:
    assert [safe_cell(v) for v in ("Bags on the ground", -73.9, 0, None, True)] == [
        "Bags on the ground",
        -73.9,
        0,
        "",
        "True",
    ]
