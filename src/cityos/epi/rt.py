"""The instantaneous reproduction number Rt by the method of Cori et al. (2013).

The same estimator as EpiEstim's ``estimate_R`` with method ``"non_parametric_si"`` (a given
discrete serial interval) or ``"parametric_si"`` (discretised from a mean and sd as EpiEstim's
``discr_si`` does), so results equal EpiEstim's for the same inputs:

* Cases are local or imported. A plain series counts the cases of day 1 as imported and all later
  ones as local; with an imported series, local cases on day 1 are moved to imported, as
  EpiEstim does (nobody in the series could have infected them).
* The overall infectivity is ``lambda_t = sum_{k=0}^{t-1} w_k (local + imported)_{t-k}``, not
  defined on day 1.
* On each window ``[s, e]`` (1-based days; by default ``s = 2 .. T - window + 1`` and
  ``e = s + window - 1``) the gamma prior (shape ``a``, scale ``b``) becomes the gamma posterior
  with shape ``a + sum(local[s..e])`` and scale ``1 / (1/b + sum(lambda[s..e]))``.
* Windows that end on or before the mean of the serial interval are left out, as EpiEstim
  leaves them out (too early for an estimate).

Everything is vectorised over the windows (cumulative sums) and over many series at once
(``estimate_r_batch``), so three years of daily data for fifty districts take milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

QUANTILES: tuple[float, ...] = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
DEFAULT_WINDOW = 7
DEFAULT_PRIOR_MEAN = 5.0
DEFAULT_PRIOR_SD = 5.0
# EpiEstim's check_si_distr accepts a distribution whose sum is within 0.01 of 1.
SI_SUM_TOLERANCE = 0.01
# A message per bad value, up to this many per field: enough to fix a file, not a flood.
MAX_PROBLEMS_PER_FIELD = 10

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class InputProblem:
    """One bad input value: where it is (``incidence.3``, ``serial_interval.mean``) and why."""

    field: str
    message: str
    code: str


class InvalidRtInput(ValueError):
    """The inputs cannot be used; ``problems`` says which value is wrong and why, each one."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in self.problems))


@dataclass(frozen=True)
class RtEstimate:
    """Posterior of Rt on each window; arrays are per window (and per series for a batch).

    ``start`` and ``end`` are 1-based day numbers, as in EpiEstim. ``quantiles`` has a last axis
    in the order of :data:`QUANTILES`. ``shape`` and ``scale`` are the gamma posterior's.
    """

    start: IntArray
    end: IntArray
    mean: FloatArray
    sd: FloatArray
    quantiles: FloatArray
    shape: FloatArray
    scale: FloatArray
    serial_interval: FloatArray = field(repr=False)
    serial_interval_mean: float = 0.0
    serial_interval_sd: float = 0.0

    def rows(self) -> list[dict[str, Any]]:
        """One plain dict per window (a single series): start, end, mean, sd, quantiles."""
        if self.mean.ndim != 1:
            raise ValueError("rows() is for a single series; index a batch estimate first")
        return [
            {
                "start": int(self.start[i]),
                "end": int(self.end[i]),
                "mean": float(self.mean[i]),
                "sd": float(self.sd[i]),
                "quantiles": dict(zip(QUANTILES, (float(q) for q in self.quantiles[i]), strict=True)),
            }
            for i in range(len(self.start))
        ]


# --- The serial interval ---------------------------------------------------------------------


