"""The policy simulation: a city whose bins fill at widely different rates, its fixed round
sized the way a city sizes it, and the production plan run on the same simulated weeks."""

from __future__ import annotations

import dataclasses
import math
import random
import statistics

import pytest

from cityos.waste import simulate


def test_bins_fill_at_lognormal_rates_within_a_containers_range():
    rng = random.Random(3)
    weekly = [simulate.draw_weekly_fill(rng) for _ in range(4000)]
    assert statistics.median(weekly) == pytest.approx(simulate.WEEKLY_MEDIAN, rel=0.05)
    assert min(weekly) >= simulate.WEEKLY_RANGE[0] and max(weekly) <= simulate.WEEKLY_RANGE[1]
    logs = [math.log(w) for w in weekly if simulate.WEEKLY_RANGE[0] < w < simulate.WEEKLY_RANGE[1]]
    assert 0.4 < statistics.stdev(logs) < 0.55  # a busy corner's bin fills several times a quiet one's


def test_the_fixed_round_takes_each_bin_as_often_as_keeps_it_below_the_target_at_its_usual_rate():
    week = list(range(6))  # Monday to Saturday
    assert simulate.round_days(2, 60, week) == (2,)  # 60% in a week: once, on its area's day
    assert simulate.round_days(2, 120, week) == (2, 5)  # twice, spread: Wed and Sat
    assert simulate.longest_gap_hours((2, 5)) == 96
    assert simulate.round_days(2, 190, week) == (0, 2, 4)  # 190 x 72/168 = 81%: three times
    assert simulate.round_days(2, 200, week) == tuple(week)  # 86%: every shift day
    assert simulate.round_days(2, 200, week, target=90) == (0, 2, 4)
    assert simulate.round_days(2, 240, week) == tuple(week)
    assert simulate.longest_gap_hours(tuple(week)) == 48  # Saturday to Monday


def test_the_scenario_uses_the_citys_stored_rounds_where_it_has_them():
    scenario = simulate.make_scenario(bins=30, trucks=1, seed=4)
    ruled = simulate.fixed_days(scenario)
    assert all(0 < len(days) <= 6 for days in ruled.values())
    stored = simulate.Scenario(
        scenario.bins, scenario.depot, scenario.disposal, scenario.trucks, scenario.start, rounds={0: (3,)}
    )
    assert simulate.fixed_days(stored)[0] == (3,) and simulate.fixed_days(stored)[1] == ruled[1]


def test_the_same_seed_gives_the_same_weeks():
    scenario = simulate.make_scenario(bins=40, trucks=1, seed=4)
    a = simulate.run(scenario, 7, seed=9, seconds=0.05, warmup_days=7, policies=("fixed",))
    b = simulate.run(scenario, 7, seed=9, seconds=0.05, warmup_days=7, policies=("fixed",))
    assert a["fixed"] == {**b["fixed"], "solver_seconds": a["fixed"]["solver_seconds"]}
    assert a["fixed"]["collections"] > 0 and len(a["fixed_daily"]) == 7
    assert a["fixed"]["disposal_trips"] >= 1 and a["fixed"]["routes"] >= 1


def test_sensor_plans_collect_fuller_bins_less_often_with_no_more_overflows():
    scenario = simulate.make_scenario(bins=80, trucks=2, seed=3)
    result = simulate.run(scenario, 14, seed=3, seconds=0.1, warmup_days=7)
    fixed, planned = result["fixed"], result["planned"]
    assert planned["overflows"] <= fixed["overflows"]
    assert planned["collections"] < fixed["collections"] and planned["mean_fill"] > fixed["mean_fill"]
    assert result["km_saving"] == result["planned_km_saving"] == round(1 - planned["km"] / fixed["km"], 4)
    assert result["policy"]["visit_metres"] > 0 and result["fixed_fill"] == simulate.FIXED_FILL


def test_a_round_sized_per_area_collects_each_area_as_its_percentile_bin_needs():
    scenario = simulate.make_scenario(bins=120, trucks=1, seed=4)
    per_bin = simulate.fixed_days(scenario)
    per_area = simulate.fixed_days(dataclasses.replace(scenario, fixed_by_area=0.9))
    area = simulate.areas(scenario)
    for day in set(area.values()):
        keys = [k for k, d in area.items() if d == day]
        assert len({per_area[k] for k in keys}) == 1  # one frequency for the whole area
        assert sum(len(per_bin[k]) > len(per_area[k]) for k in keys) <= len(keys) * 0.1 + 1
    assert sum(map(len, per_area.values())) > sum(map(len, per_bin.values()))


def test_a_district_round_with_hotspots_gives_busier_bins_their_own_extra_days():
    scenario = simulate.make_scenario(bins=120, trucks=1, seed=4)
    per_bin = simulate.fixed_days(scenario)
    per_area = simulate.fixed_days(dataclasses.replace(scenario, fixed_by_area=0.75))
    district = simulate.fixed_days(dataclasses.replace(scenario, fixed_by_area=0.75, fixed_hotspots=True))
    for key, days in district.items():
        assert days == max(per_area[key], per_bin[key], key=len)  # never less often than either rule
    assert any(len(district[k]) > len(per_area[k]) for k in district)  # some bins are hotspots
    assert any(len(district[k]) > len(per_bin[k]) for k in district)  # and more often than their own rule


def test_the_select_then_route_baseline_routes_its_k_fullest_bins_every_shift():
    scenario = dataclasses.replace(simulate.make_scenario(bins=60, trucks=2, seed=5), fullest_per_shift=12)
    result = simulate.run(scenario, 7, seed=5, seconds=0.05, warmup_days=7, policies=("fixed", "fullest"))
    shifts = [row for row in result["fullest_daily"] if row["routes"]]
    assert len(shifts) == 6  # Monday to Saturday, nothing on Sunday
    assert all(row["collections"] == 12 for row in shifts)  # exactly K bins, all of them reached
    assert result["fullest"]["missed_required"] == 0
    # It picks the fullest: fuller at pickup than the fixed round's bins.
    assert result["fullest"]["mean_fill"] > result["fixed"]["mean_fill"]
    assert "fullest_km_saving" in result


def test_a_plan_on_fewer_days_is_compared_with_the_round_on_the_days_it_had():
    six = simulate.make_scenario(bins=60, trucks=2, seed=6)
    four = dataclasses.replace(six, shift_days=frozenset({0, 2, 4, 5}), round_shift_days=six.shift_days)
    assert simulate.fixed_days(four) == simulate.fixed_days(six)  # the old round is unchanged
    result = simulate.run(four, 7, seed=6, seconds=0.05, warmup_days=7)
    round_days = [row["routes"] > 0 for row in result["fixed_daily"]]
    plan_days = [row["routes"] > 0 for row in result["planned_daily"]]
    assert round_days == [True] * 6 + [False]  # starts on a Monday: Monday to Saturday
    assert plan_days == [True, False, True, False, True, True, False]
    assert result["plan_days"] == [0, 2, 4, 5] and result["round_days"] == [0, 1, 2, 3, 4, 5]
    baseline = simulate.run(six, 7, seed=6, seconds=0.05, warmup_days=7, policies=("fixed",))
    assert result["fixed"]["collections"] == baseline["fixed"]["collections"]
