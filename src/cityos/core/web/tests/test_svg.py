"""Every chart rounds its axes with the same two rules: bars from zero up to a round top, and a
value axis rounded outward to the power of ten within its span."""

from __future__ import annotations

import pytest

from cityos.core.web.svg import chart_start, nice_bounds, nice_max


@pytest.mark.parametrize(
    ("value", "top"),
    [(0, 1.0), (-3, 1.0), (0.7, 1.0), (1, 1.0), (1.2, 2.0), (2.2, 2.5), (3, 5.0), (7, 10.0), (420, 500.0)],
)
def test_a_bar_chart_from_zero_tops_at_the_next_round_number(value, top):
    assert nice_max(value) == top


def test_a_chart_of_whole_counts_can_skip_the_quarter_steps():
    assert nice_max(22, steps=(1, 2, 5, 10)) == 50


@pytest.mark.parametrize(
    ("low", "high", "bounds"),
    [
        (3.2, 7.9, (3, 8)),
        (1012, 1031, (1010, 1040)),
        (1012.4, 1019.2, (1012, 1020)),
        (0, 10, (0, 10)),
        (-4.5, 2.1, (-5, 3)),
        (-30, -12, (-30, -10)),
        (0.21, 0.37, (0.2, 0.4)),
    ],
)
def test_a_value_axis_is_rounded_outward_to_the_power_of_ten_within_its_span(low, high, bounds):
    assert nice_bounds(low, high) == bounds


def test_rounding_leaves_no_float_noise_in_the_labels():
    low, high = nice_bounds(0.3, 0.71)
    assert (str(low), str(high)) == ("0.3", "0.8")


@pytest.mark.parametrize(("value", "bounds"), [(5, (4.5, 5.5)), (-20, (-22, -18)), (0, (-1, 1))])
def test_a_flat_line_gets_room_either_side(value, bounds):
    assert nice_bounds(value, value) == pytest.approx(bounds)


def test_a_chart_is_an_image_named_by_its_title_and_described():
    svg = chart_start("c1", "Turbidity <today>", "Rose to 9 NTU", 480, 260)
    assert 'role="img" aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Turbidity &lt;today&gt;</title>' in svg and "Rose to 9 NTU</desc>" in svg
