"""Cases for the next days from the renewal equation, driven by the latest Rt posterior.

The method of the R package ``projections`` (used with EpiEstim): each of ``samples``
trajectories draws one R from the gamma posterior of the last window (the one ending on the last
day of the series) and keeps it over the horizon; day by day, its cases are Poisson with mean
``R * lambda_t``, where ``lambda_t = sum_k w_k I_{t-k}`` counts the observed cases (local and
imported) and the trajectory's own simulated ones. The forecast is the mean and the quantiles of
the trajectories for each day, so the bands carry both the uncertainty of R and the Poisson
noise of transmission. No new imported cases are assumed.

Vectorised over trajectories and series (districts); the only loop is over the days ahead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from numpy.typing import ArrayLike

from cityos.epi import rt
from cityos.epi.rt import FloatArray, InputProblem, IntArray, InvalidRtInput

DEFAULT_HORIZON = 14
MAX_HORIZON = 60
DEFAULT_SAMPLES = 1000
MAX_SAMPLES = 20_000
# Past this many cases a day the Poisson draws lose meaning (and numpy's sampler its range).
MAX_FORECAST_CASES = 1e12


@dataclass(frozen=True)
class CaseForecast:
    """Forecast cases per day ahead; arrays have a leading series axis for a batch.

    ``day`` numbers the days after the series (1-based, so the first is ``T + 1``), ``mean`` and
    ``quantiles`` (last axis in the order of :data:`rt.QUANTILES`) summarise the trajectories.
    ``rt`` is the estimate whose last window drives the forecast.
    """

    day: IntArray
    mean: FloatArray
    quantiles: FloatArray
    rt: rt.RtEstimate


def forecast_cases(
    incidence: ArrayLike,
    *,
    imported: ArrayLike | None = None,
    si_distribution: ArrayLike | None = None,
    si_mean: float | None = None,
    si_sd: float | None = None,
    window: int = rt.DEFAULT_WINDOW,
    prior_mean: float = rt.DEFAULT_PRIOR_MEAN,
    prior_sd: float = rt.DEFAULT_PRIOR_SD,
    horizon: int = DEFAULT_HORIZON,
    samples: int = DEFAULT_SAMPLES,
    seed: int | None = None,
) -> CaseForecast:
    """Forecast one series ``horizon`` days ahead; same inputs as :func:`rt.estimate_r`."""
    problems = _simulation_problems(horizon, samples)
    estimate = _estimate_or_raise(
        rt.estimate_r,
        problems,
        incidence,
        imported=imported,
        si_distribution=si_distribution,
        si_mean=si_mean,
        si_sd=si_sd,
        window=window,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
    )
    total = _total_cases(incidence, imported)[np.newaxis]
    batch = _simulate(total, estimate.shape[np.newaxis], estimate.scale[np.newaxis], estimate, horizon, samples, seed)
    return CaseForecast(day=batch.day, mean=batch.mean[0], quantiles=batch.quantiles[0], rt=estimate)


def forecast_cases_batch(
    incidence: ArrayLike,
    *,
    imported: ArrayLike | None = None,
    si_distribution: ArrayLike | None = None,
    si_mean: float | None = None,
    si_sd: float | None = None,
    window: int = rt.DEFAULT_WINDOW,
    prior_mean: float = rt.DEFAULT_PRIOR_MEAN,
    prior_sd: float = rt.DEFAULT_PRIOR_SD,
    horizon: int = DEFAULT_HORIZON,
    samples: int = DEFAULT_SAMPLES,
    seed: int | None = None,
) -> CaseForecast:
    """Forecast many series (series x days) at once, e.g. every district."""
    problems = _simulation_problems(horizon, samples)
    estimate = _estimate_or_raise(
        rt.estimate_r_batch,
        problems,
        incidence,
        imported=imported,
        si_distribution=si_distribution,
        si_mean=si_mean,
        si_sd=si_sd,
        window=window,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
    )
    total = np.atleast_2d(_total_cases(incidence, imported))
    return _simulate(total, estimate.shape, estimate.scale, estimate, horizon, samples, seed)


def _total_cases(incidence: ArrayLike, imported: ArrayLike | None) -> FloatArray:
    total = np.asarray(incidence, dtype=np.float64)
    return total if imported is None else total + np.asarray(imported, dtype=np.float64)


def _estimate_or_raise(
    estimator: Callable[..., rt.RtEstimate], problems: list[InputProblem], *args: Any, **kwargs: Any
) -> rt.RtEstimate:
    """Rt of the series, reporting its problems together with the forecast's own."""
    try:
        estimate = estimator(*args, **kwargs)
    except InvalidRtInput as error:
        raise InvalidRtInput([*error.problems, *problems]) from error
    if problems:
        raise InvalidRtInput(problems)
    return estimate


