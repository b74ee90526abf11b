"""/api/v1/epi: the reproduction number of any case series, computed as EpiEstim does.

Public: the caller sends counts, not people, and nothing is stored. Type errors are answered by
the schemas below; the estimator's own rules (a serial interval that sums to 1, a window that
fits the series...) come back from :mod:`cityos.epi.rt` as field errors of the same 422 problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from cityos.core.api.problems import ApiProblem
from cityos.epi import forecast, rt

router = Router()

# Bounds that keep one request cheap (the estimate is quadratic in the serial interval's length
# at worst) and every number representable; 10,000 days is more than 27 years of daily data.
MAX_DAYS = 10_000
MAX_SERIAL_INTERVAL_DAYS = 1_000
MAX_DAILY_COUNT = 1_000_000_000

Count = Annotated[int, Field(ge=0, le=MAX_DAILY_COUNT)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


# --- Schemas -------------------------------------------------------------------------------


class SerialIntervalIn(Schema):
    """The serial interval: a discrete distribution, or a mean and sd to discretise."""

    distribution: list[FiniteFloat] | None = Field(
        None,
        min_length=1,
        max_length=MAX_SERIAL_INTERVAL_DAYS,
        description=(
            "Probability that the serial interval is 0, 1, 2, ... days (EpiEstim's si_distr, method "
            '"non_parametric_si"). The day-0 value must be 0 and the values must sum to 1 (within 0.01).'
        ),
        examples=[[0, 0.233, 0.359, 0.198, 0.103, 0.053, 0.027, 0.014, 0.007, 0.003, 0.002, 0.001]],
    )
    mean: float | None = Field(
        None,
        gt=1,
        le=365,
        allow_inf_nan=False,
        description=(
            'Mean serial interval in days (method "parametric_si"): discretised from a gamma distribution '
            "offset by one day, as EpiEstim's discr_si does, so it must be above 1. Give it with sd."
        ),
        examples=[2.6],
    )
    sd: float | None = Field(
        None, gt=0, le=365, allow_inf_nan=False, description="Standard deviation of the serial interval, in days."
    )


class PriorIn(Schema):
    """The gamma prior of Rt, by its mean and standard deviation."""

    mean: float = Field(rt.DEFAULT_PRIOR_MEAN, gt=0, le=1_000, allow_inf_nan=False)
    sd: float = Field(rt.DEFAULT_PRIOR_SD, gt=0, le=1_000, allow_inf_nan=False)


class RtRequest(Schema):
    incidence: list[Count] = Field(
        ...,
        min_length=2,
        max_length=MAX_DAYS,
        description=(
            "Daily case counts, oldest first. With `imported`, the local cases; without it, all cases, and "
            "the cases of day 1 count as imported (as in EpiEstim)."
        ),
        examples=[[1, 1, 0, 2, 5, 3, 3, 3, 6, 2, 5, 9, 13, 12, 13, 11, 12, 6, 6, 6, 3, 1, 0, 2, 0]],
    )
    imported: list[Count] | None = Field(
        None,
        max_length=MAX_DAYS,
        description="Daily imported cases, one per day of `incidence`. Local cases on day 1 are counted as imported.",
    )
    serial_interval: SerialIntervalIn = Field(
        ..., description="Either `distribution`, or `mean` and `sd`.", examples=[{"mean": 2.6, "sd": 1.5}]
    )
    window: int = Field(
        rt.DEFAULT_WINDOW,
        ge=1,
        le=MAX_DAYS,
        description="Days in each sliding window; windows start on day 2, so at most the series' length minus 1.",
    )
    prior: PriorIn = Field(
        default_factory=lambda: PriorIn(mean=rt.DEFAULT_PRIOR_MEAN, sd=rt.DEFAULT_PRIOR_SD),
        description="Gamma prior of Rt (EpiEstim's default: 5 and 5).",
    )


class RtWindowOut(Schema):
    """The posterior of Rt over one window of days."""

    start: int = Field(..., description="First day of the window, 1-based (EpiEstim's t_start).")
    end: int = Field(..., description="Last day of the window, 1-based (EpiEstim's t_end).")
    mean: float = Field(..., description="Posterior mean of Rt.")
    sd: float = Field(..., description="Posterior standard deviation of Rt.")
    quantile_0_025: float = Field(..., alias="quantile_0.025", description="2.5% quantile of the posterior.")
    quantile_0_05: float = Field(..., alias="quantile_0.05", description="5% quantile of the posterior.")
    quantile_0_25: float = Field(..., alias="quantile_0.25", description="25% quantile of the posterior.")
    quantile_0_5: float = Field(..., alias="quantile_0.5", description="Median of the posterior.")
    quantile_0_75: float = Field(..., alias="quantile_0.75", description="75% quantile of the posterior.")
    quantile_0_95: float = Field(..., alias="quantile_0.95", description="95% quantile of the posterior.")
    quantile_0_975: float = Field(..., alias="quantile_0.975", description="97.5% quantile of the posterior.")


class ForecastRequest(RtRequest):
    horizon: int = Field(forecast.DEFAULT_HORIZON, ge=1, le=forecast.MAX_HORIZON, description="Days to forecast.")
    samples: int = Field(
        forecast.DEFAULT_SAMPLES,
        ge=100,
        le=forecast.MAX_SAMPLES,
        description="Simulated trajectories: more give steadier bands and take longer.",
    )
    seed: int | None = Field(
        None, ge=0, le=2**63 - 1, description="Seed of the simulation, to get the same forecast again."
    )


class ForecastDayOut(Schema):
    """Forecast cases on one day after the series: the mean and quantiles of the trajectories."""

    day: int = Field(..., description="Day number, 1-based, continuing the series (its last day + 1, + 2, ...).")
    horizon: int = Field(..., description="Days after the last day of the series.")
    mean: float = Field(..., description="Mean forecast cases.")
    quantile_0_025: float = Field(..., alias="quantile_0.025", description="2.5% quantile: lower end of the 95% band.")
    quantile_0_05: float = Field(..., alias="quantile_0.05", description="5% quantile: lower end of the 90% band.")
    quantile_0_25: float = Field(..., alias="quantile_0.25", description="25% quantile: lower end of the 50% band.")
    quantile_0_5: float = Field(..., alias="quantile_0.5", description="Median forecast cases.")
    quantile_0_75: float = Field(..., alias="quantile_0.75", description="75% quantile: upper end of the 50% band.")
    quantile_0_95: float = Field(..., alias="quantile_0.95", description="95% quantile: upper end of the 90% band.")
    quantile_0_975: float = Field(..., alias="quantile_0.975", description="97.5% quantile: upper end of the 95% band.")


class ForecastOut(Schema):
    rt: RtWindowOut = Field(..., description="The Rt posterior of the last window, which drives the forecast.")
    days: list[ForecastDayOut]


def _quantile_fields(values: Iterable[float]) -> dict[str, float]:
    return {f"quantile_{q}": float(v) for q, v in zip(rt.QUANTILES, values, strict=True)}


def _as_problem(error: rt.InvalidRtInput) -> ApiProblem:
    return ApiProblem(
        422, errors=[{"field": f"body.{p.field}", "message": p.message, "code": p.code} for p in error.problems]
    )


# --- Operations ----------------------------------------------------------------------------


@router.post(
    "/rt",
    response=list[RtWindowOut],
    by_alias=True,
    summary="Reproduction number (Rt) of a case series",
    url_name="rt",
)
def reproduction_number(request: HttpRequest, payload: RtRequest) -> list[dict[str, Any]]:
    """Rt on sliding windows by the method of Cori et al. (2013), equal to EpiEstim's `estimate_R`
    (methods "non_parametric_si" and "parametric_si") for the same inputs.

    One object per window, oldest first. Windows that end on or before the mean serial interval
    are left out, as EpiEstim leaves them out. Nothing is stored.
    """
    si = payload.serial_interval
    try:
        estimate = rt.estimate_r(
            payload.incidence,
            imported=payload.imported,
            si_distribution=si.distribution,
            si_mean=si.mean,
            si_sd=si.sd,
            window=payload.window,
            prior_mean=payload.prior.mean,
            prior_sd=payload.prior.sd,
        )
    except rt.InvalidRtInput as error:
        raise _as_problem(error) from error
    return [_window(row) for row in estimate.rows()]


def _window(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "start": row["start"],
        "end": row["end"],
        "mean": row["mean"],
        "sd": row["sd"],
        **{f"quantile_{q}": value for q, value in row["quantiles"].items()},
    }


@router.post(
    "/forecast",
    response=ForecastOut,
    by_alias=True,
    summary="Forecast cases for the next days (renewal equation)",
    url_name="forecast",
)
def case_forecast(request: HttpRequest, payload: ForecastRequest) -> dict[str, Any]:
    """Cases for the next `horizon` days (14 by default) with uncertainty bands, from the renewal
    equation driven by the Rt posterior of the last window (the method of the R package
    `projections`): each trajectory draws R from that posterior and Poisson cases day by day.

    Takes the same series, serial interval, window and prior as `/rt`; the series must be long
    enough for a window to end on its last day after the mean serial interval. Nothing is stored.
    """
    si = payload.serial_interval
    try:
        result = forecast.forecast_cases(
            payload.incidence,
            imported=payload.imported,
            si_distribution=si.distribution,
            si_mean=si.mean,
            si_sd=si.sd,
            window=payload.window,
            prior_mean=payload.prior.mean,
            prior_sd=payload.prior.sd,
            horizon=payload.horizon,
            samples=payload.samples,
            seed=payload.seed,
        )
    except rt.InvalidRtInput as error:
        raise _as_problem(error) from error
    last_day = int(result.day[0]) - 1
    return {
        "rt": _window(result.rt.rows()[-1]),
        "days": [
            {"day": int(day), "horizon": int(day) - last_day, "mean": float(mean), **_quantile_fields(quantiles)}
            for day, mean, quantiles in zip(result.day, result.mean, result.quantiles, strict=True)
        ],
    }
