"""The fill model on synthetic series whose rates are known."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from cityos.waste import forecast

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def series(rate, days=21, *, noise=0.0, empty_at=90.0, seed=1):
    rng = random.Random(seed)
    readings, fill, t = [], 0.0, MONDAY
    while t < MONDAY + timedelta(days=days):
        readings.append((t, min(max(fill + rng.gauss(0, noise), 0.0), 100.0)))
        fill += rate(t)
        if fill >= empty_at:
            fill = 0.0  # an emptying: the next reading is near zero
        t += timedelta(hours=1)
    return readings


def test_a_constant_rate_is_learnt_and_emptyings_do_not_pull_it_down():
    model = forecast.fit(series(lambda t: 0.8))
    assert model.mean_rate == pytest.approx(0.8, rel=0.02)
    assert model.observations > 100  # four-hour windows over three weeks, emptyings skipped


def test_the_weekday_and_hour_pattern_is_recovered():
    def rate(t):
        return (2.0 if t.weekday() >= 5 else 0.5) * (1.5 if 8 <= t.hour < 20 else 0.25)

    model = forecast.fit(series(rate))
    saturday_noon = model.rates[5 * 24 + 12]
    tuesday_noon = model.rates[1 * 24 + 12]
    tuesday_night = model.rates[1 * 24 + 3]
    assert saturday_noon == pytest.approx(3.0, rel=0.1)
    assert tuesday_noon == pytest.approx(0.75, rel=0.1)
    assert tuesday_night == pytest.approx(0.125, rel=0.3)


def test_sensor_noise_does_not_bias_the_rate():
    model = forecast.fit(series(lambda t: 0.5, noise=2.0, days=28))
    assert model.mean_rate == pytest.approx(0.5, rel=0.1)


def test_time_to_full_follows_the_rate_with_an_interval_around_it():
    model = forecast.fit(series(lambda t: 1.0, noise=1.0))
    now = MONDAY + timedelta(days=30)
    result = model.forecast(now, 40.0)
    assert result.full_at is not None and result.full_at_early is not None and result.full_at_late is not None
    hours = (result.full_at - now).total_seconds() / 3600
    assert hours == pytest.approx(60, rel=0.08)
    assert result.full_at_early < result.full_at < result.full_at_late


def test_overflow_probability_grows_with_fill_and_time():
    model = forecast.fit(series(lambda t: 1.0))
    now = MONDAY + timedelta(days=30)
    soon, later = now + timedelta(hours=12), now + timedelta(hours=48)
    assert model.overflow_probability(now, 100.0, soon) == 1.0
    assert model.overflow_probability(now, 10.0, soon) < 0.01
    assert model.overflow_probability(now, 70.0, soon) < model.overflow_probability(now, 80.0, soon)
    assert model.overflow_probability(now, 60.0, soon) < model.overflow_probability(now, 60.0, later)
    assert model.overflow_probability(now, 60.0, later) > 0.9


def test_no_history_gives_the_default_model_and_current_fill_adds_the_expected_rise():
    model = forecast.fit([])
    assert model.observations == 0
    assert model.mean_rate == forecast.DEFAULT_RATE
    readings = [(MONDAY, 20.0)]
    assert forecast.current_fill(model, readings, MONDAY + timedelta(hours=10)) == pytest.approx(25.0)
    assert forecast.current_fill(model, [], MONDAY) == 0.0
