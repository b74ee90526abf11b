"""/api/v1/epi: the reproduction number of any case series, computed as EpiEstim does; the
city's daily reports (case counts, lab results, hospital reports: health officers write them);
the hourly figures, forecasts and the community-risk map layer (public, small counts suppressed).

/rt and /forecast are public: the caller sends counts, not people, and nothing is stored. Type errors are answered by
the schemas below; the estimator's own rules (a serial interval that sums to 1, a window that
fits the series...) come back from :mod:`cityos.epi.rt` as field errors of the same 422 problem.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal, cast

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from cityos.core.api.auth import api_auth, require_roles
from cityos.core.api.problems import ApiProblem, validation_problem
from cityos.core.api.schemas import Day
from cityos.core.geo.models import District
from cityos.epi import conf, forecast, rt, selectors, services
from cityos.epi.models import Forecast, HospitalReport

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


# --- The city's daily reports (health officers write) -------------------------------------

ReportCount = Annotated[int, Field(ge=0, le=services.MAX_COUNT)]


class CaseCountIn(Schema):
    district: str = Field(..., description="District code.", examples=["old-town"])
    date: Day = Field(..., description="Day of the cases (not in the future).")
    local: ReportCount = Field(0, description="New local cases that day.")
    imported: ReportCount = Field(0, description="New imported cases that day.")


class CaseCountOut(Schema):
    district: str
    date: datetime.date
    local: int
    imported: int


class LabResultIn(Schema):
    district: str = Field(..., description="District code.")
    date: Day
    tests: ReportCount = Field(..., description="Tests done that day.")
    positives: ReportCount = Field(..., description="Positive tests that day; at most `tests`.")


class LabResultOut(Schema):
    district: str
    date: datetime.date
    tests: int
    positives: int


class HospitalReportIn(Schema):
    hospital: int = Field(..., description="Id of a place of kind hospital (GET /api/v1/geo/places?kind=hospital).")
    date: Day
    beds_total: ReportCount
    beds_occupied: ReportCount = Field(..., description="At most beds_total.")
    icu_total: ReportCount
    icu_occupied: ReportCount = Field(..., description="At most icu_total.")
    ventilators_total: ReportCount
    ventilators_occupied: ReportCount = Field(..., description="At most ventilators_total.")


class HospitalReportOut(HospitalReportIn):
    hospital_name: str


class CsvImportIn(Schema):
    csv: str = Field(
        ...,
        max_length=services.MAX_CSV_BYTES,
        description="The CSV text, with a header row naming the kind's columns (see the staff import page).",
    )


class EpiImportRowOut(Schema):
    row: int
    key: str
    date: str
    result: str = Field(..., description="new, changed or refused")
    errors: list[str]


class ImportReportOut(Schema):
    saved: bool
    summary: str
    file_errors: list[str]
    rows: list[EpiImportRowOut]


def _district_row(kind: str, row: Any) -> dict[str, Any]:
    return {**{f: getattr(row, f) for f in ("date", *services.KINDS[kind].counts)}, "district": row.district.code}


@router.post("/cases", response={201: CaseCountOut}, auth=api_auth, summary="Report a district's cases for a day")
def report_cases(request: HttpRequest, payload: CaseCountIn) -> Status:
    """Health officers: the day's new cases (replaces an earlier report of the same day)."""
    user = require_roles(request, conf.WRITE_ROLES)
    return Status(201, _district_row("cases", services.save_report("cases", payload.dict(), by=user)))


@router.post("/lab-results", response={201: LabResultOut}, auth=api_auth, summary="Report a district's tests for a day")
def report_lab_results(request: HttpRequest, payload: LabResultIn) -> Status:
    """Health officers: tests done and positive (replaces an earlier report of the same day)."""
    user = require_roles(request, conf.WRITE_ROLES)
    return Status(201, _district_row("lab", services.save_report("lab", payload.dict(), by=user)))


@router.post(
    "/hospital-reports",
    response={201: HospitalReportOut},
    auth=api_auth,
    summary="Report a hospital's capacity for a day",
)
def report_hospital(request: HttpRequest, payload: HospitalReportIn) -> Status:
    """Health officers: beds, ICU beds and ventilators, total and occupied; occupied above the
    total is refused, naming the value."""
    user = require_roles(request, conf.WRITE_ROLES)
    report = cast(HospitalReport, services.save_report("hospital", payload.dict(), by=user))
    fields = {f: getattr(report, f) for f in ("date", *services.KINDS["hospital"].counts)}
    return Status(201, {**fields, "hospital": report.hospital_id, "hospital_name": report.hospital.name})


