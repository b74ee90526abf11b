"""Reads of sensing data for pages, exports and other modules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cityos.sensing.models import Datastream, FeatureOfInterest, Location, Observation, Thing


def datastream(pk: int) -> Datastream | None:
    return Datastream.objects.select_related("thing", "observed_property").filter(pk=pk).first()


def observation_rows(datastream_id: int, start: datetime | None, end: datetime | None) -> Iterator[dict[str, Any]]:
    """One datastream's observations in time order, streamed from the database in chunks."""
    observations = Observation.objects.filter(datastream_id=datastream_id)
    if start is not None:
        observations = observations.filter(phenomenon_time_start__gte=start)
    if end is not None:
        observations = observations.filter(phenomenon_time_start__lt=end)
    columns = ("id", "phenomenon_time_start", "phenomenon_time_end", "result_time", "result", "feature_of_interest_id")
    yield from observations.order_by("phenomenon_time_start", "id").values(*columns).iterator(chunk_size=5000)


def feature_geometries(ids: set[int]) -> dict[int, Any]:
    features = FeatureOfInterest.objects.filter(pk__in=ids).values_list("pk", "feature")
    return {pk: (f.get("geometry") if isinstance(f, dict) and f.get("type") == "Feature" else f) for pk, f in features}


# --- the public facade other domains use (monitoring, waste...) ----------------------------
@dataclass(frozen=True)
class DatastreamSummary:
    id: int
    name: str
    observed_property: str
    unit_symbol: str
    last_time: datetime | None
    last_value: float | None
    last_result: Any


@dataclass(frozen=True)
class ThingSummary:
    id: int
    name: str
    kind: str
    properties: dict[str, Any]
    district_id: int | None
    department_id: int | None
    longitude: float | None
    latitude: float | None
    last_seen_at: datetime | None
    datastreams: tuple[DatastreamSummary, ...]

    def datastream(self, observed_property: str) -> DatastreamSummary | None:
        return next((d for d in self.datastreams if d.observed_property == observed_property), None)


def things_of_kind(kind: str, *, district_id: int | None = None) -> list[ThingSummary]:
    """Every thing of a kind ("parking-bay", "waste-bin"...) with its datastreams' latest values."""
    things = (
        Thing.objects.filter(kind=kind).order_by("pk").prefetch_related("locations", "datastreams__observed_property")
    )
    if district_id is not None:
        things = things.filter(district_id=district_id)
    summaries = []
    for thing in things:
        point = _point(next(iter(thing.locations.all()), None))
        summaries.append(
            ThingSummary(
                id=thing.pk,
                name=thing.name,
                kind=thing.kind,
                properties=thing.properties if isinstance(thing.properties, dict) else {},
                district_id=thing.district_id,
                department_id=thing.department_id,
                longitude=point[0] if point else None,
                latitude=point[1] if point else None,
                last_seen_at=thing.last_seen_at,
                datastreams=tuple(
                    DatastreamSummary(
                        id=d.pk,
                        name=d.name,
                        observed_property=d.observed_property.name,
                        unit_symbol=str((d.unit_of_measurement or {}).get("symbol") or ""),
                        last_time=d.last_phenomenon_time,
                        last_value=d.last_result_number,
                        last_result=d.last_result,
                    )
                    for d in sorted(thing.datastreams.all(), key=lambda d: d.pk)
                ),
            )
        )
    return summaries


def _point(location: Location | None) -> tuple[float, float] | None:
    """A representative (longitude, latitude) of a Location: a Point's own, else its box's centre."""
    if location is None or location.bbox_min_x is None:
        return None
    assert location.bbox_max_x is not None and location.bbox_min_y is not None and location.bbox_max_y is not None
    return (location.bbox_min_x + location.bbox_max_x) / 2, (location.bbox_min_y + location.bbox_max_y) / 2


def numeric_series(datastream_id: int, start: datetime | None, end: datetime | None) -> list[tuple[datetime, float]]:
    """A datastream's numeric results in time order (raw observations, so keep ranges short)."""
    observations = Observation.objects.filter(datastream_id=datastream_id, result_number__isnull=False)
    if start is not None:
        observations = observations.filter(phenomenon_time_start__gte=start)
    if end is not None:
        observations = observations.filter(phenomenon_time_start__lt=end)
    rows = observations.order_by("phenomenon_time_start", "id").values_list("phenomenon_time_start", "result_number")
    return [(when, float(value)) for when, value in rows if value is not None]