def discretise_serial_interval(mean: float, sd: float, days: int) -> FloatArray:
    """``w_k`` for ``k = 0 .. days - 1``: a gamma serial interval with an offset of one day.

    EpiEstim's ``discr_si`` (Cori et al. 2013, web appendix 11): the serial interval is
    ``1 + Gamma(mean - 1, sd)``, observed with a primary event uniform within its day, so
    ``w_k`` is the triangular kernel around ``k - 1`` integrated against ``Gamma(mean - 1, sd)``;
    in closed form with ``F_a`` the gamma cdf of shape ``a`` and the same scale::

        w_k = k F_a(k) + (k-2) F_a(k-2) - 2(k-1) F_a(k-1)
              + a b (2 F_{a+1}(k-1) - F_{a+1}(k-2) - F_{a+1}(k))

    clipped at 0 where rounding leaves a tiny negative value. ``w_0`` is 0.

    The same expression with survival functions (``F = 1 - S``, term by term) is used in the
    tail, past the median, where the cdf form would subtract numbers close to ``k`` from each
    other and keep only a few digits of values below 1e-8.
    """
    _require_parametric_si(mean, sd)
    k = np.arange(days, dtype=np.float64)
    parameters = _gamma_parameters(mean - 1.0, sd)
    assert parameters is not None  # checked by _require_parametric_si
    shape, scale = parameters
    gamma = stats.gamma(shape, scale=scale)
    gamma_next = stats.gamma(shape + 1, scale=scale)  # a b F_{a+1} is the partial first moment

    def kernel(f: Any, f_next: Any) -> FloatArray:
        head = k * f(k) + (k - 2) * f(k - 2) - 2 * (k - 1) * f(k - 1)
        return np.asarray(head + shape * scale * (2 * f_next(k - 1) - f_next(k - 2) - f_next(k)), dtype=np.float64)

    by_cdf = kernel(gamma.cdf, gamma_next.cdf)
    by_sf = -kernel(gamma.sf, gamma_next.sf)
    w = np.where(gamma.cdf(k - 2) < 0.5, by_cdf, by_sf)
    return np.maximum(w, 0.0)


def overall_infectivity(total_incidence: ArrayLike, serial_interval: ArrayLike) -> FloatArray:
    """``lambda_t = sum_{k=0}^{t-1} w_k I_{t-k}`` for each day (NaN on day 1, as EpiEstim).

    ``total_incidence`` is local plus imported cases, one series or a 2-D batch (series x days).
    """
    cases = np.asarray(total_incidence, dtype=np.float64)
    w = np.asarray(serial_interval, dtype=np.float64)
    batch = np.atleast_2d(cases)
    days = batch.shape[1]
    # Only w_0 .. w_{T-1} can meet a case; trailing zeros add nothing, so they are dropped.
    w = np.trim_zeros(w[:days], trim="b")
    # A loop over series (not days): np.convolve sums each day's terms in C, exactly.
    infectivity = np.stack([np.convolve(row, w)[:days] for row in batch]) if w.size else np.zeros_like(batch)
    infectivity[:, 0] = np.nan
    return infectivity if cases.ndim == 2 else infectivity[0]


def serial_interval_moments(serial_interval: FloatArray) -> tuple[float, float]:
    """Mean and sd of a discrete serial interval (EpiEstim's SI.Moments)."""
    days = np.arange(serial_interval.size, dtype=np.float64)
    mean = float(np.sum(serial_interval * days))
    variance = float(np.sum(serial_interval * days**2)) - mean**2
    return mean, float(np.sqrt(max(variance, 0.0)))


# --- Estimation ------------------------------------------------------------------------------


def estimate_r(
    incidence: ArrayLike,
    *,
    imported: ArrayLike | None = None,
    si_distribution: ArrayLike | None = None,
    si_mean: float | None = None,
    si_sd: float | None = None,
    window: int = DEFAULT_WINDOW,
    prior_mean: float = DEFAULT_PRIOR_MEAN,
    prior_sd: float = DEFAULT_PRIOR_SD,
) -> RtEstimate:
    """Rt of one series on sliding windows, as ``EpiEstim::estimate_R``.

    Give the serial interval either as ``si_distribution`` (``w_0 = 0, w_1, ...``, summing to 1)
    or as ``si_mean`` and ``si_sd``. ``incidence`` holds the local cases when ``imported`` is
    given, all cases otherwise. Raises :class:`InvalidRtInput` naming every bad value.
    """
    problems: list[InputProblem] = []
    local = _counts(incidence, "incidence", problems, ndim=1)
    imports = None if imported is None else _counts(imported, "imported", problems, ndim=1)
    estimate = _estimate(
        None if local is None else local[np.newaxis],
        None if imports is None else imports[np.newaxis],
        problems,
        si_distribution=si_distribution,
        si_mean=si_mean,
        si_sd=si_sd,
        window=window,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
    )
    return RtEstimate(
        start=estimate.start,
        end=estimate.end,
        mean=estimate.mean[0],
        sd=estimate.sd[0],
        quantiles=estimate.quantiles[0],
        shape=estimate.shape[0],
        scale=estimate.scale[0],
        serial_interval=estimate.serial_interval,
        serial_interval_mean=estimate.serial_interval_mean,
        serial_interval_sd=estimate.serial_interval_sd,
    )


