"""The arithmetic of the hourly job, on plain arrays: community risk, forecast accuracy and
the hospital occupancy model. No database here, so each piece is tested on its own.

Hospital occupancy (a deliberately simple model, fitted to the city's own data): people stay
``L`` days, and a share ``a`` of the cases of each day is admitted, so the occupancy on day
``t`` is ``a * (cases on days t-L+1 .. t)``. ``L`` (1 to 21 days) and ``a`` are the least-squares
fit to the last 120 days of reported occupancy (for each ``L``, ``a`` has a closed form; the
``L`` with the smallest error wins). The forecast applies the same sum to the observed cases
and the 14-day case forecast (its median, and its 2.5% and 97.5% quantiles for the band), then
shifts by the last day's gap between model and report, so it starts from what hospitals said.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

FIT_DAYS = 120
MAX_STAY_DAYS = 21
RISK_LEVELS = ("low", "moderate", "substantial", "high")
# New cases per 100,000 people over 7 days at which each level starts (the CDC's community
# transmission thresholds): low below 10, moderate from 10, substantial from 50, high from 100.
RISK_THRESHOLDS = (10.0, 50.0, 100.0)


def suppress(value: float | int | None, threshold: int) -> float | int | None:
    """A count for the public: ``None`` (shown as "fewer than N") when it is 1 .. threshold-1."""
    if value is None:
        return None
    return None if 0 < value < threshold else value


def published(values: np.ndarray, threshold: int) -> np.ndarray:
    """``values`` as the public may know them: a count shown as "fewer than N" (1 .. N-1) stands
    at the middle of that range. Sums, averages and shares are built from these, so none gives a
    hidden count away (an exact 7-day average, differenced with the day before's, would)."""
    values = np.asarray(values, dtype=float)
    hidden = (values > 0) & (values < threshold)
    return np.where(hidden, threshold / 2, values)


def published_value(count: float, threshold: int) -> float:
    """One count as the public may know it (see ``published``): a hidden count is threshold/2."""
    return threshold / 2 if hidden(count, threshold) else float(count)


def hidden(value: float, threshold: int) -> bool:
    """Whether a count is shown only as "fewer than N"."""
    return 0 < value < threshold


def incidence_per_100k(cases_7d: int, population: int | None) -> float | None:
    if not population:
        return None
    return round(cases_7d * 100_000 / population, 1)


def risk_level(incidence: float | None) -> str:
    if incidence is None:
        return "unknown"
    return RISK_LEVELS[int(np.searchsorted(RISK_THRESHOLDS, incidence, side="right"))]


def trend(last_7d: float, previous_7d: float) -> str:
    """Rising or falling when the last week differs from the one before by more than 10%.

    Give it the weeks as published (``published``/``published_value``), never exact sums: a
    category computed from an exact count could give a hidden one back."""
    if last_7d > 1.1 * previous_7d and last_7d - previous_7d >= 2:
        return "rising"
    if last_7d < 0.9 * previous_7d and previous_7d - last_7d >= 2:
        return "falling"
    return "stable"


def mape_by_horizon(
    horizons: ArrayLike, predicted: ArrayLike, actual: ArrayLike, max_horizon: int
) -> list[dict[str, float | int | None]]:
    """Mean absolute percentage error of past forecasts per horizon, in %; days with 0 actual
    cases are left out (their percentage error is undefined)."""
    h = np.asarray(horizons, dtype=np.int64)
    p = np.asarray(predicted, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    usable = a > 0
    rows: list[dict[str, float | int | None]] = []
    for horizon in range(1, max_horizon + 1):
        chosen = usable & (h == horizon)
        n = int(chosen.sum())
        mape = float(np.mean(np.abs(p[chosen] - a[chosen]) / a[chosen]) * 100) if n else None
        rows.append({"horizon": horizon, "mape": None if mape is None else round(mape, 1), "n": n})
    return rows


def _trailing_sums(values: np.ndarray, stay: int) -> np.ndarray:
    """sum(values[t-stay+1 .. t]) for every t (shorter at the start)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(1, len(values) + 1)
    return np.asarray(cumulative[index] - cumulative[np.maximum(index - stay, 0)], dtype=np.float64)


@dataclass(frozen=True)
class OccupancyModel:
    admission_rate: float  # share of cases admitted
    length_of_stay: int  # days


def fit_occupancy(cases: ArrayLike, occupied: ArrayLike) -> OccupancyModel | None:
    """The admission rate and length of stay that best explain ``occupied`` from ``cases``
    (same days, oldest first); None without enough days of both."""
    c = np.asarray(cases, dtype=np.float64)
    o = np.asarray(occupied, dtype=np.float64)
    if len(c) != len(o) or len(c) < MAX_STAY_DAYS + 7:
        return None
    fitted_days = slice(max(MAX_STAY_DAYS, len(c) - FIT_DAYS), len(c))
    best: tuple[float, OccupancyModel] | None = None
    for stay in range(1, MAX_STAY_DAYS + 1):
        s = _trailing_sums(c, stay)[fitted_days]
        y = o[fitted_days]
        denominator = float(s @ s)
        if denominator == 0:
            continue
        rate = float(s @ y) / denominator
        error = float(np.sum((y - rate * s) ** 2))
        if best is None or error < best[0]:
            best = (error, OccupancyModel(rate, stay))
    return None if best is None else best[1]


def forecast_occupancy(
    model: OccupancyModel, cases: ArrayLike, occupied_today: float, forecast_cases: ArrayLike
) -> np.ndarray:
    """Occupancy on each forecast day, anchored on today's reported occupancy."""
    observed = np.asarray(cases, dtype=np.float64)
    ahead = np.asarray(forecast_cases, dtype=np.float64)
    sums = _trailing_sums(np.concatenate([observed, ahead]), model.length_of_stay)
    modelled = model.admission_rate * sums
    offset = occupied_today - modelled[len(observed) - 1]
    return np.asarray(np.maximum(modelled[len(observed) :] + offset, 0.0), dtype=np.float64)


def first_crossing(values: ArrayLike, capacity: float) -> int | None:
    """Index of the first value above ``capacity``, or None."""
    above = np.flatnonzero(np.asarray(values, dtype=np.float64) > capacity)
    return int(above[0]) if above.size else None
