"""A datastream chart: the value axis holds every value and threshold on round numbers, time runs
left to right, gaps break the line, and rollups draw a band from minimum to maximum."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from cityos.sensing.ops.charts import HEIGHT, series_chart
from cityos.sensing.timeseries.selectors import Point

START = datetime(2026, 5, 1, tzinfo=UTC)


def raw(minutes: float, value: float) -> Point:
    return Point(time=START + timedelta(minutes=minutes), mean=value, minimum=value, maximum=value, count=1)


def axis_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" font-size="14" fill="#1b1f24">([^<]*)</text>', svg)[:3]


def chart(points, *, banded=False, gap=None, thresholds=(), minutes=60):
    return series_chart(
        "c",
        "Turbidity",
        "Last hour",
        points,
        START,
        START + timedelta(minutes=minutes),
        banded=banded,
        gap=gap,
        thresholds=thresholds,
    )


def test_the_value_axis_is_rounded_around_the_values():
    svg = chart([raw(0, 3.2), raw(30, 7.9)])
    assert axis_labels(svg) == ["3", "5.5", "8"]  # bottom, middle, top


def test_a_threshold_above_the_values_stretches_the_axis_and_is_drawn():
    svg = chart([raw(0, 3.2), raw(30, 4.1)], thresholds=[12])
    assert axis_labels(svg) == ["3", "7.5", "12"]
    assert svg.count('stroke-dasharray="6 4"') == 1


def test_a_flat_series_sits_in_the_middle_of_the_chart():
    svg = chart([raw(0, 5), raw(30, 5)])
    assert axis_labels(svg) == ["4.5", "5", "5.5"]
    points = re.search(r'<polyline points="([^"]+)"', svg).group(1).split()
    middle = 12 + (HEIGHT - 12 - 30) / 2
    assert {float(p.split(",")[1]) for p in points} == {middle}


def test_a_gap_longer_than_allowed_breaks_the_line_and_a_lone_point_is_a_dot():
    svg = chart([raw(0, 1), raw(5, 2), raw(50, 3)], gap=timedelta(minutes=10))
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 1


def test_rollups_draw_a_band_from_minimum_to_maximum():
    hours = [Point(time=START + timedelta(hours=h), mean=5, minimum=2, maximum=9, count=60) for h in range(3)]
    svg = chart(hours, banded=True, minutes=180)
    assert svg.count("<polygon") == 1 and axis_labels(svg) == ["2", "5.5", "9"]


def test_no_points_give_an_empty_chart_with_an_axis():
    svg = chart([])
    assert axis_labels(svg) == ["0", "0.5", "1"] and "<polyline" not in svg and svg.endswith("</svg>")
