"""/api/v1/monitoring: public parking availability, water and air quality with what the values
mean, and predator-trap catches (anyone may read them: no personal data); damp-and-mould risk
of council homes and their maintenance work orders (housing staff only, reads audited).

Every list pages (``limit``/``offset`` in, ``{count, next, previous, results}`` out, in a stable
order); the GeoJSON collections stay whole, for the maps to draw every point.

Errors are problem+json: type errors from the schemas, service rules (a status that cannot
follow the current one, a scheduled visit without a date) as field errors of a 422.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, ClassVar, Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cityos.core.api.auth import api_auth, require_roles
from cityos.core.api.pagination import csv_export, paginate
from cityos.core.api.problems import ApiProblem
from cityos.core.api.schemas import Day, Moment
from cityos.core.audit.services import record_access
from cityos.monitoring import conf, geojson, meanings, selectors, services
from cityos.monitoring.models import HomeRisk, RiskLevel, WorkOrder, WorkOrderStatus

router = Router()
MAX_TRAP_DAYS = 366
GEOJSON = "application/geo+json"  # RFC 7946


class MonitoringPoint(Schema):
    type: Literal["Point"]
    coordinates: list[float] = Field(..., description="[longitude, latitude], EPSG:4326")


class MonitoringFeature(Schema):
    type: Literal["Feature"]
    geometry: MonitoringPoint
    properties: dict[str, Any] = Field(
        ..., description="name, kind_label (a line of status text), open_now (true: good or free) and the values"
    )


class MonitoringFeatureCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[MonitoringFeature]


# The body is GeoJSON's own media type, not plain JSON: say so in OpenAPI.
AS_GEOJSON = {
    "responses": {200: {"content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/MonitoringFeatureCollection"}}}}}
}


def _geojson(collection: dict[str, Any]) -> HttpResponse:
    return HttpResponse(json.dumps(collection, ensure_ascii=False), content_type=GEOJSON)


def _district_codes() -> dict[int, selectors.DistrictInfo]:
    return selectors.districts_by_id()


# --- parking -------------------------------------------------------------------------------
class CarParkOut(Schema):
    id: str = Field(..., description="The car park's identifier (the bays' car_park_id).")
    name: str
    total: int = Field(..., description="Bays with a sensor.")
    free: int = Field(..., description="Bays whose recent reading says free.")
    occupied: int
    unknown: int = Field(..., description="Bays with no reading, or one older than the stale limit.")
    last_updated: datetime.datetime | None
    stale: bool = Field(..., description="True when no bay has a recent reading: do not trust the counts.")
    district: str | None = Field(None, description="District code.")
    longitude: float | None
    latitude: float | None

    # Public data: no personal data to audit (audit_staff_read).
    shows_personal: ClassVar[frozenset[str]] = frozenset()


def _car_park_out(park: selectors.CarPark, districts: dict[int, selectors.DistrictInfo]) -> CarParkOut:
    info = districts.get(park.district_id) if park.district_id else None
    return CarParkOut(
        id=park.id,
        name=park.name,
        total=park.total,
        free=park.free,
        occupied=park.occupied,
        unknown=park.unknown,
        last_updated=park.last_updated,
        stale=park.stale,
        district=info.code if info else None,
        longitude=park.longitude,
        latitude=park.latitude,
    )


@router.get("/parking", response=list[CarParkOut], summary="Car parks with free bays, paged")
@paginate
def list_car_parks(request: HttpRequest) -> list[CarParkOut]:
    """By name, ties by id, a page at a time (follow ``next``)."""
    districts = _district_codes()
    parks = sorted(selectors.car_parks(), key=lambda p: (p.name.casefold(), p.id))
    return [_car_park_out(p, districts) for p in parks]


@router.get(
    "/parking/geojson", response=MonitoringFeatureCollection, summary="Car parks as GeoJSON", openapi_extra=AS_GEOJSON
)
def car_parks_geojson(request: HttpRequest) -> HttpResponse:
    return _geojson(geojson.car_parks(selectors.car_parks()))


@router.get("/parking/{park_id}", response=CarParkOut, summary="One car park")
def get_car_park(request: HttpRequest, park_id: str) -> CarParkOut:
    park = selectors.car_park(park_id)
    if park is None:
        raise ApiProblem(404, _("There is no car park %(id)s.") % {"id": park_id})
    return _car_park_out(park, _district_codes())


# --- water ---------------------------------------------------------------------------------
StatusName = Literal["good", "advisory", "problem", "unknown"]


class WaterReadingOut(Schema):
    measure: str = Field(..., description="pH, turbidity, chlorine or conductivity.")
    label: str
    unit: str
    value: float | None
    time: datetime.datetime | None
    stale: bool = Field(..., description="The latest value is older than the stale limit and is not rated.")
    status: StatusName
    status_label: str
    meaning: str = Field(..., description="What the value means, in plain language.")
    guideline: str


class WaterStationOut(Schema):
    id: int
    name: str
    longitude: float | None
    latitude: float | None
    status: StatusName
    status_label: str
    readings: list[WaterReadingOut]


class WaterDistrictOut(Schema):
    code: str
    name: str
    status: StatusName = Field(..., description="The worst status of the district's stations' recent readings.")
    status_label: str
    stations: list[WaterStationOut]

    # Public data: no personal data to audit (audit_staff_read).
    shows_personal: ClassVar[frozenset[str]] = frozenset()


def _water_station_out(station: selectors.WaterStation) -> WaterStationOut:
    labels = meanings.status_labels()
    return WaterStationOut(
        id=station.id,
        name=station.name,
        longitude=station.longitude,
        latitude=station.latitude,
        status=station.status,
        status_label=str(labels[station.status]),
        readings=[
            WaterReadingOut(
                measure=r.key,
                label=str(r.measure.label),
                unit=r.measure.unit,
                value=r.value,
                time=r.time,
                stale=r.stale,
                status=r.status,
                status_label=str(labels[r.status]),
                meaning=r.meaning,
                guideline=str(r.measure.guideline),
            )
            for r in station.readings
        ],
    )


def _by_district_name(rows: list[selectors.DistrictStatus]) -> list[selectors.DistrictStatus]:
    """Districts by name (stations with no district last), ties by district id: stable pages."""
    return sorted(rows, key=lambda r: (r.district_id is None, r.name.casefold(), r.district_id or 0))


@router.get("/water", response=list[WaterDistrictOut], summary="Water quality per district, paged")
@paginate
def water_quality(request: HttpRequest) -> list[WaterDistrictOut]:
    """Districts by name, each with its stations, a page of districts at a time (follow ``next``)."""
    labels = meanings.status_labels()
    return [
        WaterDistrictOut(
            code=row.code,
            name=row.name,
            status=row.status,  # type: ignore[arg-type]
            status_label=str(labels[row.status]),
            stations=[_water_station_out(s) for s in row.stations],
        )
        for row in _by_district_name(selectors.water_districts())
    ]


class BandOut(Schema):
    low: float | None = Field(..., description="From this value (inclusive); null: no lower end.")
    high: float | None = Field(..., description="Up to this value (exclusive); null: no upper end.")
    status: StatusName
    meaning: str


class GuidelineOut(Schema):
    measure: str
    label: str
    unit: str
    guideline: str
    why: str
    bands: list[BandOut]

    # Public data: no personal data to audit (audit_staff_read).
    shows_personal: ClassVar[frozenset[str]] = frozenset()


@router.get("/water/guidelines", response=list[GuidelineOut], summary="How water readings are rated, paged")
@paginate
def water_guidelines(request: HttpRequest) -> list[GuidelineOut]:
    """One per measure, in a fixed order; a page holds them all unless ``limit`` is smaller."""
    return [
        GuidelineOut(
            measure=m.key,
            label=str(m.label),
            unit=m.unit,
            guideline=str(m.guideline),
            why=str(m.why),
            bands=[BandOut(low=b.low, high=b.high, status=b.status, meaning=str(b.meaning)) for b in m.bands],
        )
        for m in meanings.WATER_MEASURES
    ]


# --- air -----------------------------------------------------------------------------------
class AqiOut(Schema):
    index: int = Field(..., description="US EPA Air Quality Index, 0-500.")
    category: str = Field(..., description="good, moderate, sensitive, unhealthy, very-unhealthy or hazardous.")
    category_label: str
    message: str = Field(..., description="The EPA's health message for the category.")
    advice: str
    dominant: str = Field(..., description="The pollutant that sets the index.")
    sub_indexes: dict[str, int]


class AirStationOut(Schema):
    id: int
    name: str
    longitude: float | None
    latitude: float | None
    aqi: AqiOut | None = Field(..., description="Null when the station has no recent data.")
    latest: dict[str, float | None] = Field(..., description="Latest hourly mean per pollutant, µg/m³.")
    updated: datetime.datetime | None
    stale: bool


class AirDistrictOut(Schema):
    code: str
    name: str
    aqi: AqiOut | None = Field(..., description="The district's worst station.")
    stations: list[AirStationOut]

    # Public data: no personal data to audit (audit_staff_read).
    shows_personal: ClassVar[frozenset[str]] = frozenset()


def _aqi_out(aqi: meanings.Aqi | None) -> AqiOut | None:
    if aqi is None:
        return None
    return AqiOut(
        index=aqi.index,
        category=aqi.category.key,
        category_label=str(aqi.category.label),
        message=str(aqi.category.message),
        advice=str(aqi.category.advice),
        dominant=aqi.dominant,
        sub_indexes=aqi.sub_indexes,
    )


def _air_station_out(station: selectors.AirStation) -> AirStationOut:
    return AirStationOut(
        id=station.id,
        name=station.name,
        longitude=station.longitude,
        latitude=station.latitude,
        aqi=_aqi_out(station.aqi),
        latest={k: None if v is None else round(v, 1) for k, v in station.latest.items()},
        updated=station.updated,
        stale=station.stale,
    )


@router.get("/air", response=list[AirDistrictOut], summary="Air quality per district and station, paged")
@paginate
def air_quality(request: HttpRequest) -> list[AirDistrictOut]:
    """Districts by name, each with its stations, a page of districts at a time (follow ``next``)."""
    rows = []
    for row in _by_district_name(selectors.air_districts()):
        worst = max((s for s in row.stations if s.aqi), key=lambda s: s.aqi.index, default=None)
        rows.append(
            AirDistrictOut(
                code=row.code,
                name=row.name,
                aqi=_aqi_out(worst.aqi if worst else None),
                stations=[_air_station_out(s) for s in row.stations],
            )
        )
    return rows


@router.get(
    "/air/geojson",
    response=MonitoringFeatureCollection,
    summary="Air-quality stations as GeoJSON",
    openapi_extra=AS_GEOJSON,
)
def air_geojson(request: HttpRequest) -> HttpResponse:
    return _geojson(geojson.air_stations(selectors.air_stations()))


@router.get(
    "/water/geojson",
    response=MonitoringFeatureCollection,
    summary="Water-quality stations as GeoJSON",
    openapi_extra=AS_GEOJSON,
)
def water_geojson(request: HttpRequest) -> HttpResponse:
    return _geojson(geojson.water_stations(selectors.water_stations()))


# --- traps ---------------------------------------------------------------------------------
class TrapOut(Schema):
    id: int
    name: str
    trap_line: str
    district: str | None
    longitude: float | None
    latitude: float | None
    catches: int = Field(..., description="Catches over the period asked for.")
    last_catch: datetime.datetime | None
    species: dict[str, int]

    # Public data: no personal data to audit (audit_staff_read).
    shows_personal: ClassVar[frozenset[str]] = frozenset()


class TrapFilters(Schema):
    days: int = Field(30, ge=1, le=MAX_TRAP_DAYS, description="Count catches over this many days.")


@router.get("/traps", response=list[TrapOut], summary="Predator traps and their recent catches, paged")
@paginate
def list_traps(request: HttpRequest, filters: Query[TrapFilters]) -> list[TrapOut]:
    """By trap line and name, ties by id, a page at a time (follow ``next``)."""
    districts = _district_codes()
    traps = sorted(selectors.traps(days=filters.days), key=lambda t: (t.trap_line.casefold(), t.name.casefold(), t.id))
    return [
        TrapOut(
            id=t.id,
            name=t.name,
            trap_line=t.trap_line,
            district=districts[t.district_id].code if t.district_id in districts else None,
            longitude=t.longitude,
            latitude=t.latitude,
            catches=t.catches,
            last_catch=t.last_catch,
            species=t.species,
        )
        for t in traps
    ]


@router.get(
    "/traps/geojson",
    response=MonitoringFeatureCollection,
    summary="Predator traps as GeoJSON",
    openapi_extra=AS_GEOJSON,
)
def traps_geojson(request: HttpRequest, filters: Query[TrapFilters]) -> HttpResponse:
    return _geojson(geojson.traps(selectors.traps(days=filters.days)))


class TrapEventOut(Schema):
    id: int
    trap_id: int
    trap_name: str
    trap_line: str
    time: datetime.datetime
    count: int
    species: str


class TrapEventFilters(Schema):
    start: Moment | None = Field(None, description="From (default: 30 days ago). With a time zone.")
    end: Moment | None = Field(None, description="Until (default: now). With a time zone.")
    trap_line: str = Field("", max_length=100)


def trap_event_range(start: datetime.datetime | None, end: datetime.datetime | None) -> tuple[Any, Any]:
    now = timezone.now()
    end = end or now
    start = start or end - datetime.timedelta(days=conf.trap_days())
    errors = []
    for name, value in (("start", start), ("end", end)):
        if timezone.is_naive(value):
            errors.append(
                {
                    "field": f"query.{name}",
                    "message": _("Give the time with its time zone, e.g. +00:00."),
                    "code": "timezone",
                }
            )
    if not errors and start >= end:
        errors.append({"field": "query.start", "message": _("The start must be before the end."), "code": "range"})
    if not errors and end - start > datetime.timedelta(days=MAX_TRAP_DAYS):
        errors.append(
            {"field": "query.end", "message": _("Ask for at most a year at a time."), "code": "range_too_long"}
        )
    if errors:
        raise ApiProblem(422, _("Check the time range."), errors=errors)
    return start, end


@router.get("/traps/events", response=list[TrapEventOut], summary="Trap catches in a time range")
@csv_export(TrapEventOut, filename="trap-events")
@paginate
def list_trap_events(request: HttpRequest, filters: Query[TrapEventFilters]) -> list[selectors.TrapEvent]:
    start, end = trap_event_range(filters.start, filters.end)
    return selectors.trap_events(start, end, trap_line=filters.trap_line)


# --- damp and mould (housing staff) --------------------------------------------------------
class HomeRiskOut(Schema):
    thing_id: int = Field(..., description="The home's climate sensor (a SensorThings Thing).")
    home_ref: str
    address: str
    district: str | None = Field(None, description="District code.")
    score: int = Field(..., description="0-100; at or above CITYOS_MONITORING_DAMP_THRESHOLD the home is at risk.")
    level: str
    hours: int
    humid_hours: int
    condensation_hours: int
    mean_rh: float | None
    mean_temperature: float | None
    assessed_at: datetime.datetime

    @staticmethod
    def resolve_district(obj: HomeRisk) -> str | None:
        return obj.district.code if obj.district else None


class HomeFilters(Schema):
    q: str = Field("", max_length=100, description="Part of the home reference or address.")
    level: RiskLevel | None = None
    district: str = Field("", max_length=50, description="District code.")


def _district_id(code: str) -> int | None:
    if not code:
        return None
    info = next((d for d in _district_codes().values() if d.code == code), None)
    if info is None:
        raise ApiProblem(
            422,
            _("Check the filters."),
            errors=[
                {"field": "query.district", "message": _("There is no district with this code."), "code": "unknown"}
            ],
        )
    return info.id


@router.get("/homes", response=list[HomeRiskOut], auth=api_auth, summary="Council homes ranked by damp risk")
@csv_export(HomeRiskOut, filename="damp-risk")
@paginate
def list_homes(request: HttpRequest, filters: Query[HomeFilters]) -> Any:
    require_roles(request, conf.HOUSING_ROLES)
    return selectors.homes(q=filters.q, level=filters.level or "", district_id=_district_id(filters.district))


class WorkOrderOut(Schema):
    id: int
    thing_id: int
    home_ref: str
    address: str
    district: str | None
    risk_score: int
    reason: str = Field(
        ...,
        description="Why it was opened, in the request's language (Accept-Language); "
        "orders without a reason code give the text they were opened with.",
    )
    reason_code: str | None = Field(
        ...,
        description="What kind of reason: 'damp' (the damp-and-mould check), or null for a reason given as text.",
    )
    status: str
    scheduled_for: datetime.date | None
    note: str
    created_at: datetime.datetime
    created_by: str = Field(..., description="Who opened it; 'monitoring job' for the periodic job.")
    updated_at: datetime.datetime
    updated_by: str
    closed_at: datetime.datetime | None

    @staticmethod
    def resolve_district(obj: WorkOrder) -> str | None:
        return obj.district.code if obj.district else None

    @staticmethod
    def resolve_reason(obj: WorkOrder) -> str:
        return obj.reason_display

    @staticmethod
    def resolve_reason_code(obj: WorkOrder) -> str | None:
        return obj.reason_code or None

    @staticmethod
    def resolve_created_by(obj: WorkOrder) -> str:
        return obj.created_by.get_full_name() or obj.created_by.username if obj.created_by else "monitoring job"

    @staticmethod
    def resolve_updated_by(obj: WorkOrder) -> str:
        return obj.updated_by.get_full_name() or obj.updated_by.username if obj.updated_by else "monitoring job"


class WorkOrderFilters(Schema):
    q: str = Field("", max_length=100)
    status: Literal["open", "scheduled", "done", "cancelled", "active"] | None = Field(
        None, description="A status, or 'active' for open and scheduled."
    )
    district: str = Field("", max_length=50)


@router.get("/work-orders", response=list[WorkOrderOut], auth=api_auth, summary="Damp-and-mould work orders")
@csv_export(WorkOrderOut, filename="work-orders")
@paginate
def list_work_orders(request: HttpRequest, filters: Query[WorkOrderFilters]) -> Any:
    require_roles(request, conf.HOUSING_ROLES)
    return selectors.work_orders(q=filters.q, status=filters.status or "", district_id=_district_id(filters.district))


@router.get("/work-orders/{order_id}", response=WorkOrderOut, auth=api_auth, summary="One work order")
def get_work_order(request: HttpRequest, order_id: int) -> WorkOrder:
    require_roles(request, conf.HOUSING_ROLES)
    order = get_object_or_404(selectors.work_orders(), pk=order_id)
    record_access(order)
    return order


class WorkOrderUpdateIn(Schema):
    """A partial update: only the fields sent change (at least one is needed)."""

    status: WorkOrderStatus | None = Field(
        None, description="The new status; left out (or null), the status stays. Done and cancelled are final."
    )
    scheduled_for: Day | None = Field(
        None, description="The visit date, needed to schedule; null clears it; left out, the date stays."
    )
    note: str | None = Field(
        None,
        max_length=services.MAX_NOTE,
        description="Added to the order's history and shown as its latest note; needed to cancel.",
    )


@router.patch(
    "/work-orders/{order_id}",
    response=WorkOrderOut,
    auth=api_auth,
    summary="Update a work order (only the fields sent)",
)
def update_work_order(request: HttpRequest, order_id: int, payload: WorkOrderUpdateIn) -> WorkOrder:
    user = require_roles(request, conf.HOUSING_ROLES)
    order = get_object_or_404(WorkOrder, pk=order_id)
    sent = payload.model_dump(exclude_unset=True)
    return services.update_work_order(
        order,
        user=user,
        status=sent.get("status"),
        scheduled_for=sent.get("scheduled_for", services.KEEP),
        note=sent.get("note"),
    )


class DampCheckOut(Schema):
    homes: int
    at_risk: int
    opened: list[int] = Field(..., description="Ids of the work orders opened.")


@router.post("/damp-check", response=DampCheckOut, auth=api_auth, summary="Run the damp-and-mould check now")
def damp_check(request: HttpRequest) -> DampCheckOut:
    user = require_roles(request, conf.HOUSING_ROLES)
    done = services.run_damp_check(user=user)
    return DampCheckOut(homes=done.homes, at_risk=done.at_risk, opened=[o.pk for o in done.opened])