def estimate_r_batch(
    incidence: ArrayLike,
    *,
    imported: ArrayLike | None = None,
    si_distribution: ArrayLike | None = None,
    si_mean: float | None = None,
    si_sd: float | None = None,
    window: int = DEFAULT_WINDOW,
    prior_mean: float = DEFAULT_PRIOR_MEAN,
    prior_sd: float = DEFAULT_PRIOR_SD,
) -> RtEstimate:
    """Rt for many series of the same length at once (series x days), e.g. every district.

    Same rules as :func:`estimate_r`; result arrays have a leading series axis, and a bad value
    is named ``incidence.<series>.<day index>``.
    """
    problems: list[InputProblem] = []
    local = _counts(incidence, "incidence", problems, ndim=2)
    imports = None if imported is None else _counts(imported, "imported", problems, ndim=2)
    return _estimate(
        local,
        imports,
        problems,
        si_distribution=si_distribution,
        si_mean=si_mean,
        si_sd=si_sd,
        window=window,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
    )


def _estimate(
    local: FloatArray | None,
    imports: FloatArray | None,
    problems: list[InputProblem],
    *,
    si_distribution: ArrayLike | None,
    si_mean: float | None,
    si_sd: float | None,
    window: int,
    prior_mean: float,
    prior_sd: float,
) -> RtEstimate:
    """The estimator on validated 2-D counts (series x days); ``problems`` holds earlier findings."""
    if local is not None and imports is not None and imports.shape[0] != local.shape[0]:
        problems.append(
            InputProblem(
                "imported",
                _("Give imported counts for each of the %(series)d series of incidence; there are %(imported)d.")
                % {"imported": imports.shape[0], "series": local.shape[0]},
                "length_mismatch",
            )
        )
    elif local is not None and imports is not None and imports.shape != local.shape:
        problems.append(
            InputProblem(
                "imported",
                _("Give as many imported counts as days of incidence (%(days)d); this list has %(imported)d.")
                % {"imported": imports.shape[-1], "days": local.shape[-1]},
                "length_mismatch",
            )
        )
    days = local.shape[1] if local is not None else None
    si = _serial_interval(si_distribution, si_mean, si_sd, days, problems)
    _check_window(window, days, problems)
    _check_prior(prior_mean, prior_sd, problems)
    if problems:
        raise InvalidRtInput(problems)
    assert local is not None and days is not None and si is not None

    local, imports = _split_local_and_imported(local, imports)
    # EpiEstim pads the serial interval with zeros to T + 1 days before taking its moments.
    if si.size < days + 1:
        si = np.concatenate([si, np.zeros(days + 1 - si.size)])
    si_mean_used, si_sd_used = serial_interval_moments(si)
    infectivity = overall_infectivity(local + imports, si)

    starts = np.arange(2, days - window + 2, dtype=np.int64)
    ends = starts + window - 1
    kept = ends > si_mean_used  # too early for an estimate: EpiEstim drops these windows
    starts, ends = starts[kept], ends[kept]

    prior = _gamma_parameters(prior_mean, prior_sd)
    assert prior is not None  # checked by _check_prior
    a_prior, b_prior = prior
    local_sums = _window_sums(local, starts, ends)
    infectivity_sums = _window_sums(np.nan_to_num(infectivity, nan=0.0), starts, ends)
    shape = a_prior + local_sums
    scale = 1.0 / (1.0 / b_prior + infectivity_sums)
    # What scipy.stats.gamma(shape, scale=scale).ppf(q) computes, without its per-call argument
    # checks, which cost a fifth of the time on thousands of windows.
    quantiles = special.gammaincinv(shape[..., np.newaxis], np.asarray(QUANTILES)) * scale[..., np.newaxis]
    mean = shape * scale
    sd = np.sqrt(shape) * scale
    if not (np.isfinite(mean).all() and np.isfinite(sd).all() and np.isfinite(quantiles).all()):
        raise InvalidRtInput(
            [
                InputProblem(
                    "prior",
                    _("This prior gives a posterior that cannot be computed; use a less extreme mean and sd."),
                    "not_computable",
                )
            ]
        )
    return RtEstimate(
        start=starts,
        end=ends,
        mean=mean,
        sd=sd,
        quantiles=quantiles,
        shape=shape,
        scale=scale,
        serial_interval=si,
        serial_interval_mean=si_mean_used,
        serial_interval_sd=si_sd_used,
    )


