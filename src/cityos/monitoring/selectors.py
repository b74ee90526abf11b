"""Reads of the monitoring services. Sensor data comes only through the sensing app's facade
(:mod:`cityos.sensing.selectors`); the district names from core's geo."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from cityos.core.geo import selectors as geo_selectors
from cityos.core.geo.models import District
from cityos.monitoring import conf, meanings
from cityos.monitoring.models import ACTIVE_STATUSES, HomeRisk, WorkOrder
from cityos.sensing import selectors as sensing

PARKING_KIND = "parking-bay"
WATER_KIND = "water-quality"
AIR_KIND = "air-quality"
HOME_KIND = "home-climate"
TRAP_KIND = "predator-trap"


@dataclass(frozen=True)
class DistrictInfo:
    id: int
    code: str
    name: str  # in the current language


def districts_by_id(language: str | None = None) -> dict[int, DistrictInfo]:
    language = language or get_language()
    return {
        d.pk: DistrictInfo(d.pk, d.code, geo_selectors.localized_name(d.name, d.names, language))
        for d in District.objects.only("pk", "code", "name", "names")
    }


def _fresh(when: datetime | None, now: datetime, minutes: int) -> bool:
    return when is not None and now - when <= timedelta(minutes=minutes)


def _mean_point(points: Iterable[tuple[float | None, float | None]]) -> tuple[float | None, float | None]:
    known = [(lon, lat) for lon, lat in points if lon is not None and lat is not None]
    if not known:
        return None, None
    return sum(p[0] for p in known) / len(known), sum(p[1] for p in known) / len(known)


# --- parking -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CarPark:
    id: str
    name: str
    total: int
    free: int
    occupied: int
    unknown: int  # bays with no reading, or one too old to trust
    last_updated: datetime | None
    stale: bool  # no bay has a recent reading
    district_id: int | None
    longitude: float | None
    latitude: float | None

    @property
    def free_share(self) -> float | None:
        known = self.free + self.occupied
        return self.free / known if known else None


def car_parks(now: datetime | None = None) -> list[CarPark]:
    """Every car park with its bays counted: free and occupied only for bays heard from within
    ``CITYOS_MONITORING_PARKING_STALE_MINUTES``; the others are unknown, never free."""
    now = now or timezone.now()
    minutes = conf.parking_stale_minutes()
    groups: dict[str, list[sensing.ThingSummary]] = defaultdict(list)
    for bay in sensing.latest_of_kind(PARKING_KIND):
        key = str(bay.properties.get("car_park_id") or bay.properties.get("car_park") or bay.name)
        groups[key].append(bay)
    parks = []
    for key, bays in groups.items():
        free = occupied = unknown = 0
        times: list[datetime] = []
        for bay in bays:
            # Bays report a change of state, not every minute: a state holds while the device is
            # alive, i.e. heard from on any stream (its battery heartbeat included) recently.
            stream = bay.datastream("occupied")
            if bay.last_seen_at is not None:
                times.append(bay.last_seen_at)
            if stream is None or not isinstance(stream.last_result, bool) or not _fresh(bay.last_seen_at, now, minutes):
                unknown += 1
            elif stream.last_result:
                occupied += 1
            else:
                free += 1
        lon, lat = _mean_point((b.longitude, b.latitude) for b in bays)
        district_ids = Counter(b.district_id for b in bays if b.district_id is not None)
        parks.append(
            CarPark(
                id=key,
                name=str(bays[0].properties.get("car_park") or key),
                total=len(bays),
                free=free,
                occupied=occupied,
                unknown=unknown,
                last_updated=max(times, default=None),
                stale=free + occupied == 0,
                district_id=district_ids.most_common(1)[0][0] if district_ids else None,
                longitude=lon,
                latitude=lat,
            )
        )
    return sorted(parks, key=lambda p: p.name.casefold())


def car_park(park_id: str, now: datetime | None = None) -> CarPark | None:
    return next((p for p in car_parks(now) if p.id == park_id), None)


# --- water quality -------------------------------------------------------------------------
@dataclass(frozen=True)
class WaterReading:
    key: str
    value: float | None
    time: datetime | None
    stale: bool
    status: meanings.Status
    meaning: str

    @property
    def measure(self) -> meanings.WaterMeasure:
        return meanings.WATER_BY_KEY[self.key]


@dataclass(frozen=True)
class Station:
    id: int
    name: str
    district_id: int | None
    longitude: float | None
    latitude: float | None
    last_seen_at: datetime | None


def _place(thing: sensing.ThingSummary) -> dict[str, Any]:
    """The Station fields every kind of station copies from its thing."""
    return {
        "id": thing.id,
        "name": thing.name,
        "district_id": thing.district_id,
        "longitude": thing.longitude,
        "latitude": thing.latitude,
        "last_seen_at": thing.last_seen_at,
    }


@dataclass(frozen=True)
class WaterStation(Station):
    readings: tuple[WaterReading, ...]
    status: meanings.Status


def water_stations(now: datetime | None = None) -> list[WaterStation]:
    now = now or timezone.now()
    minutes = conf.stale_minutes()
    stations = []
    for thing in sensing.latest_of_kind(WATER_KIND):
        readings = []
        for measure in meanings.WATER_MEASURES:
            stream = thing.datastream(measure.key)
            value = stream.last_value if stream else None
            when = stream.last_time if stream else None
            fresh = value is not None and _fresh(when, now, minutes)
            band = measure.assess(value) if value is not None else None
            readings.append(
                WaterReading(
                    key=measure.key,
                    value=value,
                    time=when,
                    stale=value is not None and not fresh,
                    status=band.status if band and fresh else "unknown",
                    meaning=str(band.meaning) if band else "",
                )
            )
        stations.append(
            WaterStation(
                **_place(thing),
                readings=tuple(readings),
                status=meanings.worst(r.status for r in readings),
            )
        )
    return stations


@dataclass
class DistrictStatus:
    district_id: int | None
    code: str
    name: str
    status: str
    stations: list[Any] = field(default_factory=list)
    index: int | None = None  # air only: the highest station index


def _by_district(stations: list[Any], language: str | None = None) -> list[DistrictStatus]:
    names = districts_by_id(language)
    grouped: dict[int | None, list[Any]] = defaultdict(list)
    for station in stations:
        grouped[station.district_id].append(station)
    rows = []
    for district_id, members in grouped.items():
        info = names.get(district_id) if district_id is not None else None
        rows.append(
            DistrictStatus(
                district_id=district_id,
                code=info.code if info else "",
                name=info.name if info else "",
                status="unknown",
                stations=sorted(members, key=lambda s: s.name.casefold()),
            )
        )
    return sorted(rows, key=lambda r: (r.district_id is None, r.name.casefold()))


def water_districts(now: datetime | None = None, language: str | None = None) -> list[DistrictStatus]:
    """Districts with water stations, each with the worst status of its stations' recent readings."""
    rows = _by_district(water_stations(now), language)
    for row in rows:
        row.status = meanings.worst(s.status for s in row.stations)
    return rows


