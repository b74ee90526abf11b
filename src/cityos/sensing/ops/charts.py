"""A datastream's values over time as server-rendered SVG (no script), at any zoom.

The x axis is real time (gaps show as gaps); raw points are a line, hourly and daily rollups a
line of means with a band from minimum to maximum. ``role="img"`` with a title and description;
the page puts the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cityos.core.web.svg import chart_start, nice_bounds
from cityos.sensing.timeseries.selectors import Point

WIDTH, HEIGHT = 480, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 14, 12, 30
LINE = "#073f78"  # 10:1 on white
THRESHOLD = "#a1141b"


def _label(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:.4g}"


def _time_label(when: datetime, span: timedelta) -> str:
    local = timezone.localtime(when)
    if span <= timedelta(days=2):
        return formats.date_format(local, "H:i:s" if span <= timedelta(minutes=10) else "H:i")
    if span <= timedelta(days=120):
        return formats.date_format(local, "M j")
    return formats.date_format(local, "M Y")


def series_chart(
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[Point],
    start: datetime,
    end: datetime,
    *,
    banded: bool,
    gap: timedelta | None = None,
    thresholds: Sequence[float] = (),
) -> SafeString:
    """The points between ``start`` and ``end``; consecutive points further apart than ``gap`` break the line."""
    values = [p.minimum if banded else p.mean for p in points] + [p.maximum if banded else p.mean for p in points]
    values += list(thresholds)
    low, high = nice_bounds(min(values, default=0.0), max(values, default=1.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    total = max((end - start).total_seconds(), 1.0)

    def x(when: datetime) -> float:
        return round(LEFT + plot_w * (when - start).total_seconds() / total, 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - (value - low) / (high - low)), 1)

    parts: list[str] = [chart_start(chart_id, title, description, WIDTH, HEIGHT)]
    for fraction in (0, 0.5, 1):
        value = low + (high - low) * fraction
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value)}" y2="{y(value)}" stroke="#d0d4d9"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end" font-size="14" fill="#1b1f24">'
            f"{escape(_label(value))}</text>"
        )
    span = end - start
    for fraction, anchor in ((0, "start"), (0.5, "middle"), (1, "end")):
        when = start + span * fraction
        parts.append(
            f'<text x="{round(LEFT + plot_w * fraction, 1)}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="14" '
            f'fill="#1b1f24">{escape(_time_label(when, span))}</text>'
        )
    for threshold in thresholds:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(threshold)}" y2="{y(threshold)}" stroke="{THRESHOLD}" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
        )
    segments: list[list[Point]] = [[]]
    for point in points:
        if segments[-1] and gap is not None and point.time - segments[-1][-1].time > gap:
            segments.append([])
        segments[-1].append(point)
    for segment in segments:
        if not segment:
            continue
        if banded and len(segment) > 1:
            upper = [f"{x(p.time)},{y(p.maximum)}" for p in segment]
            lower = [f"{x(p.time)},{y(p.minimum)}" for p in reversed(segment)]
            parts.append(f'<polygon points="{" ".join(upper + lower)}" fill="{LINE}" fill-opacity="0.18"/>')
        if len(segment) == 1:
            p = segment[0]
            parts.append(f'<circle cx="{x(p.time)}" cy="{y(p.mean)}" r="3" fill="{LINE}"/>')
        else:
            line = " ".join(f"{x(p.time)},{y(p.mean)}" for p in segment)
            parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only
