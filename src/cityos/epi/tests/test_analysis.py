"""The arithmetic of the hourly job: suppression, risk, trend, forecast accuracy, occupancy."""

from __future__ import annotations

import numpy as np
import pytest

from cityos.epi import analysis


@pytest.mark.parametrize(("value", "shown"), [(0, 0), (1, None), (4, None), (5, 5), (120, 120), (None, None)])
def test_counts_from_1_to_below_the_threshold_are_suppressed(value, shown):
    assert analysis.suppress(value, 5) == shown


@pytest.mark.parametrize(("count", "shown"), [(0, 0.0), (1, 2.5), (4, 2.5), (5, 5.0), (120, 120.0)])
def test_a_count_as_published_stands_at_the_middle_of_the_hidden_range(count, shown):
    assert analysis.published_value(count, 5) == shown
    assert analysis.published_value(count, 5) == analysis.published(np.array([count]), 5)[0]


@pytest.mark.parametrize(
    ("incidence", "level"),
    [
        (None, "unknown"),
        (0, "low"),
        (9.9, "low"),
        (10, "moderate"),
        (49.9, "moderate"),
        (50, "substantial"),
        (100, "high"),
    ],
)
def test_risk_levels_follow_incidence_per_100k(incidence, level):
    assert analysis.risk_level(incidence) == level


def test_incidence_per_100k_needs_a_population():
    assert analysis.incidence_per_100k(25, 50_000) == 50.0
    assert analysis.incidence_per_100k(25, None) is None


@pytest.mark.parametrize(
    ("last", "previous", "trend"), [(120, 100, "rising"), (80, 100, "falling"), (105, 100, "stable"), (2, 1, "stable")]
)
def test_trend_compares_the_last_week_with_the_one_before(last, previous, trend):
    assert analysis.trend(last, previous) == trend


def test_mape_by_horizon_leaves_out_days_without_cases():
    rows = analysis.mape_by_horizon([1, 1, 2, 2], [110, 90, 50, 7], [100, 100, 100, 0], max_horizon=3)
    assert rows == [
        {"horizon": 1, "mape": 10.0, "n": 2},
        {"horizon": 2, "mape": 50.0, "n": 1},
        {"horizon": 3, "mape": None, "n": 0},
    ]


def test_the_occupancy_model_recovers_the_admission_rate_and_stay_it_was_made_with():
    rng = np.random.default_rng(1)
    cases = rng.poisson(200 + 100 * np.sin(np.arange(200) / 15))
    cumulative = np.concatenate([[0], np.cumsum(cases)])
    occupied = 0.05 * (cumulative[9:] - cumulative[:-9])  # stay 9 days
    cases = cases[8:]

    model = analysis.fit_occupancy(cases, occupied)

    assert model is not None and model.length_of_stay == 9
    assert model.admission_rate == pytest.approx(0.05, rel=0.02)


def test_the_occupancy_model_needs_enough_days():
    assert analysis.fit_occupancy([1] * 10, [1] * 10) is None


def test_the_occupancy_forecast_starts_from_todays_report_and_finds_the_crossing():
    model = analysis.OccupancyModel(admission_rate=0.1, length_of_stay=2)
    ahead = analysis.forecast_occupancy(model, [100, 100], occupied_today=25, forecast_cases=[200, 300])
    # modelled today 20, reported 25: +5; ahead 0.1*(100+200)+5 = 35, 0.1*(200+300)+5 = 55
    assert ahead.tolist() == pytest.approx([35, 55])
    assert analysis.first_crossing(ahead, 40) == 1
    assert analysis.first_crossing(ahead, 60) is None
