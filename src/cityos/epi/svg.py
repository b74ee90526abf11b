"""Charts as server-rendered inline SVG: no script, small, readable by screen readers
(``role="img"`` with a title and description; every chart has a data table beside it)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from cityos.core.web.svg import chart_start, nice_max

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
# Colours with at least 3:1 contrast on white (WCAG 1.4.11 for graphics).
COLOURS = ("#073f78", "#a1141b", "#1d6b2f", "#6a3d9a")
RISK_COLOURS = {
    "low": "#c7e9c0",
    "moderate": "#fdd49e",
    "substantial": "#f16913",
    "high": "#a50f15",
    "unknown": "#e5e5e5",
}


@dataclass(frozen=True)
class Line:
    values: Sequence[float | None]
    label: str
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    lower: Sequence[float | None]
    upper: Sequence[float | None]


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    dates: Sequence[str],
    lines: Sequence[Line],
    band: Band | None = None,
    reference: float | None = None,
) -> SafeString:
    """Lines over days (None leaves a gap), an optional shaded band and a dotted reference line."""
    values = [v for line in lines for v in line.values if v is not None]
    if band is not None:
        values += [v for v in band.upper if v is not None]
    if reference is not None:
        values.append(reference)
    top = nice_max(max(values, default=1.0))
    n = max(len(dates), 2)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + plot_w * i / (n - 1), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - v / top), 1)

    parts: list[str] = [chart_start(chart_id, title, description, WIDTH, HEIGHT)]
    for fraction in (0, 0.5, 1):
        value = top * fraction
        label = f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value)}" y2="{y(value)}" stroke="#d0d4d9"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end" font-size="12" fill="#1b1f24">{label}</text>'
        )
    if dates:
        for i in sorted({0, len(dates) // 2, len(dates) - 1}):
            anchor = "start" if i == 0 else "end" if i == len(dates) - 1 else "middle"
            parts.append(
                f'<text x="{x(i)}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="12" fill="#1b1f24">'
                f"{escape(dates[i])}</text>"
            )
    if band is not None:
        upper = [(x(i), y(v)) for i, v in enumerate(band.upper) if v is not None]
        lower = [(x(i), y(v)) for i, v in enumerate(band.lower) if v is not None]
        if upper and lower:
            points = " ".join(f"{px},{py}" for px, py in upper + lower[::-1])
            parts.append(f'<polygon points="{points}" fill="#073f78" fill-opacity="0.18" stroke="none"/>')
    if reference is not None:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(reference)}" y2="{y(reference)}" '
            'stroke="#1b1f24" stroke-dasharray="2 4"/>'
        )
    for number, line in enumerate(lines):
        segments: list[list[str]] = [[]]
        for i, v in enumerate(line.values):
            if v is None:
                segments.append([])
            else:
                segments[-1].append(f"{x(i)},{y(v)}")
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        for segment in segments:
            if segment:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{COLOURS[number % len(COLOURS)]}" '
                    f'stroke-width="2"{dash}/>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only


def choropleth(chart_id: str, title: str, description: str, districts: Sequence[dict[str, Any]]) -> SafeString:
    """District boundaries filled by risk level; ``districts``: geometry, risk, name."""
    rings: list[tuple[list[list[list[float]]], str, str]] = []
    for district in districts:
        geometry = district.get("geometry") or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        elif geometry.get("type") != "MultiPolygon":
            continue
        for polygon in polygons:
            rings.append((polygon, district["risk"], district["name"]))
    coordinates = [pt for polygon, _r, _n in rings for ring in polygon for pt in ring]
    if not coordinates:
        return mark_safe("")
    lons = [c[0] for c in coordinates]
    lats = [c[1] for c in coordinates]
    lat0 = math.radians((min(lats) + max(lats)) / 2)
    span_x = max((max(lons) - min(lons)) * math.cos(lat0), 1e-9)
    span_y = max(max(lats) - min(lats), 1e-9)
    scale = min((WIDTH - 20) / span_x, (HEIGHT * 1.5 - 20) / span_y)
    height = round(span_y * scale + 20)

    def point(c: Sequence[float]) -> str:
        return (
            f"{round(10 + (c[0] - min(lons)) * math.cos(lat0) * scale, 1)},{round(10 + (max(lats) - c[1]) * scale, 1)}"
        )

    parts: list[str] = [chart_start(chart_id, title, description, WIDTH, height, css_class="chart choropleth")]
    for polygon, risk, name in rings:
        path = " ".join("M" + " L".join(point(c) for c in ring) + " Z" for ring in polygon)
        parts.append(
            format_html(
                '<path d="{}" fill="{}" stroke="#1b1f24" stroke-width="1" fill-rule="evenodd"><title>{}</title></path>',
                path,
                RISK_COLOURS.get(risk, RISK_COLOURS["unknown"]),
                name,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built with format_html