def _window_sums(values: FloatArray, starts: IntArray, ends: IntArray) -> FloatArray:
    """Sum of each series over days ``start..end`` (1-based, inclusive), by cumulative sums."""
    cumulative = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, axis=1)], axis=1)
    return np.asarray(cumulative[:, ends] - cumulative[:, starts - 1], dtype=np.float64)


def _split_local_and_imported(local: FloatArray, imports: FloatArray | None) -> tuple[FloatArray, FloatArray]:
    """EpiEstim's process_I: every case of day 1 is imported."""
    local = local.copy()
    imports = np.zeros_like(local) if imports is None else imports.copy()
    imports[:, 0] += local[:, 0]
    local[:, 0] = 0.0
    return local, imports


# --- Validation ------------------------------------------------------------------------------


def _as_floats(values: ArrayLike) -> FloatArray | None:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _counts(values: ArrayLike, name: str, problems: list[InputProblem], *, ndim: int) -> FloatArray | None:
    """Case counts as a float array of ``ndim`` dimensions, or None after noting each bad value."""
    counts = _as_floats(values)
    if counts is None or counts.ndim != ndim:
        problems.append(InputProblem(name, _("Give a list of daily case counts (whole numbers)."), "not_a_series"))
        return None
    if counts.shape[-1] == 0:
        problems.append(InputProblem(name, _("Give at least one day of case counts."), "empty"))
        return None
    finite = np.isfinite(counts)
    checks = (
        (~finite, "not_a_number"),
        (finite & (counts < 0), "negative"),
        (finite & (counts >= 0) & (counts != np.floor(counts)), "not_an_integer"),
    )
    found = sorted((tuple(int(i) for i in index), code) for bad, code in checks for index in np.argwhere(bad))
    if found:
        messages = {
            "not_a_number": _("Value %(value)s on day %(day)d is not a number; give a count."),
            "negative": _("Value %(value)s on day %(day)d is negative; a count of cases cannot be below 0."),
            "not_an_integer": _("Value %(value)s on day %(day)d is not a whole number; a count of cases must be."),
        }
    for position, code in found[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            InputProblem(
                ".".join([name, *(str(i) for i in position)]),
                messages[code] % {"value": f"{counts[position]:g}", "day": position[-1] + 1},
                code,
            )
        )
    if len(found) > MAX_PROBLEMS_PER_FIELD:
        problems.append(
            InputProblem(
                name,
                ngettext(
                    "%(count)d more value is not a valid count; fix the ones listed first.",
                    "%(count)d more values are not valid counts; fix the ones listed first.",
                    len(found) - MAX_PROBLEMS_PER_FIELD,
                )
                % {"count": len(found) - MAX_PROBLEMS_PER_FIELD},
                "more_invalid",
            )
        )
    return None if found else counts


def _gamma_parameters(mean: float, sd: float) -> tuple[float, float] | None:
    """Shape and scale of the gamma distribution with this mean and sd, or None if they do not
    fit in a float (a sd far smaller or larger than the mean)."""
    with np.errstate(all="ignore"):
        shape = float((np.float64(mean) / np.float64(sd)) ** 2)
        scale = float(np.float64(sd) ** 2 / np.float64(mean))
    usable = all(np.isfinite(x) and x >= np.finfo(np.float64).tiny for x in (shape, scale))
    return (shape, scale) if usable else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _require_parametric_si(mean: float, sd: float) -> None:
    problems = _parametric_si_problems(mean, sd)
    if problems:
        raise InvalidRtInput(problems)


def _parametric_si_problems(mean: Any, sd: Any) -> list[InputProblem]:
    problems = []
    if not _is_number(mean) or not np.isfinite(mean) or mean <= 1:
        problems.append(
            InputProblem(
                "serial_interval.mean",
                _(
                    "The mean serial interval must be a number greater than 1 day (the gamma distribution is "
                    "offset by one day); it is %(value)s."
                )
                % {"value": mean},
                "too_small",
            )
        )
    if not _is_number(sd) or not np.isfinite(sd) or sd <= 0:
        problems.append(
            InputProblem(
                "serial_interval.sd",
                _("The serial interval's standard deviation must be a number above 0; it is %(value)s.")
                % {"value": sd},
                "too_small",
            )
        )
    elif not problems and _gamma_parameters(mean - 1, sd) is None:
        problems.append(
            InputProblem(
                "serial_interval.sd",
                _("The standard deviation %(value)s is too small or too large next to the mean to compute with.")
                % {"value": sd},
                "not_computable",
            )
        )
    return problems