def _simulation_problems(horizon: int, samples: int) -> list[InputProblem]:
    problems = []
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or not 1 <= horizon <= MAX_HORIZON:
        problems.append(
            InputProblem(
                "horizon",
                _("Forecast from 1 to %(most)d days ahead; %(value)s is outside.")
                % {"most": MAX_HORIZON, "value": horizon},
                "out_of_range",
            )
        )
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or not 100 <= samples <= MAX_SAMPLES:
        problems.append(
            InputProblem(
                "samples",
                _("Simulate from 100 to %(most)d trajectories; %(value)s is outside.")
                % {"most": MAX_SAMPLES, "value": samples},
                "out_of_range",
            )
        )
    return problems


def _simulate(
    total: FloatArray,
    shape: FloatArray,
    scale: FloatArray,
    estimate: rt.RtEstimate,
    horizon: int,
    samples: int,
    seed: int | None,
) -> CaseForecast:
    """Trajectories for every series at once; ``total`` is series x days of observed cases."""
    days = total.shape[1]
    if estimate.end.size == 0 or estimate.end[-1] != days:
        raise InvalidRtInput(
            [
                InputProblem(
                    "incidence",
                    _(
                        "The series is too short to estimate Rt on its last days (every window ends before "
                        "the mean serial interval); give more days to forecast from."
                    ),
                    "too_short",
                )
            ]
        )
    w = np.concatenate([estimate.serial_interval, np.zeros(max(0, days + horizon + 1 - estimate.serial_interval.size))])
    # What the observed days pass on to each day ahead: sum over s <= T of w_{T+h-s} I_s.
    lags = days + np.arange(1, horizon + 1)[:, np.newaxis] - np.arange(1, days + 1)[np.newaxis, :]
    from_history = total @ w[lags].T  # series x horizon

    rng = np.random.default_rng(seed)
    series = total.shape[0]
    r = rng.gamma(shape[:, -1:], scale[:, -1:], size=(series, samples))
    simulated = np.zeros((series, samples, horizon))
    for h in range(horizon):
        # Cases simulated on earlier days ahead infect today too: sum over j < h of w_{h-j} I_j.
        from_simulated = simulated[:, :, :h] @ w[h - np.arange(h)] if h else 0.0
        expected = r * (from_history[:, h : h + 1] + from_simulated)
        if expected.max(initial=0.0) > MAX_FORECAST_CASES:
            raise InvalidRtInput(
                [
                    InputProblem(
                        "horizon",
                        _(
                            "The forecast passes %(most).0e cases a day %(days)d days ahead: Rt and the counts are "
                            "too high to forecast this far. Use a shorter horizon."
                        )
                        % {"most": MAX_FORECAST_CASES, "days": h + 1},
                        "too_far",
                    )
                ]
            )
        simulated[:, :, h] = rng.poisson(expected)
    quantiles = np.moveaxis(np.quantile(simulated, rt.QUANTILES, axis=1), 0, -1)
    return CaseForecast(
        day=np.arange(days + 1, days + horizon + 1, dtype=np.int64),
        mean=simulated.mean(axis=1),
        quantiles=np.asarray(quantiles, dtype=np.float64),
        rt=estimate,
    )
