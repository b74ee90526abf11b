"""Pieces every server-rendered SVG chart shares, so charts of all modules read alike to a
screen reader (role="img", a title and a description) and round their axes alike."""

from __future__ import annotations

import math

from django.utils.html import format_html
from django.utils.safestring import SafeString


def chart_start(
    chart_id: str, title: str, description: str, width: int, height: int, *, css_class: str = "chart"
) -> SafeString:
    """The opening <svg> of a chart, named by its title and described by its description."""
    return format_html(
        '<svg class="{}" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        css_class,
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
    )


def _power_of_ten_below(value: float) -> int:
    """The exponent of the largest power of ten at or below ``value`` (> 0)."""
    return math.floor(math.log10(value))


def nice_max(value: float, steps: tuple[float, ...] = (1, 2, 2.5, 5, 10)) -> float:
    """The top of an axis from zero: the smallest round number (1, 2, 2.5 or 5 times a power of
    ten) at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** _power_of_ten_below(value)
    for step in steps:
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def nice_bounds(low: float, high: float) -> tuple[float, float]:
    """The ends of an axis that shows ``low`` to ``high`` (any sign), rounded outward to a
    multiple of the largest power of ten within the span: 3.2 to 7.9 gives 3 to 8, 1012 to 1031
    gives 1010 to 1040. Equal ends get a tenth of their size (or 1) either side, so a flat line
    sits in the middle."""
    if math.isclose(low, high):
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    exponent = _power_of_ten_below(abs(high - low))
    step = 10.0**exponent
    # A hair of tolerance and rounding keep float noise out: 0.3 stays 0.3 although 0.3 / 0.1 < 3.
    digits = max(0, -exponent)
    bottom = math.floor(low / step + 1e-9) * step
    top = math.ceil(high / step - 1e-9) * step
    return round(bottom, digits), round(top, digits)