def _serial_interval(
    distribution: ArrayLike | None,
    mean: float | None,
    sd: float | None,
    days: int | None,
    problems: list[InputProblem],
) -> FloatArray | None:
    parametric = mean is not None or sd is not None
    if distribution is not None and parametric:
        problems.append(
            InputProblem(
                "serial_interval",
                _("Give either a distribution or a mean and sd for the serial interval, not both."),
                "ambiguous",
            )
        )
        return None
    if distribution is None and not parametric:
        problems.append(
            InputProblem(
                "serial_interval",
                _("Give the serial interval as a distribution, or as a mean and sd."),
                "missing",
            )
        )
        return None
    if distribution is None:
        found = _parametric_si_problems(mean, sd)
        problems.extend(found)
        if found or days is None:
            return None
        assert mean is not None and sd is not None
        # EpiEstim discretises over days 0 .. T - 1.
        return discretise_serial_interval(float(mean), float(sd), days)
    return _checked_distribution(distribution, problems)


def _checked_distribution(distribution: ArrayLike, problems: list[InputProblem]) -> FloatArray | None:
    name = "serial_interval.distribution"
    w = _as_floats(distribution)
    if w is None or w.ndim != 1 or w.size == 0:
        problems.append(
            InputProblem(name, _("Give the serial interval as a list of probabilities for day 0, 1, 2, ..."), "empty")
        )
        return None
    before = len(problems)
    for index in np.flatnonzero(~np.isfinite(w) | (w < 0))[:MAX_PROBLEMS_PER_FIELD]:
        problems.append(
            InputProblem(
                f"{name}.{index}",
                _("The probability for day %(day)d is %(value)s; it must be a number from 0 to 1.")
                % {"day": index, "value": f"{w[index]:g}"},
                "not_a_probability",
            )
        )
    if len(problems) > before:
        return None
    if w[0] > 0:
        problems.append(
            InputProblem(
                f"{name}.0",
                _(
                    "The probability for day 0 is %(value)s; it must be 0, since a case cannot infect "
                    "another on the day it appears."
                )
                % {"value": f"{w[0]:g}"},
                "day_zero_not_zero",
            )
        )
    total = float(np.sum(w))
    if abs(total - 1.0) > SI_SUM_TOLERANCE:
        problems.append(
            InputProblem(
                name,
                _("The probabilities must sum to 1 (within %(tolerance)s); they sum to %(total)s.")
                % {"tolerance": SI_SUM_TOLERANCE, "total": f"{total:.6g}"},
                "does_not_sum_to_one",
            )
        )
    return None if len(problems) > before else w


def _check_window(window: Any, days: int | None, problems: list[InputProblem]) -> None:
    if not isinstance(window, int | np.integer) or isinstance(window, bool) or window < 1:
        problems.append(
            InputProblem("window", _("The window must be a whole number of days, at least 1."), "too_small")
        )
        return
    if days is not None and window > days - 1:
        problems.append(
            InputProblem(
                "window",
                _(
                    "The window of %(window)d days is too long for a series of %(days)d days: windows start on "
                    "day 2 (day 1 only seeds the epidemic), so it can be at most %(longest)d days."
                )
                % {"window": window, "days": days, "longest": max(days - 1, 0)},
                "too_long",
            )
        )


def _check_prior(mean: Any, sd: Any, problems: list[InputProblem]) -> None:
    valid = True
    if not _is_number(mean) or not np.isfinite(mean) or mean <= 0:
        valid = False
        problems.append(
            InputProblem(
                "prior.mean",
                _("The prior's mean must be a number above 0; it is %(value)s.") % {"value": mean},
                "not_positive",
            )
        )
    if not _is_number(sd) or not np.isfinite(sd) or sd <= 0:
        valid = False
        problems.append(
            InputProblem(
                "prior.sd",
                _("The prior's standard deviation must be a number above 0; it is %(value)s.") % {"value": sd},
                "not_positive",
            )
        )
    if valid and _gamma_parameters(mean, sd) is None:
        problems.append(
            InputProblem(
                "prior",
                _("This prior's mean and standard deviation are too far apart to compute with."),
                "not_computable",
            )
        )
