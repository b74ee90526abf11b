"""Benchmark: Rt and 14-day forecasts for 50 districts over 3 years of daily cases (issue 5).

The issue's target is "Rt and 14-day forecasts for 50 districts over 3 years of daily data:
under 2 s". This measures the Rt part alone, and Rt with the forecast (1,000 trajectories per
district) that the forecast endpoint computes. The data are synthetic and seeded: each district's
epidemic follows the renewal equation with waves of Rt, so the series look like real ones
(long quiet spells, waves of thousands of cases a day).

    .venv/bin/python bench/epi_rt.py [--districts 50] [--days 1095] [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cityos.epi import forecast, rt

SI_MEAN, SI_SD = 4.8, 2.3  # a COVID-19-like serial interval, in days


def synthetic_cases(districts: int, days: int, seed: int = 2026) -> np.ndarray:
    """Daily cases per district from the renewal equation with seasonal waves of Rt."""
    rng = np.random.default_rng(seed)
    w = rt.discretise_serial_interval(SI_MEAN, SI_SD, 40)
    t = np.arange(days)
    cases = np.zeros((districts, days))
    cases[:, 0] = rng.integers(1, 20, districts)
    phase = rng.uniform(0, 2 * np.pi, districts)
    for day in range(1, days):
        r_t = 1.0 + 0.45 * np.sin(2 * np.pi * t[day] / 240 + phase)
        lags = min(day, len(w) - 1)
        infectivity = cases[:, day - lags : day][:, ::-1] @ w[1 : lags + 1]
        cases[:, day] = rng.poisson(r_t * infectivity + 0.5)  # + imported sparks
    return cases


def timed(function, repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=50)
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    cases = synthetic_cases(args.districts, args.days)
    print(f"{args.districts} districts x {args.days} days, {int(cases.sum()):,} cases in all")

    def parametric() -> rt.RtEstimate:
        return rt.estimate_r_batch(cases, si_mean=SI_MEAN, si_sd=SI_SD)

    si = rt.discretise_serial_interval(SI_MEAN, SI_SD, 30)
    si /= si.sum()

    def given_distribution() -> rt.RtEstimate:
        return rt.estimate_r_batch(cases, si_distribution=si)

    def one_district_at_a_time() -> None:
        for series in cases:
            rt.estimate_r(series, si_mean=SI_MEAN, si_sd=SI_SD)

    def rt_and_forecast() -> forecast.CaseForecast:
        return forecast.forecast_cases_batch(cases, si_mean=SI_MEAN, si_sd=SI_SD, horizon=14, seed=1)

    estimate = parametric()
    print(f"{estimate.mean.size:,} windows; Rt from {estimate.mean.min():.2f} to {estimate.mean.max():.2f}")
    for label, function in (
        ("Rt, all districts in one batch (parametric SI)", parametric),
        ("Rt, all districts in one batch (given SI)", given_distribution),
        ("Rt, one district at a time (parametric SI)", one_district_at_a_time),
        ("Rt and 14-day forecast, all districts (parametric SI)", rt_and_forecast),
    ):
        seconds = timed(function, args.repeat)
        print(f"{label}: median {statistics.median(seconds) * 1000:.1f} ms, best {min(seconds) * 1000:.1f} ms")
    print("target (issue 5, Rt and 14-day forecasts together): under 2000 ms")


if __name__ == "__main__":
    main()
