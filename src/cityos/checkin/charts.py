"""Server-rendered SVG for the staff activity page: no script, small, readable by screen readers
(``role="img"`` with a title and description; the page has the same figures as a table)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cityos.core.web.svg import chart_start, nice_max

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28
BAR = "#073f78"  # 10:1 on white: above the 3:1 WCAG asks of graphics
# Districts by check-ins, light to dark (every step differs from the next by lightness too).
SCALE = ("#eef3f8", "#c6dbef", "#9ecae1", "#4292c6", "#08519c")
EXPOSED_OUTLINE = "#a1141b"


def daily_bars(chart_id: str, title: str, description: str, days: Sequence[date], counts: Sequence[int]) -> SafeString:
    """One bar per day, an axis with 0, half and the top, and the first, middle and last dates."""
    top = int(nice_max(max(counts, default=0), steps=(1, 2, 5, 10)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    parts: list[str] = [chart_start(chart_id, title, description, WIDTH, HEIGHT)]
    for fraction in (0, 0.5, 1):
        value = top * fraction
        y = round(TOP + plot_h * (1 - fraction), 1)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="#d0d4d9"/>'
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="12" fill="#1b1f24">{value:g}</text>'
        )
    for i, (day, count) in enumerate(zip(days, counts, strict=True)):
        height = round(plot_h * count / top, 1)
        x = round(LEFT + slot * i + slot * 0.1, 1)
        parts.append(
            f'<rect x="{x}" y="{round(TOP + plot_h - height, 1)}" width="{round(slot * 0.8, 1)}" '
            f'height="{height}" fill="{BAR}">'
            f"<title>{escape(date_format(day, 'SHORT_DATE_FORMAT'))}: {count}</title></rect>"
        )
    if days:
        for i in sorted({0, len(days) // 2, len(days) - 1}):
            anchor = "start" if i == 0 else "end" if i == len(days) - 1 else "middle"
            x = round(LEFT + slot * i + (0 if anchor == "start" else slot if anchor == "end" else slot / 2), 1)
            parts.append(
                f'<text x="{x}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="12" fill="#1b1f24">'
                f"{escape(date_format(days[i], 'SHORT_DATE_FORMAT'))}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only


def fill_for(count: int, top: int) -> str:
    """The district's fill on the map: five steps of check-ins relative to the busiest district."""
    if count <= 0 or top <= 0:
        return SCALE[0]
    return SCALE[min(len(SCALE) - 1, 1 + int(3.999 * count / top))]
