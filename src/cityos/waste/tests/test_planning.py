"""The daily decision: must-collect bins as late as is safe, optional bins for a prize worth the
future visit they save, nothing for bins that can wait."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cityos.waste import planning
from cityos.waste.forecast import FillModel

NOW = datetime(2026, 3, 2, 5)  # a Monday, before the shift
MIDDLE = NOW + timedelta(hours=5)
NEXT_SHIFT_END = NOW + timedelta(days=1, hours=9)  # Tuesday 14:00
STEADY = FillModel(tuple([1.0] * 168), 0.1, 200)  # 1 %/h, every hour of the week


def decide(current: float, policy: planning.Policy | None = None, **kwargs: object) -> planning.Decision:
    return planning.decide(
        policy or planning.Policy(visit_metres=600),
        STEADY,
        now=NOW,
        current=current,
        shift_middle=MIDDLE,
        next_shift=NEXT_SHIFT_END,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_bin_that_would_overflow_before_the_next_shift_could_reach_it_must_be_collected():
    assert decide(80).required  # 80 + 33 h at 1 %/h: full by Tuesday's end
    assert decide(100).required and decide(100).risk == 1.0


def test_a_bin_that_can_last_until_the_next_shift_is_left_for_it():
    later = decide(60)  # 60 + 33 = 93% by Tuesday's end: safe, so not a must today
    assert not later.required and later.risk < 0.3
    assert later.offered and later.fill_at_shift == pytest.approx(65)


def test_an_optional_bins_prize_is_its_fill_share_of_a_visit():
    assert decide(60).prize == int(600 * 65 / 100)
    assert decide(30).offered is False and decide(30).prize == 0  # 35% at the shift: not offered
    assert planning.Policy(visit_metres=1000).prize(150) == 1000  # capped at a full bin


def test_a_bin_on_its_round_is_taken_only_if_it_could_not_last_until_the_round_comes_again():
    next_week = NOW + timedelta(days=7, hours=1)
    assert decide(20, next_round=next_week).prize >= 3000  # 20 + 169: it would overflow
    assert not decide(20, next_round=NOW + timedelta(days=2)).prize >= 3000


def test_the_typical_visit_is_the_way_to_a_bins_nearest_neighbours():
    # Four bins on a line, 100 m apart (at the equator): two nearest are 100 m and 100-200 m away.
    step = 100 / 111_195
    points = [(i * step, 0.0) for i in range(4)]
    metres = planning.typical_visit_metres(points, circuity=1.0)
    assert metres == pytest.approx((100 + 200 + 100 + 100 + 100 + 100 + 100 + 200) / 8, rel=0.01)
    assert planning.typical_visit_metres(points[:1]) == 0.0


def test_round_days_spread_evenly_over_the_shift_week():
    week = range(6)
    assert planning.spread_days(1, week, 1) == (1,)
    assert planning.spread_days(4, week, 2) == (1, 4)
    assert planning.spread_days(4, week, 3) == (0, 2, 4)
    assert planning.spread_days(4, week, 9) == tuple(week)
