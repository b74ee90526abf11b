"""Reads of sensing data for pages, exports and other modules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import TruncHour

from cityos.sensing.models import (
    Datastream,
    FeatureOfInterest,
    Location,
    Observation,
    ObservationRollup,
    RollupPeriod,
    Thing,
)
from cityos.sensing.timeseries import rollups as timeseries_rollups


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


def numeric_series_many(
    datastream_ids: Iterable[int], start: datetime | None, end: datetime | None
) -> dict[int, list[tuple[datetime, float]]]:
    """Like :func:`numeric_series` for many datastreams in one query: each id asked for maps to
    its numeric results in time order (an empty list when it has none in the range)."""
    wanted = set(datastream_ids)
    series: dict[int, list[tuple[datetime, float]]] = {pk: [] for pk in wanted}
    if not wanted:
        return series
    observations = Observation.objects.filter(datastream_id__in=wanted, result_number__isnull=False)
    if start is not None:
        observations = observations.filter(phenomenon_time_start__gte=start)
    if end is not None:
        observations = observations.filter(phenomenon_time_start__lt=end)
    rows = observations.order_by("datastream_id", "phenomenon_time_start", "id").values_list(
        "datastream_id", "phenomenon_time_start", "result_number"
    )
    for datastream_id, when, value in rows.iterator(chunk_size=5000):
        if value is not None:
            series[datastream_id].append((when, float(value)))
    return series


# --- facade reads for the monitoring services (parking, water, air, damp, traps) ----------
def _newest_observations(datastream_ids: list[int]) -> dict[int, tuple[datetime, float | None, Any]]:
    """(time, number, result) of each datastream's newest observation, one indexed lookup each."""
    if not datastream_ids:
        return {}
    newest = Observation.objects.filter(datastream_id=OuterRef("pk")).order_by("-phenomenon_time_start", "-id")
    rows = (
        Datastream.objects.filter(pk__in=datastream_ids)
        .annotate(newest_id=Subquery(newest.values("id")[:1]))
        .values_list("newest_id", flat=True)
    )
    found = Observation.objects.filter(pk__in=[pk for pk in rows if pk is not None]).values_list(
        "datastream_id", "phenomenon_time_start", "result_number", "result"
    )
    return {ds: (when, number, result) for ds, when, number, result in found}


def latest_of_kind(kind: str, *, district_id: int | None = None) -> list[ThingSummary]:
    """Like :func:`things_of_kind`, but also right before the write path has filled
    ``Thing.kind`` and ``Datastream.last_*``: the kind is also read from properties["kind"] and a
    missing latest value from the newest observation (one indexed lookup per such datastream)."""
    things = (
        Thing.objects.filter(Q(kind=kind) | Q(kind="", properties__kind=kind))
        .order_by("pk")
        .prefetch_related(
            "locations", Prefetch("datastreams", queryset=Datastream.objects.select_related("observed_property"))
        )
    )
    if district_id is not None:
        things = things.filter(district_id=district_id)
    things_list = list(things)
    uncached = [d.pk for t in things_list for d in t.datastreams.all() if d.last_phenomenon_time is None]
    newest = _newest_observations(uncached)
    summaries = []
    for thing in things_list:
        point = _point(next(iter(thing.locations.all()), None))
        streams = []
        for d in sorted(thing.datastreams.all(), key=lambda d: d.pk):
            if d.last_phenomenon_time is not None:
                last: tuple[datetime | None, float | None, Any] = (
                    d.last_phenomenon_time,
                    d.last_result_number,
                    d.last_result,
                )
            else:
                last = newest.get(d.pk, (None, None, None))
            streams.append(
                DatastreamSummary(
                    id=d.pk,
                    name=d.name,
                    observed_property=d.observed_property.name,
                    unit_symbol=str((d.unit_of_measurement or {}).get("symbol") or ""),
                    last_time=last[0],
                    last_value=last[1],
                    last_result=last[2],
                )
            )
        last_seen = max(
            [s.last_time for s in streams if s.last_time] + ([thing.last_seen_at] if thing.last_seen_at else []),
            default=None,
        )
        summaries.append(
            ThingSummary(
                id=thing.pk,
                name=thing.name,
                kind=kind,
                properties=thing.properties if isinstance(thing.properties, dict) else {},
                district_id=thing.district_id,
                department_id=thing.department_id,
                longitude=point[0] if point else None,
                latitude=point[1] if point else None,
                last_seen_at=last_seen,
                datastreams=tuple(streams),
            )
        )
    return summaries


def hour_start(when: datetime) -> datetime:
    """The start of the city's hour holding ``when``: the keys of hourly_means. In most cities
    the UTC hour; in India or Newfoundland half an hour past it."""
    return timeseries_rollups.hour_start(when)


def hourly_means(datastream_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, dict[datetime, float]]:
    """Per datastream, the mean of its numeric results in each of the city's hours (keyed by
    hour_start) of [start, end) that has any.

    Hourly rollups are read where the write path keeps them; a datastream without rollups in
    the range is averaged from its raw observations instead."""
    wanted = set(datastream_ids)
    means: dict[int, dict[datetime, float]] = {pk: {} for pk in wanted}
    rollups = ObservationRollup.objects.filter(
        datastream_id__in=wanted, period=RollupPeriod.HOUR, bucket_start__gte=start, bucket_start__lt=end, count__gt=0
    ).values_list("datastream_id", "bucket_start", "total", "count")
    for datastream_id, bucket, total, count in rollups.iterator(chunk_size=5000):
        means[datastream_id][bucket] = total / count
    raw = [pk for pk in wanted if not means[pk]]
    if raw:
        rows = (
            Observation.objects.filter(
                datastream_id__in=raw,
                result_number__isnull=False,
                phenomenon_time_start__gte=start,
                phenomenon_time_start__lt=end,
            )
            .annotate(hour=TruncHour("phenomenon_time_start", tzinfo=timeseries_rollups.hour_zone()))
            .values("datastream_id", "hour")
            .annotate(mean=Avg("result_number"))
            .values_list("datastream_id", "hour", "mean")
        )
        for datastream_id, hour, mean in rows:
            if mean is not None:
                means[datastream_id][hour] = float(mean)
    return means


@dataclass(frozen=True)
class ObservationEvent:
    """One observation of a thing of some kind, e.g. a trap's catch."""

    id: int
    thing_id: int
    datastream_id: int
    time: datetime
    result: Any
    parameters: dict[str, Any]


def events_of_kind(
    kind: str, observed_property: str, start: datetime, end: datetime, *, limit: int = 10_000
) -> list[ObservationEvent]:
    """Observations of ``observed_property`` on things of ``kind`` in [start, end), newest first."""
    rows = (
        Observation.objects.filter(
            Q(datastream__thing__kind=kind) | Q(datastream__thing__kind="", datastream__thing__properties__kind=kind),
            datastream__observed_property__name=observed_property,
            phenomenon_time_start__gte=start,
            phenomenon_time_start__lt=end,
        )
        .order_by("-phenomenon_time_start", "-id")
        .values_list("id", "datastream__thing_id", "datastream_id", "phenomenon_time_start", "result", "parameters")[
            :limit
        ]
    )
    return [
        ObservationEvent(
            id=pk,
            thing_id=thing_id,
            datastream_id=datastream_id,
            time=when,
            result=result,
            parameters=parameters if isinstance(parameters, dict) else {},
        )
        for pk, thing_id, datastream_id, when, result, parameters in rows
    ]
