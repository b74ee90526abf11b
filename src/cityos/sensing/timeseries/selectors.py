"""Reads of a datastream's values at any zoom: raw observations for short ranges, rollups for long.

Which resolution: raw when the range holds no more than ``max_points`` observations (counted
from the hour rollups, which is cheap) and the raw rows are still kept; else hours when the
range has no more than ``max_points`` hours; else days. So an hour reads raw rows through the
(datastream, time) index and a year reads 365 day rows through the rollups' unique index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Sum

from cityos.sensing.models import Datastream, Observation, ObservationRollup, RollupPeriod
from cityos.sensing.timeseries.rollups import day_start, hour_start


@dataclass(frozen=True)
class Point:
    """One point of a chart: a raw value (count 1) or an hour's or a day's summary."""

    time: datetime
    mean: float
    minimum: float
    maximum: float
    count: int


@dataclass(frozen=True)
class Series:
    resolution: str  # "raw", "hour" or "day"
    points: list[Point]


def resolution_for(datastream_id: int, start: datetime, end: datetime, max_points: int) -> str:
    hours = (end - start) / timedelta(hours=1)
    if hours > max_points:
        return RollupPeriod.DAY.value
    oldest_raw = Datastream.objects.filter(pk=datastream_id).values_list("phenomenon_time_start", flat=True).first()
    # Rollups from hours before the oldest raw observation's own hour mean retention removed
    # part of the range: only rollups have it. (A range that merely starts before the first
    # observation has none there.)
    if (
        oldest_raw is not None
        and oldest_raw > start
        and _rollups(datastream_id, RollupPeriod.HOUR, start, hour_start(oldest_raw))
    ):
        return RollupPeriod.HOUR.value
    counted = (
        ObservationRollup.objects.filter(
            datastream_id=datastream_id,
            period=RollupPeriod.HOUR,
            bucket_start__gte=hour_start(start),
            bucket_start__lt=end,
        ).aggregate(n=Sum("count"))["n"]
        or 0
    )
    return "raw" if counted <= max_points else RollupPeriod.HOUR.value


def _rollups(datastream_id: int, period: str, start: datetime, end: datetime) -> bool:
    return ObservationRollup.objects.filter(
        datastream_id=datastream_id, period=period, bucket_start__gte=start, bucket_start__lt=end
    ).exists()


def series(datastream_id: int, start: datetime, end: datetime, *, max_points: int = 1000) -> Series:
    """The datastream's numeric results in [start, end), at the finest resolution that fits max_points."""
    resolution = resolution_for(datastream_id, start, end, max_points)
    if resolution == "raw":
        rows = (
            Observation.objects.filter(
                datastream_id=datastream_id,
                phenomenon_time_start__gte=start,
                phenomenon_time_start__lt=end,
                result_number__isnull=False,
            )
            .order_by("phenomenon_time_start", "id")
            .values_list("phenomenon_time_start", "result_number")[:max_points]
        )
        return Series("raw", [Point(when, v, v, v, 1) for when, v in rows if v is not None])
    first = hour_start(start) if resolution == RollupPeriod.HOUR else day_start(start)
    buckets = (
        ObservationRollup.objects.filter(
            datastream_id=datastream_id, period=resolution, bucket_start__gte=first, bucket_start__lt=end
        )
        .order_by("bucket_start")
        .values_list("bucket_start", "count", "total", "minimum", "maximum")
    )
    return Series(
        resolution,
        [Point(when, total / count, low, high, count) for when, count, total, low, high in buckets if count],
    )
