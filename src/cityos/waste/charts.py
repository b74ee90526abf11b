"""Server-side SVG charts (no JavaScript): a bin's fill history and daily kilometres by policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cityos.core.web.svg import chart_start, nice_max

WIDTH, HEIGHT, PAD = 640, 236, 44


def _frame(chart_id: str, title: str, description: str, body: str, legend: str = "") -> SafeString:
    return mark_safe(  # noqa: S308 - every text part is escaped by the callers
        chart_start(chart_id, title, description, WIDTH, HEIGHT)
        + f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - 8}" y2="{HEIGHT - PAD}" stroke="#1b1f24"/>'
        f'<line x1="{PAD}" y1="8" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#1b1f24"/>{body}{legend}</svg>'
    )


def fill_chart(points: Sequence[tuple[datetime, float]]) -> SafeString:
    title = _("Fill level over the last two weeks (%)")
    if len(points) < 2:
        return mark_safe("")
    t0 = points[0][0].timestamp()
    span = max(points[-1][0].timestamp() - t0, 1.0)
    step = max(1, len(points) // 600)
    xs = [PAD + (t.timestamp() - t0) / span * (WIDTH - PAD - 8) for t, _v in points[::step]]
    ys = [HEIGHT - PAD - min(v, 110) / 110 * (HEIGHT - PAD - 8) for _t, v in points[::step]]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    full_y = HEIGHT - PAD - 100 / 110 * (HEIGHT - PAD - 8)
    body = (
        f'<line x1="{PAD}" y1="{full_y:.1f}" x2="{WIDTH - 8}" y2="{full_y:.1f}" stroke="#a1141b" '
        'stroke-dasharray="4 3"/>'
        f'<text x="{PAD - 4}" y="{full_y + 4:.1f}" text-anchor="end" font-size="11">100</text>'
        f'<text x="{PAD - 4}" y="{HEIGHT - PAD + 4}" text-anchor="end" font-size="11">0</text>'
        f'<polyline fill="none" stroke="#073f78" stroke-width="1.5" points="{coords}"/>'
    )
    description = _("From %(start)s to %(end)s; the dashed line is full (100%%).") % {
        "start": date_format(points[0][0], "SHORT_DATETIME_FORMAT"),
        "end": date_format(points[-1][0], "SHORT_DATETIME_FORMAT"),
    }
    return _frame("fill-chart", title, description, body)


def daily_km_chart(results: dict[str, Any]) -> SafeString:
    """Kilometres per day: the fixed round (grey, solid) against the plan (blue, dashed), on a
    kilometre axis with round gridlines and the simulated days numbered along the bottom."""
    series = [("fixed", _("Fixed round"), "#4a5562", ""), ("planned", _("Sensor-driven plan"), "#073f78", "6 3")]
    days = results.get("fixed_daily") or []
    if not days:
        return mark_safe("")
    top = nice_max(max(max(float(d["km"]) for d in results.get(f"{k}_daily", days)) for k, *_ in series))
    n = len(days)
    plot_height = HEIGHT - PAD - 16
    body = f'<text x="{PAD + 6}" y="12" font-size="11">{escape(_("km"))}</text>'
    for tick in (top / 2, top):
        y = HEIGHT - PAD - tick / top * plot_height
        body += (
            f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" stroke="#c9ced6" stroke-dasharray="2 3"/>'
            f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{tick:.0f}</text>'
        )
    body += f'<text x="{PAD - 4}" y="{HEIGHT - PAD + 4}" text-anchor="end" font-size="11">0</text>'
    for index in range(0, n, 7):  # a label a week: "Day 1", "Day 8"...
        x = PAD + index / max(n - 1, 1) * (WIDTH - PAD - 8)
        day = escape(_("Day %(number)s") % {"number": index + 1})
        body += f'<text x="{x:.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle" font-size="11">{day}</text>'
    legend = ""
    for index, (key, label, colour, dash) in enumerate(series):
        rows = results.get(f"{key}_daily") or []
        xs = [PAD + i / max(n - 1, 1) * (WIDTH - PAD - 8) for i in range(len(rows))]
        ys = [HEIGHT - PAD - float(d["km"]) / top * plot_height for d in rows]
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        body += (
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" points="{coords}"/>'
        )
        y = HEIGHT - 4
        x = PAD + index * 220
        legend += (
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 24}" y2="{y - 4}" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}"/><text x="{x + 30}" y="{y}" font-size="12">{escape(label)}</text>'
        )
    fixed_km = sum(float(d["km"]) for d in results.get("fixed_daily") or [])
    planned_km = sum(float(d["km"]) for d in results.get("planned_daily") or [])
    description = _(
        "%(days)s simulated days: the fixed round drove %(fixed)s km in all, the sensor-driven plan %(planned)s km."
    ) % {"days": n, "fixed": f"{fixed_km:.0f}", "planned": f"{planned_km:.0f}"}
    return _frame("daily-km-chart", _("Kilometres driven per day"), description, body, legend)
