"""The policy simulation: deterministic from its seed, and the plan beats the fixed round."""

from __future__ import annotations

from cityos.waste import simulate


def test_the_same_seed_gives_the_same_weeks_and_the_fixed_round_is_weekly():
    scenario = simulate.make_scenario(bins=40, trucks=1, seed=4)
    assert all(len(days) == 1 for days in simulate.fixed_days(scenario).values())
    a = simulate.run(scenario, 7, seed=9, seconds=0.05, warmup_days=7)
    b = simulate.run(scenario, 7, seed=9, seconds=0.05, warmup_days=7)
    assert a["fixed"] == {**b["fixed"], "solver_seconds": a["fixed"]["solver_seconds"]}
    assert a["fixed"]["collections"] > 0 and len(a["fixed_daily"]) == 7


def test_the_fixed_round_sized_by_area_collects_more_often():
    scenario = simulate.make_scenario(bins=40, trucks=1, seed=4, fixed_per_week=None)
    assert max(len(d) for d in simulate.fixed_days(scenario).values()) >= 1
    weekly = simulate.make_scenario(bins=40, trucks=1, seed=4)
    assert sum(map(len, simulate.fixed_days(scenario).values())) >= sum(map(len, simulate.fixed_days(weekly).values()))


def test_sensor_plans_overflow_less_than_the_weekly_round():
    scenario = simulate.make_scenario(bins=60, trucks=2, seed=2)
    result = simulate.run(scenario, 14, seed=2, seconds=0.05, warmup_days=7)
    assert result["rounds"]["overflows"] <= result["fixed"]["overflows"]
    assert result["rounds"]["mean_fill"] > 0 and result["rounds"]["km"] > 0
    assert "km_saving" in result
