"""Hourly and daily rollups (count, total, minimum, maximum), kept as observations arrive.

Hour buckets start on the city's hour and day buckets at the city's midnight (settings.TIME_ZONE),
so a daily chart matches the city's days and every hour lies in one day, also where the clock is
a half or quarter hour off UTC (India, Nepal, Newfoundland, South Australia). A batch is summarised in
Python per (datastream, bucket) first, then written with one upsert per period, in the same
transaction as the observations: a chart never sees observations without their rollups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDay, TruncHour

from cityos.sensing.models import Datastream, Observation, ObservationRollup, RollupPeriod

HOUR = 3600
UPSERT_CHUNK = 500  # rows per INSERT: well under SQLite's parameter limit


@lru_cache(maxsize=8)
def _zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def city_zone() -> tzinfo:
    return _zone(settings.TIME_ZONE or "UTC")


@lru_cache(maxsize=8)
def _hour_offset(name: str) -> int:
    # One fixed offset, read in January: daylight saving moves clocks by whole hours everywhere
    # but Lord Howe Island, so the city's hours start this many seconds past the UTC hour all year.
    # A local hour starts when UTC is that many seconds *behind* a whole hour: at UTC+5:45
    # (Nepal) local 06:00 is 00:15 UTC, 15 minutes past, not 45; at UTC+5:30 it is 30 either way.
    offset = datetime(2026, 1, 1, tzinfo=_zone(name)).utcoffset() or timedelta(0)
    return int(-offset.total_seconds()) % HOUR


def hour_offset() -> int:
    """Seconds past each UTC hour at which the city's hours start (0; 1800 in India; 900 in Nepal)."""
    return _hour_offset(settings.TIME_ZONE or "UTC")


def hour_index(timestamp: float, offset: int) -> int:
    """The hour bucket holding a POSIX timestamp; ``offset`` is hour_offset()."""
    return int((timestamp - offset) // HOUR)


def hour_bucket_start(index: int, offset: int) -> datetime:
    return datetime.fromtimestamp(index * HOUR + offset, UTC)


def hour_start(when: datetime) -> datetime:
    offset = hour_offset()
    return hour_bucket_start(hour_index(when.timestamp(), offset), offset)


def hour_zone() -> tzinfo:
    """A fixed zone whose whole hours are the city's hour buckets (for SQL truncation)."""
    offset = hour_offset()
    return timezone(timedelta(seconds=-offset)) if offset else UTC


def day_start(when: datetime) -> datetime:
    """Midnight (in the city's zone) of the day holding ``when``, as a UTC instant."""
    local = when.astimezone(city_zone())
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def next_day_start(when: datetime) -> datetime:
    # 26 h after midnight is always in the next day, even across a daylight-saving change.
    return day_start(day_start(when) + timedelta(hours=26))


Summary = list[float]  # [count, total, minimum, maximum]


Hours = dict[tuple[int, int], Summary]  # (datastream, hour_index) -> summary
Days = dict[tuple[int, datetime], Summary]  # (datastream, day start) -> summary


def summarise(points: Iterable[tuple[int, int, float]]) -> tuple[Hours, Days]:
    """(datastream id, hour_index, value) points summarised per hour and per day."""
    hours: Hours = {}
    for datastream_id, hour, value in points:
        key = (datastream_id, hour)
        summary = hours.get(key)
        if summary is None:
            hours[key] = [1, value, value, value]
        else:
            summary[0] += 1
            summary[1] += value
            if value < summary[2]:
                summary[2] = value
            if value > summary[3]:
                summary[3] = value
    return hours, days_of(hours)


def days_of(hours: Hours) -> Days:
    """Day summaries (city days) from hour summaries."""
    days: Days = {}
    day_of: dict[int, datetime] = {}
    offset = hour_offset()
    for (datastream_id, hour), summary in hours.items():
        day = day_of.get(hour)
        if day is None:
            day = day_of[hour] = day_start(hour_bucket_start(hour, offset))
        key2 = (datastream_id, day)
        total = days.get(key2)
        if total is None:
            days[key2] = list(summary)
        else:
            total[0] += summary[0]
            total[1] += summary[1]
            total[2] = min(total[2], summary[2])
            total[3] = max(total[3], summary[3])
    return days


def add(points: Iterable[tuple[int, int, float]]) -> int:
    """Adds (datastream id, hour_index, numeric result) points to their rollups; returns buckets written."""
    return add_hours(summarise(points)[0])


def add_hours(hours: Hours) -> int:
    """Adds hour summaries (and the day summaries made from them) to the rollups."""
    days = days_of(hours)
    offset = hour_offset()
    rows: list[tuple[int, str, datetime, Summary]] = [
        (ds, RollupPeriod.HOUR, hour_bucket_start(hour, offset), s) for (ds, hour), s in hours.items()
    ]
    rows.extend((ds, RollupPeriod.DAY, day, s) for (ds, day), s in days.items())
    _upsert(rows)
    return len(rows)


def _upsert(rows: list[tuple[int, str, datetime, Summary]]) -> None:
    if not rows:
        return
    connection = connections[ObservationRollup.objects.db]
    table = connection.ops.quote_name(ObservationRollup._meta.db_table)
    postgres = connection.vendor == "postgresql"
    least, greatest = ("LEAST", "GREATEST") if postgres else ("MIN", "MAX")
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for first in range(0, len(rows), UPSERT_CHUNK):
            chunk = rows[first : first + UPSERT_CHUNK]
            params: list[Any] = []
            for datastream_id, period, bucket, (count, total, low, high) in chunk:
                params.extend(
                    (datastream_id, str(period), bucket if postgres else adapt(bucket), int(count), total, low, high)
                )
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} AS r (datastream_id, period, bucket_start, count, total, minimum, maximum) "  # noqa: S608
                f"VALUES {values} ON CONFLICT (datastream_id, period, bucket_start) DO UPDATE SET "
                "count = r.count + EXCLUDED.count, total = r.total + EXCLUDED.total, "
                f"minimum = {least}(r.minimum, EXCLUDED.minimum), maximum = {greatest}(r.maximum, EXCLUDED.maximum)",
                params,
            )