# --- air quality ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AirStation(Station):
    latest: dict[str, float | None]  # latest hourly mean per pollutant, µg/m³
    aqi: meanings.Aqi | None
    updated: datetime | None
    stale: bool


AIR_POLLUTANTS = ("pm25", "pm10", "no2", "o3")


def air_stations(now: datetime | None = None) -> list[AirStation]:
    """Each station's AQI from its hourly means: PM over 24 h, O₃ over 8 h (and its latest hour),
    NO₂ over the latest hour, as the EPA's averaging periods ask; readings too old give no index."""
    now = now or timezone.now()
    minutes = conf.stale_minutes()
    things = sensing.latest_of_kind(AIR_KIND)
    stream_ids = {
        (thing.id, p): stream.id
        for thing in things
        for p in AIR_POLLUTANTS
        if (stream := thing.datastream(p)) is not None
    }
    end = sensing.hour_start(now) + timedelta(hours=1)
    hourly = sensing.hourly_means(stream_ids.values(), end - timedelta(hours=24), end)
    stations = []
    for thing in things:
        means: dict[str, dict[datetime, float]] = {
            p: hourly.get(stream_ids[(thing.id, p)], {}) if (thing.id, p) in stream_ids else {} for p in AIR_POLLUTANTS
        }
        times = [s.last_time for p in AIR_POLLUTANTS if (s := thing.datastream(p)) and s.last_time]
        updated = max(times, default=None)
        fresh = _fresh(updated, now, minutes)
        last_hour = end - timedelta(hours=1)
        latest = {p: means[p].get(last_hour) if means[p] else None for p in AIR_POLLUTANTS}
        for p in AIR_POLLUTANTS:  # the newest hour with data, when the current one has none yet
            if latest[p] is None and means[p]:
                latest[p] = means[p][max(means[p])]
        aqi = (
            meanings.air_quality_index(
                pm25_24h=meanings.mean_over(means["pm25"], end, 24),
                pm10_24h=meanings.mean_over(means["pm10"], end, 24),
                no2_1h=latest["no2"],
                o3_8h=meanings.mean_over(means["o3"], end, 8),
                o3_1h=latest["o3"],
            )
            if fresh
            else None
        )
        stations.append(
            AirStation(
                **_place(thing),
                latest=latest,
                aqi=aqi,
                updated=updated,
                stale=not fresh,
            )
        )
    return stations


def air_districts(now: datetime | None = None, language: str | None = None) -> list[DistrictStatus]:
    """Districts with air stations; a district's index is its worst station's (as the EPA reports)."""
    rows = _by_district(air_stations(now), language)
    for row in rows:
        indexes = [s.aqi.index for s in row.stations if s.aqi is not None]
        row.index = max(indexes) if indexes else None
        row.status = meanings.aqi_category(row.index).key if row.index is not None else "unknown"
    return rows


