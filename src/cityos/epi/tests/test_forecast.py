"""14-day case forecasts from the renewal equation, driven by the Rt posterior of the last window."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cityos.epi import forecast, rt
from cityos.epi.tests import epiestim_examples as ex

STEADY = [100] * 20  # 100 cases a day, and everybody infects exactly one day later
NEXT_DAY = [0, 1]


def test_the_mean_of_the_next_day_is_the_posterior_mean_of_rt_times_the_infectivity():
    result = forecast.forecast_cases(STEADY, si_distribution=NEXT_DAY, samples=20_000, seed=1, horizon=2)
    shape, scale = result.rt.shape[-1], result.rt.scale[-1]

    # Day T+1: E[Poisson(R * 100)] = E[R] * 100, with R ~ Gamma(shape, scale).
    mean_r, var_r = shape * scale, shape * scale**2
    standard_error = math.sqrt(mean_r * 100 + var_r * 100**2) / math.sqrt(20_000)
    assert abs(result.mean[0] - mean_r * 100) < 5 * standard_error
    # Day T+2: E[R * Poisson(R * 100)] = E[R^2] * 100.
    second_moment = shape * (shape + 1) * scale**2
    assert result.mean[1] == pytest.approx(second_moment * 100, rel=0.01)


def test_bands_are_ordered_and_widen_with_the_horizon():
    result = forecast.forecast_cases(ex.FLU2009_INCIDENCE[:16], si_mean=2.6, si_sd=1.5, seed=3)

    assert result.day.tolist() == list(range(17, 31))
    assert np.all(np.diff(result.quantiles, axis=-1) >= 0)
    width = result.quantiles[:, -1] - result.quantiles[:, 0]
    assert width[-1] > width[0]


def test_a_growing_epidemic_is_forecast_to_grow_and_a_waning_one_to_wane():
    growing = forecast.forecast_cases([2**d for d in range(12)], si_distribution=NEXT_DAY, seed=5)
    waning = forecast.forecast_cases([2 ** (12 - d) for d in range(12)], si_distribution=NEXT_DAY, seed=5)

    assert growing.mean[-1] > growing.mean[0] > 2048
    assert waning.mean[-1] < waning.mean[0] < 2


def test_the_same_seed_gives_the_same_forecast():
    first = forecast.forecast_cases(STEADY, si_distribution=NEXT_DAY, seed=42)
    again = forecast.forecast_cases(STEADY, si_distribution=NEXT_DAY, seed=42)
    other = forecast.forecast_cases(STEADY, si_distribution=NEXT_DAY, seed=43)

    np.testing.assert_array_equal(first.quantiles, again.quantiles)
    assert not np.array_equal(first.mean, other.mean)


def test_a_batch_forecasts_every_district_from_its_own_rt():
    cases = np.array([STEADY, [2 * c for c in STEADY], [10 * d for d in range(1, 21)]])
    result = forecast.forecast_cases_batch(cases, si_distribution=NEXT_DAY, seed=9, samples=5000)

    assert result.mean.shape == (3, 14) and result.quantiles.shape == (3, 14, 7)
    assert result.mean[1, 0] == pytest.approx(2 * result.mean[0, 0], rel=0.05)
    assert result.mean[2, -1] > result.mean[2, 0]


def test_imported_cases_pass_on_infection_in_the_forecast():
    local = [50] * 20
    plain = forecast.forecast_cases(local, si_distribution=NEXT_DAY, seed=2, samples=5000)
    sparked = forecast.forecast_cases(local, imported=[0] * 19 + [500], si_distribution=NEXT_DAY, seed=2, samples=5000)

    assert sparked.mean[0] > 5 * plain.mean[0]


@pytest.mark.parametrize(
    ("horizon", "samples", "field"), [(0, 1000, "horizon"), (61, 1000, "horizon"), (14, 10, "samples")]
)
def test_a_horizon_or_sample_count_out_of_range_is_refused(horizon, samples, field):
    with pytest.raises(rt.InvalidRtInput) as caught:
        forecast.forecast_cases(STEADY, si_distribution=NEXT_DAY, horizon=horizon, samples=samples)

    assert [p.field for p in caught.value.problems] == [field]


def test_problems_with_the_series_and_the_forecast_are_reported_together():
    with pytest.raises(rt.InvalidRtInput) as caught:
        forecast.forecast_cases([1, -1, 3], si_distribution=NEXT_DAY, window=2, horizon=0)

    assert {p.field for p in caught.value.problems} == {"incidence.1", "horizon"}


def test_a_series_too_short_for_an_rt_on_its_last_days_is_refused():
    with pytest.raises(rt.InvalidRtInput) as caught:
        forecast.forecast_cases([1, 2, 3, 4], si_distribution=[0] * 5 + [1], window=2)

    assert caught.value.problems[0].code == "too_short"


def test_a_forecast_that_explodes_is_refused_rather_than_overflowing():
    with pytest.raises(rt.InvalidRtInput) as caught:
        forecast.forecast_cases(
            [10**d for d in range(10)], si_distribution=NEXT_DAY, window=3, horizon=60, prior_mean=5, prior_sd=5
        )

    assert caught.value.problems[0].code == "too_far"


# --- POST /api/v1/epi/forecast --------------------------------------------------------------


def post(client, body):
    return client.post("/api/v1/epi/forecast", json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_the_api_forecasts_14_days_with_bands_and_the_rt_that_drives_them(client):
    response = post(
        client, {"incidence": ex.FLU2009_INCIDENCE[:16], "serial_interval": {"mean": 2.6, "sd": 1.5}, "seed": 7}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["rt"]["start"], body["rt"]["end"]) == (10, 16)
    assert body["rt"]["mean"] == pytest.approx(1.4344239, rel=1e-6)  # EpiEstim's example 3, window 10-16
    assert [d["day"] for d in body["days"]] == list(range(17, 31))
    assert [d["horizon"] for d in body["days"]] == list(range(1, 15))
    first = body["days"][0]
    assert first["quantile_0.025"] <= first["quantile_0.5"] <= first["quantile_0.975"]
    assert (
        post(
            client, {"incidence": ex.FLU2009_INCIDENCE[:16], "serial_interval": {"mean": 2.6, "sd": 1.5}, "seed": 7}
        ).json()
        == body
    )


@pytest.mark.django_db
def test_the_api_refuses_a_bad_horizon_and_a_short_series_as_problems(client):
    bad_horizon = post(client, {"incidence": STEADY, "serial_interval": {"distribution": NEXT_DAY}, "horizon": 61})
    too_short = post(
        client, {"incidence": [1, 2, 3, 4], "serial_interval": {"distribution": [0] * 5 + [1]}, "window": 2}
    )

    assert bad_horizon.status_code == 422
    assert {e["field"] for e in bad_horizon.json()["errors"]} == {"body.horizon"}
    assert too_short.status_code == 422
    assert too_short["Content-Type"].startswith("application/problem+json")
    assert too_short.json()["errors"][0]["field"] == "body.incidence"


@pytest.mark.django_db
def test_the_forecast_is_in_the_openapi_document(client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/epi/forecast"]["post"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ForecastOut")
    day = schema["components"]["schemas"]["ForecastDayOut"]["properties"]
    assert "quantile_0.975" in day and "horizon" in day