def recompute(datastream_id: int, start: datetime, end: datetime) -> None:
    """Rebuilds the rollups of whole days [day of start, day after end) from the raw observations.

    Used after observations are changed or deleted one by one; the range is widened to whole
    days so hour and day buckets are rebuilt together from complete data.
    """
    start, end = day_start(start), next_day_start(end)
    stale = ObservationRollup.objects.filter(datastream_id=datastream_id, bucket_start__gte=start, bucket_start__lt=end)
    stale._raw_delete(stale.db)  # type: ignore[attr-defined]  # bookkeeping: no per-row delete signals
    raw = Observation.objects.filter(
        datastream_id=datastream_id,
        result_number__isnull=False,
        phenomenon_time_start__gte=start,
        phenomenon_time_start__lt=end,
    )
    rollups: list[ObservationRollup] = []
    for period, bucket in (
        (RollupPeriod.HOUR, TruncHour("phenomenon_time_start", tzinfo=hour_zone())),
        (RollupPeriod.DAY, TruncDay("phenomenon_time_start", tzinfo=city_zone())),
    ):
        groups = (
            raw.annotate(bucket=bucket)
            .order_by()
            .values("bucket")
            .annotate(
                count=Count("id"), total=Sum("result_number"), low=Min("result_number"), high=Max("result_number")
            )
        )
        rollups.extend(
            ObservationRollup(
                datastream_id=datastream_id,
                period=period,
                bucket_start=group["bucket"],
                count=group["count"],
                total=group["total"],
                minimum=group["low"],
                maximum=group["high"],
            )
            for group in groups
        )
    ObservationRollup.objects.bulk_create(rollups, batch_size=UPSERT_CHUNK)


REBUILD_WINDOW = timedelta(days=31)  # a month of one datastream per query and transaction


def hold_datastreams(datastream_ids: Iterable[int]) -> None:
    """Lock the datastreams' rows (PostgreSQL; SQLite writes one at a time anyway), in id order so
    concurrent holders queue instead of deadlocking: whoever holds a datastream is the only one
    touching its rollup rows (ingest's batches, a rebuild's month)."""
    ids = sorted(datastream_ids)
    list(Datastream.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values_list("pk"))


def rebuild(
    datastream_ids: Iterable[int] | None = None, progress: Callable[[int, int, int], None] | None = None
) -> int:
    """Rebuild the rollups of the datastreams (all: ``None``) from their raw observations in the
    city's zone: after ``CITYOS_TIME_ZONE`` changed, or an upgrade moved its hour or day buckets.

    A month at a time, each month's whole days deleted and rebuilt in one transaction under the
    datastream's lock, so charts and ingest never see a month half-built. Rollups from before the
    first stored observation are kept: retention deleted their observations and keeps them on
    purpose (they stay in the buckets of the zone they were made in). ``progress(done, total,
    datastream_id)`` after each datastream; returns how many had numeric observations."""
    streams = Datastream.objects.order_by("pk")
    if datastream_ids is not None:
        streams = streams.filter(pk__in=list(datastream_ids))
    ids = list(streams.values_list("pk", flat=True))
    rebuilt = 0
    for done, datastream_id in enumerate(ids, start=1):
        rebuilt += _rebuild_one(datastream_id)
        if progress is not None:
            progress(done, len(ids), datastream_id)
    return rebuilt


def _rebuild_one(datastream_id: int) -> bool:
    with transaction.atomic():
        hold_datastreams([datastream_id])
        span = Observation.objects.filter(datastream_id=datastream_id, result_number__isnull=False).aggregate(
            first=Min("phenomenon_time_start"), last=Max("phenomenon_time_start")
        )
        first, last = span["first"], span["last"]
        if first is None or last is None:
            return False
        # Old buckets holding stored readings but starting before the first rebuilt day.
        for period, length in ((RollupPeriod.HOUR, timedelta(hours=1)), (RollupPeriod.DAY, timedelta(days=1))):
            edge = ObservationRollup.objects.filter(
                datastream_id=datastream_id,
                period=period,
                bucket_start__gt=first - length,
                bucket_start__lt=day_start(first),
            )
            edge._raw_delete(edge.db)  # type: ignore[attr-defined]
    start = first
    while True:
        end = min(start + REBUILD_WINDOW, last)
        with transaction.atomic():
            hold_datastreams([datastream_id])
            # Whole days: consecutive windows share a day, rebuilt whole each time. Readings
            # stored later than ``last`` are added to the rebuilt buckets as they arrive.
            recompute(datastream_id, start, end)
        if end >= last:
            return True
        start = end