@router.post("/imports/{kind}", response=ImportReportOut, auth=api_auth, summary="Import a CSV file of daily reports")
def import_reports(
    request: HttpRequest, kind: Literal["cases", "lab", "hospital"], payload: CsvImportIn, dry_run: bool = False
) -> dict[str, Any]:
    """All or nothing: one refused row saves nothing; the report says row by row why."""
    user = require_roles(request, conf.WRITE_ROLES)
    report = services.import_csv(kind, payload.csv, by=user, dry_run=dry_run)
    return {
        "saved": report.saved,
        "summary": report.summary(),
        "file_errors": report.file_errors,
        "rows": [
            {"row": i.number, "key": i.key, "date": i.label, "result": i.action_label, "errors": i.errors}
            for i in report.items
        ],
    }


# --- Public figures ------------------------------------------------------------------------


class RiskProperties(Schema):
    code: str
    name: str
    population: int | None
    cases_7d: int | None = Field(..., description="Null when fewer than the small-count threshold (suppressed).")
    incidence_per_100k: float | None = Field(..., description="New cases per 100,000 people over 7 days.")
    trend: Literal["rising", "falling", "stable"]
    rt: float | None
    rt_lower: float | None
    rt_upper: float | None
    risk: Literal["low", "moderate", "substantial", "high", "unknown"]
    as_of: str | None


class RiskFeature(Schema):
    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: RiskProperties


class RiskCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[RiskFeature]


@router.get(
    "/risk",
    response=RiskCollection,
    summary="Community risk per district (GeoJSON map layer)",
    url_name="epi_risk_map",
    openapi_extra={
        "responses": {
            200: {"content": {"application/geo+json": {"schema": {"$ref": "#/components/schemas/RiskCollection"}}}}
        }
    },
)
def risk_map(request: HttpRequest) -> HttpResponse:
    """Every district's boundary with its 7-day incidence per 100,000, trend, Rt and risk level,
    as of the last hourly update. Counts below the small-count threshold are null."""
    snapshot = selectors.snapshot()
    collection = selectors.risk_feature_collection(snapshot.data if snapshot else None, get_language())
    return HttpResponse(json.dumps(collection, ensure_ascii=False), content_type="application/geo+json")


class ForecastFilters(Schema):
    area: str = Field("", description="District code; empty for the whole city.", max_length=50)
    issue_date: Day | None = Field(None, description="Day the forecast was made; the latest by default.")


class StoredForecastOut(Schema):
    area: str
    issue_date: datetime.date
    horizon: int
    target_date: datetime.date
    mean: float
    median: float
    lower: float = Field(..., description="2.5% quantile")
    q25: float
    q75: float
    upper: float = Field(..., description="97.5% quantile")


@router.get("/forecasts", response=list[StoredForecastOut], summary="Stored 14-day case forecasts")
def stored_forecasts(request: HttpRequest, filters: Query[ForecastFilters]) -> list[Forecast] | HttpResponse:
    """The forecasts the hourly job made for an area (the city by default), one row per day ahead."""
    if filters.area and not District.objects.filter(code=filters.area).exists():
        message = _("There is no district %(code)s: give a district code, or none for the city.")
        error = {"field": "query.area", "message": message % {"code": filters.area}, "code": "unknown_district"}
        return validation_problem(request, [error])
    rows = Forecast.objects.filter(area=filters.area)
    issue_date = filters.issue_date or rows.order_by("-issue_date").values_list("issue_date", flat=True).first()
    if issue_date is None:
        return []
    return list(rows.filter(issue_date=issue_date).order_by("horizon"))


@router.get("/dashboard", response=dict[str, Any], summary="The public dashboard's figures")
def dashboard_figures(request: HttpRequest) -> dict[str, Any]:
    """Everything the public dashboard shows, as of the last hourly update (small counts are null)."""
    snapshot = selectors.snapshot()
    if snapshot is None:
        raise ApiProblem(404, _("No figures yet: they appear after the first hourly update."))
    return {"computed_at": snapshot.computed_at.isoformat(), **snapshot.data}