def find_district(rows: list[DistrictStatus], wanted: str, language: str | None = None) -> DistrictStatus | None:
    """The row whose district code or name (in any language) is ``wanted``, else the only one
    whose name contains it."""
    folded = wanted.casefold().strip()
    if not folded:
        return None
    districts = {d.pk: d for d in District.objects.filter(pk__in=[r.district_id for r in rows if r.district_id])}

    def names(row: DistrictStatus) -> list[str]:
        district = districts.get(row.district_id) if row.district_id else None
        if district is None:
            return [row.name] if row.name else []
        return [district.code, district.name, row.name, *(district.names or {}).values()]

    exact = [r for r in rows if any(folded == n.casefold() for n in names(r))]
    if exact:
        return exact[0]
    partial = [r for r in rows if any(folded in n.casefold() for n in names(r))]
    return partial[0] if len(partial) == 1 else None


# --- predator traps ------------------------------------------------------------------------
@dataclass(frozen=True)
class Trap(Station):
    trap_line: str
    catches: int
    last_catch: datetime | None
    species: dict[str, int]


@dataclass(frozen=True)
class TrapEvent:
    id: int
    trap_id: int
    trap_name: str
    trap_line: str
    time: datetime
    count: int
    species: str
    district_id: int | None
    longitude: float | None
    latitude: float | None


def trap_events(start: datetime, end: datetime, *, trap_line: str = "", limit: int = 10_000) -> list[TrapEvent]:
    traps = {t.id: t for t in sensing.latest_of_kind(TRAP_KIND)}
    events = []
    for event in sensing.events_of_kind(TRAP_KIND, "trap-event", start, end, limit=limit):
        trap = traps.get(event.thing_id)
        if trap is None:
            continue
        line = str(trap.properties.get("trap_line") or "")
        if trap_line and line != trap_line:
            continue
        count = event.result if isinstance(event.result, int) and not isinstance(event.result, bool) else 1
        events.append(
            TrapEvent(
                id=event.id,
                trap_id=trap.id,
                trap_name=trap.name,
                trap_line=line,
                time=event.time,
                count=count,
                species=str(event.parameters.get("species") or ""),
                district_id=trap.district_id,
                longitude=trap.longitude,
                latitude=trap.latitude,
            )
        )
    return events


def traps(now: datetime | None = None, days: int | None = None) -> list[Trap]:
    """Every trap with its catches over the last ``days`` days."""
    now = now or timezone.now()
    events = trap_events(now - timedelta(days=days or conf.trap_days()), now + timedelta(seconds=1))
    per_trap: dict[int, list[TrapEvent]] = defaultdict(list)
    for event in events:
        per_trap[event.trap_id].append(event)
    result = []
    for thing in sensing.latest_of_kind(TRAP_KIND):
        mine = per_trap.get(thing.id, [])
        species: Counter[str] = Counter()
        for event in mine:
            species[event.species or "unknown"] += event.count
        result.append(
            Trap(
                **_place(thing),
                trap_line=str(thing.properties.get("trap_line") or ""),
                catches=sum(e.count for e in mine),
                last_catch=max((e.time for e in mine), default=None),
                species=dict(species.most_common()),
            )
        )
    return sorted(result, key=lambda t: (t.trap_line.casefold(), t.name.casefold()))


# --- damp and mould (staff) ----------------------------------------------------------------
def home_climates() -> list[sensing.ThingSummary]:
    return sensing.latest_of_kind(HOME_KIND)


def homes(
    *, q: str = "", level: str = "", district_id: int | None = None, order: tuple[str, ...] = ("-score", "home_ref")
) -> QuerySet[HomeRisk]:
    found = HomeRisk.objects.select_related("district")
    if q:
        found = found.filter(Q(home_ref__icontains=q) | Q(address__icontains=q))
    if level:
        found = found.filter(level=level)
    if district_id is not None:
        found = found.filter(district_id=district_id)
    return found.order_by(*order, "pk")


def work_orders(
    *, q: str = "", status: str = "", district_id: int | None = None, order: tuple[str, ...] = ("-created_at",)
) -> QuerySet[WorkOrder]:
    found = WorkOrder.objects.select_related("district", "created_by", "updated_by")
    if q:
        found = found.filter(Q(home_ref__icontains=q) | Q(address__icontains=q) | Q(reason__icontains=q))
    if status == "active":
        found = found.filter(status__in=ACTIVE_STATUSES)
    elif status:
        found = found.filter(status=status)
    if district_id is not None:
        found = found.filter(district_id=district_id)
    return found.order_by(*order, "-pk")


def active_order_homes() -> set[int]:
    return set(WorkOrder.objects.filter(status__in=ACTIVE_STATUSES).values_list("thing_id", flat=True))
