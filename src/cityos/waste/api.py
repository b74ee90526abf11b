"""/api/v1/waste: bins (with forecasts), vehicles, daily plans and their routes, crews marking
stops collected, breakdown re-plans, the stored policy comparison, and residents' bin reports
(public POST; staff read them). CSV via ``?format=csv``
on lists, GeoJSON for bins and routes, GPX per route.

Planning needs an operator; crews (operators and service agents) read routes and mark stops.
Errors are RFC 9457 problems; a service's refusal is a 422 naming the field.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import Throttled
from pydantic import WithJsonSchema, field_validator

from cityos.core.api.auth import api_auth, require_roles
from cityos.core.api.bodies import JsonOrForm, form_alternative, is_form
from cityos.core.api.pagination import csv_export, paginate
from cityos.core.api.problems import PROBLEM_CONTENT_TYPE, ApiProblem
from cityos.core.api.schemas import CLEAN_TEXT, Day, Moment
from cityos.core.audit.services import record_access
from cityos.core.ratelimit import over_hourly_limit, retry_after
from cityos.waste import conf, geo, limits, photos, selectors, services
from cityos.waste.models import (
    MEDIA_URL_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    Bin,
    BinKind,
    BinReport,
    Comparison,
    ComparisonFailure,
    ComparisonStatus,
    MissedReason,
    Plan,
    PlanJob,
    PlanJobStatus,
    PlanStatus,
    ReportChannel,
    ReportProblem,
    ReportResolution,
    Route,
    RouteStatus,
    Stop,
    StopKind,
)

router = Router()


def _local_time(value: time | None) -> time | None:
    """Times of day are local wall-clock times: an offset sent with one is dropped."""
    return value.replace(tzinfo=None) if value is not None else None


# Answered without an offset ("06:30:00"), which JSON Schema's format "time" would refuse.
LocalTime = Annotated[
    time,
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}(\.\d+)?$", "description": "Local time of day"}),
]
# Taken with or without seconds; an offset is accepted and dropped (see _local_time).
LocalTimeIn = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$",
            "description": "Local time of day (HH:MM or HH:MM:SS)",
        }
    ),
]


class BinIn(Schema):
    ref: str = Field(..., min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    kind: BinKind = BinKind.GENERAL
    volume_litres: int = Field(..., ge=10, le=40000)
    compaction_factor: float = Field(1.0, ge=1, le=20)
    longitude: float = Field(..., ge=-180, le=180)
    latitude: float = Field(..., ge=-90, le=90)
    address: str = Field("", max_length=300)
    district_id: int | None = None
    access_from: LocalTimeIn | None = None
    access_until: LocalTimeIn | None = None
    service_minutes: float = Field(2.0, ge=0, le=60)
    thing_id: int | None = Field(None, description="The sensing Thing of its fill-level sensor")
    datastream_id: int | None = Field(None, description="Its fill-level Datastream (%)")

    _times = field_validator("access_from", "access_until")(_local_time)


class BinPatch(Schema):
    kind: BinKind | None = None
    volume_litres: int | None = Field(None, ge=10, le=40000)
    compaction_factor: float | None = Field(None, ge=1, le=20)
    longitude: float | None = Field(None, ge=-180, le=180)
    latitude: float | None = Field(None, ge=-90, le=90)
    address: str | None = Field(None, max_length=300)
    access_from: LocalTimeIn | None = None
    access_until: LocalTimeIn | None = None
    is_active: bool | None = None

    _times = field_validator("access_from", "access_until")(_local_time)


class BinOut(Schema):
    id: int
    ref: str
    kind: BinKind
    volume_litres: int
    compaction_factor: float
    longitude: float | None
    latitude: float | None
    address: str
    district: str | None = Field(None, description="District code")
    access_from: LocalTime | None
    access_until: LocalTime | None
    thing_id: int | None
    datastream_id: int | None
    is_active: bool
    last_fill: float | None = Field(None, description="Latest fill (%)")
    last_fill_at: datetime | None
    fill_rate: float | None = Field(None, description="Mean fill rate (% per hour)")
    full_at: datetime | None = Field(None, description="Predicted time the bin is full")
    full_at_early: datetime | None = Field(None, description="Early end of the 80% interval")
    full_at_late: datetime | None = Field(None, description="Late end of the 80% interval")
    overflow_risk: float | None = Field(None, description="Probability it is full before the next shift")

    @staticmethod
    def resolve_district(bin: Bin) -> str | None:
        return bin.district.code if bin.district else None


class BinFilters(Schema):
    q: str = Field("", max_length=100)
    kind: BinKind | Literal[""] = ""
    district_id: int | None = None
    min_risk: float | None = Field(None, ge=0, le=1)
    order: Literal["ref", "-ref", "fill", "-fill", "risk", "-risk", "full", "-full"] = "-risk"


class VehicleIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    registration: str = Field("", max_length=20)
    depot_id: int
    volume_litres: int = Field(..., ge=100, le=200000)
    weight_kg: int = Field(..., ge=100, le=40000)
    shift_start: LocalTimeIn
    shift_end: LocalTimeIn
    break_minutes: int = Field(30, ge=0, le=240)
    break_after_minutes: int = Field(240, ge=0, le=720)
    co2_kg_per_km: float = Field(1.2, ge=0, le=10)

    _times = field_validator("shift_start", "shift_end")(_local_time)


class VehicleOut(Schema):
    id: int
    name: str
    registration: str
    depot_id: int
    volume_litres: int
    weight_kg: int
    shift_start: LocalTime
    shift_end: LocalTime
    break_minutes: int
    break_after_minutes: int
    co2_kg_per_km: float
    is_active: bool


class StopOut(Schema):
    id: int
    sequence: int
    kind: StopKind
    bin_id: int | None
    bin_ref: str | None = None
    label: str
    longitude: float
    latitude: float
    eta: datetime
    required: bool
    predicted_fill: float | None
    collected: bool
    collected_at: datetime | None
    fill_at_pickup: float | None
    missed_reason: MissedReason | None = Field(None, description="Why the crew could not empty it (null: not reported)")
    missed_note: str = ""
    missed_at: datetime | None = None
    has_photo: bool = Field(
        False, description="True: the crew attached a photo of what it saw (planners see it on the web)"
    )

    @staticmethod
    def resolve_missed_reason(stop: Stop) -> str | None:
        return stop.missed_reason or None

    @staticmethod
    def resolve_has_photo(stop: Stop) -> bool:
        return bool(stop.missed_photo)

    @staticmethod
    def resolve_bin_ref(stop: Stop) -> str | None:
        return stop.bin.ref if stop.bin else None


class RouteOut(Schema):
    id: int
    plan_id: int
    vehicle_id: int
    vehicle: str
    status: RouteStatus
    start_at: datetime
    end_at: datetime
    distance_km: float
    trips: int = Field(..., description="Trips to the disposal site")
    load_litres: float
    load_kg: float
    stops: list[StopOut]

    @staticmethod
    def resolve_vehicle(route: Route) -> str:
        return route.vehicle.name

    @staticmethod
    def resolve_distance_km(route: Route) -> float:
        return round(route.distance_m / 1000, 2)

    @staticmethod
    def resolve_stops(route: Route) -> list[Stop]:
        return list(selectors.stops(route))


class OmissionOut(Schema):
    bin_id: int
    bin_ref: str
    required: bool
    reason: str = Field(
        ...,
        description="no_location, too_big, time_window, no_vehicle, shift_over (a re-plan's), fleet_full or "
        "crew_missed (a re-plan's)",
    )
    detail: str = Field(..., description="Why, in the reader's language")


class ProblemOut(Schema):
    code: str
    count: int
    message: str = Field(..., description="In the reader's language")


class PlanOut(Schema):
    id: int
    date: date
    status: PlanStatus
    created_at: datetime
    replans_id: int | None
    travel_model: str
    solver_seconds: float
    feasible: bool = Field(..., description="False when a constraint could not be met (see problems)")
    problems: list[ProblemOut]
    distance_km: float
    driven_before_km: float = Field(
        ...,
        description="A breakdown's re-plan: what the vehicles had driven that day on the plans it replaced "
        "(the day's kilometres are this plus distance_km); 0 otherwise",
    )
    bins_planned: int

    @staticmethod
    def resolve_distance_km(plan: Plan) -> float:
        return round(plan.distance_m / 1000, 2)

    @staticmethod
    def resolve_problems(plan: Plan) -> list[dict[str, object]]:
        return plan.problem_list()  # said in the reader's language

    @staticmethod
    def resolve_driven_before_km(plan: Plan) -> float:
        return round(selectors.driven_before_m(plan) / 1000, 2) if plan.replans_id else 0.0


class PlanDetailOut(PlanOut):
    routes: list[RouteOut]
    left_out: list[OmissionOut]

    @staticmethod
    def resolve_routes(plan: Plan) -> list[Route]:
        return list(plan.routes.select_related("vehicle"))

    @staticmethod
    def resolve_left_out(plan: Plan) -> list[dict[str, Any]]:
        return [
            {
                "bin_id": o.bin_id,
                "bin_ref": o.bin.ref,
                "required": o.required,
                "reason": o.reason,
                "detail": o.explanation,
            }
            for o in plan.omissions.select_related("bin")
        ]


class PlanIn(Schema):
    date: Day
    seconds: float | None = Field(
        None,
        gt=0,
        le=conf.MAX_REQUEST_SOLVE_SECONDS,
        description="Solver time limit (defaults to the setting); it stops sooner once it finds no shorter routes",
    )


class CollectedIn(Schema):
    fill: float | None = Field(None, ge=0, le=150, description="Fill seen at pickup (%)")
    at: Moment | None = None


# A note as typed, without the bidi controls (core's CLEAN_TEXT, as the pages' forms keep it).
Note = Annotated[str, Field(max_length=NOTE_MAX_LENGTH), CLEAN_TEXT]


class MissedIn(Schema):
    reason: MissedReason = Field(description="Why the bin could not be emptied")
    note: Note = Field("", description="What the crew saw (kept on a damaged-bin report)")
    at: Moment | None = None


class BreakdownIn(Schema):
    at: Moment | None = Field(None, description="When it broke down (default now)")
    seconds: float | None = Field(None, gt=0, le=conf.MAX_REQUEST_SOLVE_SECONDS)


# --- Bins ------------------------------------------------------------------------------------


@router.get("/bins", response=list[BinOut], auth=api_auth, summary="Bins with their forecasts")
@csv_export(BinOut, filename="bins")
@paginate
def list_bins(request: HttpRequest, filters: Query[BinFilters]) -> object:
    require_roles(request, conf.CREW_ROLES)
    return selectors.bins(
        q=filters.q, kind=filters.kind, district_id=filters.district_id, min_risk=filters.min_risk, order=filters.order
    )


# Sent as GeoJSON's own media type (RFC 7946), which OpenAPI says too.
AS_GEOJSON = {
    "responses": {
        200: {
            "description": "A GeoJSON FeatureCollection",
            "content": {
                "application/geo+json": {
                    "schema": {
                        "type": "object",
                        "required": ["type", "features"],
                        "properties": {
                            "type": {"type": "string", "enum": ["FeatureCollection"]},
                            "features": {"type": "array", "items": {"type": "object"}},
                        },
                    }
                }
            },
        }
    }
}


@router.get("/bins.geojson", auth=api_auth, summary="Bins as GeoJSON", openapi_extra=AS_GEOJSON)
def bins_geojson(request: HttpRequest, filters: Query[BinFilters]) -> JsonResponse:
    require_roles(request, conf.CREW_ROLES)
    rows = selectors.bins(
        q=filters.q, kind=filters.kind, district_id=filters.district_id, min_risk=filters.min_risk, order=filters.order
    )
    return JsonResponse(geo.bins_geojson(rows), content_type="application/geo+json")


@router.post("/bins", response={201: BinOut}, auth=api_auth, summary="Add a bin")
def create_bin(request: HttpRequest, payload: BinIn) -> Status:
    user = require_roles(request, conf.PLANNER_ROLES)
    return Status(201, services.save_bin(payload.dict(), user=user))


@router.get("/bins/{bin_id}", response=BinOut, auth=api_auth, summary="One bin")
def get_bin(request: HttpRequest, bin_id: int) -> Bin:
    require_roles(request, conf.CREW_ROLES)
    return get_object_or_404(Bin.objects.select_related("district"), pk=bin_id)


@router.patch("/bins/{bin_id}", response=BinOut, auth=api_auth, summary="Change a bin")
def patch_bin(request: HttpRequest, bin_id: int, payload: BinPatch) -> Bin:
    user = require_roles(request, conf.PLANNER_ROLES)
    target = get_object_or_404(Bin, pk=bin_id)
    return services.save_bin(payload.dict(exclude_unset=True), user=user, bin=target)


# --- Vehicles -------------------------------------------------------------------------------


@router.get("/vehicles", response=list[VehicleOut], auth=api_auth, summary="Vehicles")
@csv_export(VehicleOut, filename="vehicles")
@paginate
def list_vehicles(request: HttpRequest) -> object:
    require_roles(request, conf.CREW_ROLES)
    return selectors.vehicles()


@router.post("/vehicles", response={201: VehicleOut}, auth=api_auth, summary="Add a vehicle")
def create_vehicle(request: HttpRequest, payload: VehicleIn) -> Status:
    user = require_roles(request, conf.PLANNER_ROLES)
    return Status(201, services.save_vehicle(payload.dict(), user=user))


# --- Plans and routes ------------------------------------------------------------------------


@router.get("/plans", response=list[PlanOut], auth=api_auth, summary="Plans")
@csv_export(PlanOut, filename="plans")
@paginate
def list_plans(request: HttpRequest, day: Day | None = None) -> object:
    require_roles(request, conf.CREW_ROLES)
    return selectors.plans(day=day)


class PlanJobOut(Schema):
    id: int
    status: PlanJobStatus
    date: Day
    created_at: datetime
    plan_id: int | None = Field(None, description="The plan, once built: GET /plans/{plan_id}")
    error: str = Field("", description="Why no plan was built, in the requester's language")


@router.post(
    "/plans",
    response={201: PlanDetailOut, 202: PlanJobOut},
    auth=api_auth,
    summary="Plan a day's collection",
    openapi_extra={
        "parameters": [
            {
                "name": "Prefer",
                "in": "header",
                "required": False,
                "description": "respond-async (RFC 7240): 202 at once and a Location to poll, instead of the plan",
                "schema": {"type": "string"},
            }
        ],
        "responses": {
            "202": {
                "description": "With Prefer: respond-async: started, poll the Location",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PlanJobOut"}}},
                "headers": {
                    "Location": {"description": "The plan job to poll", "schema": {"type": "string"}},
                    "Preference-Applied": {"description": "respond-async", "schema": {"type": "string"}},
                },
            },
        },
    },
)
def create_plan(request: HttpRequest, response: HttpResponse, payload: PlanIn) -> Status:
    """Solves at once, within ``seconds`` and sooner once the solver stops finding better
    routes; the plan says which constraints could not be met (``feasible``, ``problems``) and
    which bins it left out and why (``left_out``). With ``Prefer: respond-async`` the answer is a
    202 at once with a ``Location`` to poll (``GET /plan-jobs/{id}``), for clients that will not
    hold a request open for the solve."""
    user = require_roles(request, conf.PLANNER_ROLES)
    seconds = payload.seconds or min(conf.solver_seconds(), conf.MAX_REQUEST_SOLVE_SECONDS)
    services.check_day_to_plan(payload.date)
    if _prefers_async(request):
        job = services.request_plan(payload.date, user=user, seconds=seconds, language=translation.get_language() or "")
        response["Location"] = reverse("api:waste_get_plan_job", args=[job.pk])
        response["Preference-Applied"] = "respond-async"
        return Status(202, job)
    return Status(201, services.build_plan(payload.date, user=user, seconds=seconds, patience=conf.REQUEST_PATIENCE))


def _prefers_async(request: HttpRequest) -> bool:
    """Whether the ``Prefer`` header (RFC 7240) asks for ``respond-async``."""
    preferences = request.headers.get("Prefer", "").split(",")
    return any(p.split(";")[0].split("=")[0].strip().lower() == "respond-async" for p in preferences)


@router.get(
    "/plan-jobs/{int:job_id}",
    response=PlanJobOut,
    auth=api_auth,
    summary="A plan asked for with Prefer: respond-async",
    url_name="waste_get_plan_job",
)
def get_plan_job(request: HttpRequest, job_id: int) -> PlanJob:
    """``running`` until the plan is built (``done``, with ``plan_id``) or could not be
    (``failed``, with ``error``); one not heard from for ten minutes is failed."""
    require_roles(request, conf.PLANNER_ROLES)
    try:
        return services.plan_job(job_id)
    except PlanJob.DoesNotExist:
        raise ApiProblem(404, _("There is no plan job %(id)s.") % {"id": job_id}) from None


@router.get("/plans/{plan_id}", response=PlanDetailOut, auth=api_auth, summary="A plan with its routes")
def get_plan(request: HttpRequest, plan_id: int) -> Plan:
    require_roles(request, conf.CREW_ROLES)
    return get_object_or_404(Plan, pk=plan_id)


@router.post("/plans/{plan_id}/publish", response=PlanOut, auth=api_auth, summary="Publish a plan to crews")
def publish_plan(request: HttpRequest, plan_id: int) -> Plan:
    user = require_roles(request, conf.PLANNER_ROLES)
    return services.publish_plan(get_object_or_404(Plan, pk=plan_id), user=user)


@router.get(
    "/plans/{plan_id}/routes.geojson", auth=api_auth, summary="A plan's routes as GeoJSON", openapi_extra=AS_GEOJSON
)
def plan_geojson(request: HttpRequest, plan_id: int) -> JsonResponse:
    require_roles(request, conf.CREW_ROLES)
    plan = get_object_or_404(Plan, pk=plan_id)
    routes = plan.routes.select_related("vehicle").prefetch_related("stops")
    return JsonResponse(geo.route_geojson(routes), content_type="application/geo+json")


@router.get("/routes/{route_id}", response=RouteOut, auth=api_auth, summary="A route with its stops")
def get_route(request: HttpRequest, route_id: int) -> Route:
    require_roles(request, conf.CREW_ROLES)
    return get_object_or_404(Route.objects.select_related("vehicle"), pk=route_id)


@router.get("/routes/{route_id}/gpx", auth=api_auth, summary="A route as GPX 1.1")
def route_gpx(request: HttpRequest, route_id: int) -> HttpResponse:
    require_roles(request, conf.CREW_ROLES)
    route = get_object_or_404(Route.objects.select_related("vehicle", "plan"), pk=route_id)
    response = HttpResponse(geo.route_gpx(route), content_type="application/gpx+xml")
    response["Content-Disposition"] = f'attachment; filename="route-{route.pk}.gpx"'
    return response


@router.post(
    "/routes/{route_id}/breakdown",
    response={201: PlanDetailOut},
    auth=api_auth,
    summary="Report a breakdown and re-plan",
)
def breakdown(request: HttpRequest, route_id: int, payload: BreakdownIn) -> Status:
    """Re-solves every uncollected stop of the plan over the other vehicles, from where they are."""
    user = require_roles(request, conf.PLANNER_ROLES)
    route = get_object_or_404(Route, pk=route_id)
    return Status(201, services.report_breakdown(route, user=user, at=payload.at, seconds=payload.seconds))


@router.post("/stops/{stop_id}/collected", response=StopOut, auth=api_auth, summary="Mark a bin collected")
def collected(request: HttpRequest, stop_id: int, payload: CollectedIn) -> Stop:
    user = require_roles(request, conf.CREW_ROLES)
    stop = get_object_or_404(Stop.objects.select_related("route", "bin"), pk=stop_id)
    return services.mark_collected(stop, user=user, fill=payload.fill, at=payload.at)


# One operation takes the crew's report as JSON or as a form that may carry a photo (core's
# JsonOrForm, which reads the form from request.POST; the photo is read here from FILES).
MISSED_FORM = form_alternative(
    MissedIn,
    title="MissedForm",
    files={
        "photo": {
            "description": f"Optional: a photo of what the crew saw (JPEG, PNG, WebP or GIF, at most "
            f"{photos.MAX_BYTES // (1024 * 1024)} MB). Re-encoded without its metadata (GPS position, "
            "camera, time), shown to planners only and deleted after CITYOS_WASTE_REPORT_PHONE_DAYS",
            "contentType": photos.ACCEPT.replace(",", ", "),
        }
    },
)
MissedBody = Annotated[MissedIn, JsonOrForm(...)]


@router.post(
    "/stops/{stop_id}/missed",
    response=StopOut,
    auth=api_auth,
    summary="Report that a bin could not be collected (JSON, or a form with a photo)",
    openapi_extra=MISSED_FORM,
)
def missed(request: HttpRequest, stop_id: int, payload: MissedBody) -> Stop:
    """The crew came but could not empty the bin. It counts as dealt with on the route; the next
    plan takes it again when it must. A damaged bin is also filed as a damaged-bin report, with
    the note and the photo.

    Send `application/json`, or `multipart/form-data` with the same fields and an optional `photo`
    from the phone's camera. The photo is re-encoded without its metadata, shown to planners only
    (`has_photo` says one is kept) and deleted after CITYOS_WASTE_REPORT_PHONE_DAYS. A bad reason
    or an image that cannot be taken (too large, not a photo, too many pixels) is a 422 naming
    the field (`body.reason`, `body.photo`), and nothing is saved."""
    return _mark_missed(request, stop_id, payload)


@router.post(
    "/stops/{stop_id}/missed-with-photo",
    response=StopOut,
    auth=api_auth,
    summary="Report that a bin could not be collected, with a photo (deprecated: use /missed)",
    deprecated=True,
    openapi_extra=MISSED_FORM,
)
def missed_with_photo(request: HttpRequest, stop_id: int, payload: MissedBody) -> Stop:
    """The same as `POST /stops/{stop_id}/missed`, which now takes the form and its photo too;
    kept for the clients written before it did."""
    return _mark_missed(request, stop_id, payload)


def _mark_missed(request: HttpRequest, stop_id: int, payload: MissedIn) -> Stop:
    user = require_roles(request, conf.CREW_ROLES)
    stop = get_object_or_404(Stop.objects.select_related("route", "bin"), pk=stop_id)
    return services.mark_missed(
        stop, user=user, reason=payload.reason, note=payload.note, photo=_crew_photo(request), at=payload.at
    )


def _crew_photo(request: HttpRequest) -> photos.Photo | None:
    """The form's photo, checked and re-encoded (a 422 on ``photo`` if it cannot be taken); None
    without one, and always for JSON (a photo is sent as a file, never inside JSON)."""
    if not is_form(request):
        return None
    upload = request.FILES.get("photo")
    try:
        if upload is None:
            if "photo" in request.POST:  # text where a file belongs: refused, not quietly dropped
                raise photos.unreadable()
            return None
        return photos.prepare(upload, size=upload.size)
    except ValidationError as error:
        raise ValidationError({"photo": error.error_list}) from None


# --- Results ---------------------------------------------------------------------------------


class ComparisonIn(Schema):
    days: int = Field(30, ge=7, le=60, description="Days to simulate after a 14-day warm-up")
    seed: int = Field(1, ge=0, le=10_000, description="The simulated weeks (the same seed, the same weeks)")
    plan_days: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(
        None,
        min_length=1,
        max_length=7,
        description="Weekdays the plan's trucks go out (0 Monday); the fixed round keeps its own. "
        "Default: the city's shift days",
    )


class ComparisonOut(Schema):
    id: int
    created_at: datetime
    status: ComparisonStatus = Field(..., description="running, then done (with results) or failed")
    done_steps: int = Field(..., description="Simulated days so far (the warm-up, then each policy's days)")
    steps: int = Field(..., description="Simulated days in all; 0 until a worker has started it")
    error: ComparisonFailure | Literal[""] = Field(
        ..., description="Why it failed: 'city' (no bins, vehicle or disposal site), 'abandoned', 'crashed'"
    )
    days: int
    seed: int
    plan_days: list[int] = Field(..., description="Weekdays the plan's trucks went out (0 Monday)")
    bins: int
    vehicles: int
    results: dict[str, Any] = Field(
        ...,
        description="Totals per policy ('fixed', 'planned') and per day, and the weekdays each went out "
        "('plan_days', 'round_days', 0 Monday); empty until done",
    )

    @staticmethod
    def resolve_plan_days(obj: Comparison) -> list[int]:
        return list(obj.plan_weekdays or obj.results.get("plan_days", []))  # older ones: in the results


@router.post(
    "/comparisons",
    response={202: ComparisonOut},
    auth=api_auth,
    summary="Simulate the plan against the fixed round (a job: poll the Location)",
    openapi_extra={
        "responses": {
            "202": {
                "description": "Started: poll the Location",
                # Given whole: openapi_extra replaces the generated response rather than merging.
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ComparisonOut"}}},
                "headers": {
                    "Location": {"description": "The comparison to poll", "schema": {"type": "string"}},
                },
            },
            "409": {
                "description": "Another simulation is running (RFC 9457 problem)",
                "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                "headers": {
                    "Location": {"description": "The running comparison", "schema": {"type": "string"}},
                },
            },
        }
    },
)
def request_comparison(request: HttpRequest, response: HttpResponse, payload: ComparisonIn) -> Status:
    """Starts a simulation of the city's bins, the plan against the fixed round on the same
    simulated weeks; it takes a minute or more. Poll ``GET /comparisons/{id}`` (the ``Location``)
    for its progress and results. One runs at a time: another gets 409 with the running one's
    ``Location``."""
    user = require_roles(request, conf.PLANNER_ROLES)
    try:
        comparison = services.request_comparison(
            user=user,
            days=payload.days,
            seed=payload.seed,
            seconds=conf.COMPARISON_SOLVER_SECONDS,
            plan_days=payload.plan_days,
        )
    except services.ComparisonRunning as busy:
        raise ApiProblem(
            409,
            str(busy),
            headers={"Location": _comparison_url(busy.comparison.pk)} if busy.comparison else None,
        ) from None
    response["Location"] = _comparison_url(comparison.pk)
    return Status(202, comparison)


def _comparison_url(comparison_id: int) -> str:
    return reverse("api:waste_get_comparison", args=[comparison_id])


@router.get(
    "/comparisons/latest",
    response=ComparisonOut,
    auth=api_auth,
    summary="The latest plan-versus-fixed-schedule simulation",
)
def latest_comparison(request: HttpRequest) -> object:
    require_roles(request, conf.PLANNER_ROLES)
    comparison = selectors.latest_comparison()
    if comparison is None:
        raise ApiProblem(404, _("No comparison has been run yet: run the simulation on the collection results page."))
    return comparison


@router.get(
    "/comparisons/{int:comparison_id}",
    response=ComparisonOut,
    auth=api_auth,
    url_name="waste_get_comparison",
    summary="A simulation: its progress, then its results",
)
def get_comparison(request: HttpRequest, comparison_id: int) -> Comparison:
    require_roles(request, conf.PLANNER_ROLES)
    services.give_up_silent_comparisons()
    return get_object_or_404(Comparison, pk=comparison_id)


# --- Residents' reports ----------------------------------------------------------------------


class ReportIn(Schema):
    bin: str = Field(
        ...,
        max_length=60,
        description="The bin's reference, printed on its sticker, as the resident typed it: case, spaces, "
        "dashes, a full stop, full-width characters and leading zeros do not matter, and the number alone "
        "names the one bin with that number (two such bins: refused)",
    )
    problem: ReportProblem
    note: Note = ""
    phone: str = Field(
        "",
        max_length=32,
        description="Optional, for a full bin: the resident's mobile number, texted once when the bin is "
        "emptied (in the request's language), then taken off the report",
    )
    media_url: str = Field(
        "",
        max_length=MEDIA_URL_MAX_LENGTH,
        description="Optional: the https address (public host) of a photo of the bin, kept by the client",
    )


class ReportCreatedOut(Schema):
    number: int = Field(..., description="The report number to quote")
    bin: str
    problem: ReportProblem
    repeated: bool = Field(..., description="True: the bin was already reported; this was added to that report")
    count: int = Field(..., description="How many times the open report was made")
    texted: bool = Field(
        False, description="True: the number given is kept to text the resident once the bin is emptied"
    )


class ReportOut(Schema):
    id: int
    bin_id: int
    bin: str
    problem: ReportProblem
    note: str
    media_url: str = Field("", description="The address of a photo that the reporting app keeps")
    has_photo: bool = Field(False, description="True: a photo came with the form (planners see it on the web)")
    channel: ReportChannel
    phone: str = Field("", description="Masked: the resident's number is personal data")
    followers: int = Field(
        0, description="How many other residents left a number to be texted too (their numbers are never shown)"
    )
    count: int
    created_at: datetime
    last_reported_at: datetime
    resolved_at: datetime | None
    resolution: ReportResolution | Literal[""]

    @staticmethod
    def resolve_bin(report: BinReport) -> str:
        return report.bin.ref

    @staticmethod
    def resolve_phone(report: BinReport) -> str:
        return report.masked_phone

    @staticmethod
    def resolve_followers(report: BinReport) -> int:
        return report.followers_to_text

    @staticmethod
    def resolve_has_photo(report: BinReport) -> bool:
        return bool(report.photo)


class ReportFilters(Schema):
    status: Literal["open", "resolved", ""] = "open"
    problem: ReportProblem | Literal[""] = ""
    bin_id: int | None = None


class ResolveIn(Schema):
    resolution: ReportResolution


@router.post("/reports", response={201: ReportCreatedOut}, summary="Report a full or damaged bin (public)")
def create_report(request: HttpRequest, payload: ReportIn) -> Status:
    """No sign-in needed. Refused (422, naming the field): an unknown or out-of-service bin, a note
    over 500 characters, a phone number that is not one. A repeat of an open report of the same
    bin and problem adds to its count. A resident who gives a number is texted once the bin is
    emptied. Counted with the web form's reports, per client (address, person or token) and per
    bin (429 past either, with Retry-After)."""
    over_client = over_hourly_limit(request, conf.REPORT_LIMIT_SCOPE, conf.report_limit_per_hour())
    if over_client or limits.bin_reported_enough(payload.bin):
        raise Throttled(wait=retry_after())
    outcome = services.report_bin(
        payload.bin,
        payload.problem,
        note=payload.note,
        channel=ReportChannel.WEB,
        phone=payload.phone.strip(),
        language=translation.get_language() or "",
        media_url=payload.media_url,
    )
    made = outcome.report
    return Status(
        201,
        {
            "number": made.pk,
            "bin": made.bin.ref,
            "problem": made.problem,
            "repeated": outcome.repeated,
            "count": made.count,
            "texted": outcome.texted,
        },
    )


@router.get("/reports", response=list[ReportOut], auth=api_auth, summary="Residents' bin reports")
@csv_export(ReportOut, filename="bin-reports")
@paginate
def list_reports(request: HttpRequest, filters: Query[ReportFilters]) -> object:
    require_roles(request, conf.PLANNER_ROLES)
    return selectors.reports(status=filters.status, problem=filters.problem, bin_id=filters.bin_id)


@router.post("/reports/{report_id}/resolve", response=ReportOut, auth=api_auth, summary="Resolve a bin report")
def resolve_report(request: HttpRequest, report_id: int, payload: ResolveIn) -> BinReport:
    user = require_roles(request, conf.PLANNER_ROLES)
    report = get_object_or_404(BinReport.objects.select_related("bin"), pk=report_id)
    resolved = services.resolve_report(report, payload.resolution, user=user)
    shown = [name for name in BinReport.SHOWN_IN_FULL if getattr(resolved, name)]
    if shown:  # the answer shows the resident's note or photo link: an audited read
        record_access(resolved, shown)
    return resolved
