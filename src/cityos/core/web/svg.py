"""Pieces every server-rendered SVG chart shares, so charts of all modules read alike to a
screen reader (role="img", a title and a description) and pick round axis tops."""

from __future__ import annotations

import math

from django.utils.html import format_html
from django.utils.safestring import SafeString


def chart_start(chart_id: str, title: str, description: str, width: int, height: int) -> SafeString:
    """The opening <svg> of a chart, named by its title and described by its description."""
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
        width,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
    )


def nice_max(value: float, steps: tuple[float, ...] = (1, 2, 2.5, 5, 10)) -> float:
    """The smallest round number (1, 2, 2.5 or 5 times a power of ten) at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in steps:
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)
