"""Rollups, newest values and last-seen times kept by the write path, whatever the source."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.sensing import services
from cityos.sensing.models import Datastream, Observation, ObservationRollup, RollupPeriod, Thing
from cityos.sensing.tests.conftest import STA, patch, post, thing_payload
from cityos.sensing.timeseries import rollups

pytestmark = pytest.mark.django_db
# The city's midnight of 2026-03-01, as an instant: day buckets start at midnight on the city's
# clock, hour buckets on the hour. (Not make_station's T0, which is UTC midnight.)
T0 = datetime(2026, 3, 1, tzinfo=timezone.get_default_timezone()).astimezone(UTC)


def new(datastream: Datastream, when: datetime, value: object) -> services.NewObservation:
    return services.NewObservation(datastream_id=datastream.pk, phenomenon_time=(when, None), result=value)


def rollup(datastream: Datastream, period: str, start: datetime) -> tuple[int, float, float, float]:
    row = ObservationRollup.objects.get(datastream=datastream, period=period, bucket_start=start)
    return row.count, row.total, row.minimum, row.maximum


def station(make_station: Callable[..., Thing], count: int, name: str = "Station 1") -> Datastream:
    """A station's datastream with ``count`` hourly observations from T0: 10, 11, 12, ..."""
    datastream = make_station(name, count=0).datastreams.get()
    services.create_observations(
        [new(datastream, T0 + timedelta(hours=i), float(10 + i)) for i in range(count)], user=None, system=True
    )
    return datastream


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def test_a_batch_adds_to_hour_and_day_rollups_across_batches(make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=0).datastreams.get()
    services.create_observations(
        [new(datastream, T0 + timedelta(minutes=m), float(m)) for m in (0, 10, 70)], user=None, system=True
    )
    assert rollup(datastream, RollupPeriod.HOUR, T0) == (2, 10.0, 0.0, 10.0)
    assert rollup(datastream, RollupPeriod.HOUR, T0 + timedelta(hours=1)) == (1, 70.0, 70.0, 70.0)
    # A second batch, older and newer values, merges into the same buckets.
    services.create_observations(
        [new(datastream, T0 + timedelta(minutes=5), -3.0), new(datastream, T0 + timedelta(minutes=20), 99.5)],
        user=None,
        system=True,
    )
    assert rollup(datastream, RollupPeriod.HOUR, T0) == (4, 106.5, -3.0, 99.5)
    assert rollup(datastream, RollupPeriod.DAY, T0) == (5, 176.5, -3.0, 99.5)
    assert ObservationRollup.objects.filter(datastream=datastream).count() == 3


def test_day_buckets_follow_the_city_time_zone(settings: object, make_station: Callable[..., Thing]) -> None:
    settings.TIME_ZONE = "Asia/Taipei"  # type: ignore[attr-defined]
    datastream = make_station(count=0).datastreams.get()
    # 15:30 and 16:30 UTC are on different days in Taipei (UTC+8): 23:30 and 00:30.
    when = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    services.create_observations(
        [new(datastream, when, 1.0), new(datastream, when + timedelta(hours=1), 2.0)], user=None, system=True
    )
    days = list(
        ObservationRollup.objects.filter(datastream=datastream, period=RollupPeriod.DAY)
        .order_by("bucket_start")
        .values_list("bucket_start", "count")
    )
    assert days == [(datetime(2026, 2, 28, 16, tzinfo=UTC), 1), (datetime(2026, 3, 1, 16, tzinfo=UTC), 1)]


def test_hours_and_days_follow_a_city_half_an_hour_off_utc(
    settings: object, make_station: Callable[..., Thing]
) -> None:
    settings.TIME_ZONE = "Asia/Kolkata"  # type: ignore[attr-defined]  # UTC+5:30
    datastream = make_station(count=0).datastreams.get()
    # 18:20 and 18:40 UTC are 23:50 on 1 March and 00:10 on 2 March in Kolkata.
    before = datetime(2026, 3, 1, 18, 20, tzinfo=UTC)
    after = before + timedelta(minutes=20)
    services.create_observations([new(datastream, before, 1.0), new(datastream, after, 2.0)], user=None, system=True)

    def buckets(period: str) -> list[tuple[datetime, int]]:
        rows = ObservationRollup.objects.filter(datastream=datastream, period=period).order_by("bucket_start")
        return list(rows.values_list("bucket_start", "count"))

    # The city's hours start at :30 UTC, so no hour straddles its midnight.
    assert buckets(RollupPeriod.HOUR) == [
        (datetime(2026, 3, 1, 17, 30, tzinfo=UTC), 1),
        (datetime(2026, 3, 1, 18, 30, tzinfo=UTC), 1),
    ]
    assert buckets(RollupPeriod.DAY) == [
        (datetime(2026, 2, 28, 18, 30, tzinfo=UTC), 1),
        (datetime(2026, 3, 1, 18, 30, tzinfo=UTC), 1),
    ]
    kept = (buckets(RollupPeriod.HOUR), buckets(RollupPeriod.DAY))
    rollups.recompute(datastream.pk, before, after)  # as after an edit; rebuilt the same
    assert (buckets(RollupPeriod.HOUR), buckets(RollupPeriod.DAY)) == kept


def test_hours_follow_a_city_a_quarter_of_an_hour_off_utc(settings: object, make_station: Callable[..., Thing]) -> None:
    settings.TIME_ZONE = "Asia/Kathmandu"  # type: ignore[attr-defined]  # UTC+5:45
    datastream = make_station(count=0).datastreams.get()
    # 18:10 and 18:20 UTC are 23:55 on 1 March and 00:05 on 2 March in Kathmandu.
    before = datetime(2026, 3, 1, 18, 10, tzinfo=UTC)
    after = before + timedelta(minutes=10)
    services.create_observations([new(datastream, before, 1.0), new(datastream, after, 2.0)], user=None, system=True)
    hours = ObservationRollup.objects.filter(datastream=datastream, period=RollupPeriod.HOUR).order_by("bucket_start")
    # The city's hours start at :15 UTC (local 23:00 is 17:15 UTC), so no hour straddles midnight.
    assert list(hours.values_list("bucket_start", "count")) == [
        (datetime(2026, 3, 1, 17, 15, tzinfo=UTC), 1),
        (datetime(2026, 3, 1, 18, 15, tzinfo=UTC), 1),
    ]
    assert rollups.hour_start(before) == datetime(2026, 3, 1, 17, 15, tzinfo=UTC)
    kept = list(hours.values_list("bucket_start", "count"))
    rollups.recompute(datastream.pk, before, after)  # the SQL path truncates to the same hours
    assert list(hours.values_list("bucket_start", "count")) == kept


def test_non_numeric_results_have_no_rollups(operator: User) -> None:
    payload = thing_payload()
    payload["Datastreams"][0]["observationType"] = (
        "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_TruthObservation"
    )
    thing = services.create_entity("Thing", payload, user=operator)
    datastream = thing.datastreams.get()
    services.create_observations([new(datastream, T0, True)], user=operator)
    assert not ObservationRollup.objects.exists()
    datastream.refresh_from_db()
    assert datastream.last_result is True and datastream.last_result_number is None


def test_newest_value_and_last_seen_follow_phenomenon_time(make_station: Callable[..., Thing]) -> None:
    datastream = station(make_station, 3)
    thing = datastream.thing
    datastream.refresh_from_db()
    thing.refresh_from_db()
    assert datastream.last_phenomenon_time == T0 + timedelta(hours=2)
    assert datastream.last_result == 12.0 and datastream.last_result_number == 12.0
    assert thing.last_seen_at == T0 + timedelta(hours=2)
    # A late (older) observation does not replace the newest value.
    services.create_observations([new(datastream, T0 - timedelta(days=1), 1.0)], user=None, system=True)
    datastream.refresh_from_db()
    assert datastream.last_result_number == 12.0
    assert datastream.phenomenon_time_start == T0 - timedelta(days=1)
    # A device with its clock ahead is not "seen" in the future.
    future = datetime.now(UTC) + timedelta(days=2)
    services.create_observations([new(datastream, future, 5.0)], user=None, system=True)
    datastream.refresh_from_db()
    thing.refresh_from_db()
    assert datastream.last_phenomenon_time == future and datastream.last_result_number == 5.0
    assert thing.last_seen_at is not None and thing.last_seen_at <= datetime.now(UTC)


def test_http_update_and_delete_recompute_rollups_and_newest(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    datastream = station(make_station, 3)
    first, second, third = Observation.objects.filter(datastream=datastream).order_by("phenomenon_time_start")
    response = patch(writer, f"/Observations({first.pk})", {"result": 40})
    assert response.status_code == 200, response.content
    assert rollup(datastream, RollupPeriod.HOUR, T0) == (1, 40.0, 40.0, 40.0)
    assert rollup(datastream, RollupPeriod.DAY, T0) == (3, 63.0, 11.0, 40.0)
    # Moving an observation to another hour moves it between buckets.
    response = patch(writer, f"/Observations({second.pk})", {"phenomenonTime": iso(T0 + timedelta(minutes=30))})
    assert response.status_code == 200, response.content
    assert rollup(datastream, RollupPeriod.HOUR, T0) == (2, 51.0, 11.0, 40.0)
    assert not ObservationRollup.objects.filter(bucket_start=T0 + timedelta(hours=1), period="hour").exists()
    # Deleting the newest observation: its bucket goes, the newest value steps back.
    assert writer.delete(f"{STA}/Observations({third.pk})").status_code == 200
    datastream.refresh_from_db()
    assert datastream.last_result_number == 11.0
    assert datastream.last_phenomenon_time == T0 + timedelta(minutes=30)
    assert rollup(datastream, RollupPeriod.DAY, T0) == (2, 51.0, 11.0, 40.0)
    assert not ObservationRollup.objects.filter(bucket_start=T0 + timedelta(hours=2)).exists()


def test_data_array_over_http_keeps_rollups(writer: Client, make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=0).datastreams.get()
    body = [
        {
            "Datastream": {"@iot.id": datastream.pk},
            "components": ["phenomenonTime", "result"],
            "dataArray": [
                [iso(T0), 1],
                [iso(T0 + timedelta(minutes=59, seconds=59)), 3],
                [iso(T0 + timedelta(hours=1)), "x"],
            ],
        }
    ]
    assert post(writer, "/CreateObservations", body).status_code == 201
    assert rollup(datastream, RollupPeriod.HOUR, T0) == (2, 4.0, 1.0, 3.0)
    assert ObservationRollup.objects.filter(period="hour").count() == 1  # the refused row counts nowhere


def test_recompute_rebuilds_whole_days_from_raw(make_station: Callable[..., Thing]) -> None:
    datastream = station(make_station, 30)  # 30 hours from the city's midnight
    ObservationRollup.objects.all().delete()
    rollups.recompute(datastream.pk, T0 + timedelta(hours=3), T0 + timedelta(hours=3))
    # Only the first day is rebuilt (24 hours + its day), not the second.
    assert ObservationRollup.objects.filter(period="hour").count() == 24
    assert rollup(datastream, RollupPeriod.DAY, T0) == (24, sum(10.0 + i for i in range(24)), 10.0, 33.0)


def test_thing_kind_is_copied_from_properties(writer: Client, operator: User) -> None:
    response = post(writer, "/Things", thing_payload())
    assert response.status_code == 201, response.content
    thing = Thing.objects.get()
    assert thing.kind == "water-quality"
    response = patch(writer, f"/Things({thing.pk})", {"properties": {"department": "water", "kind": "air-quality"}})
    assert response.status_code == 200, response.content
    thing.refresh_from_db()
    assert thing.kind == "air-quality"
    patch(writer, f"/Things({thing.pk})", {"properties": {"department": "water"}})
    thing.refresh_from_db()
    assert thing.kind == ""


def test_deleting_a_datastream_takes_its_observations_and_rollups(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    datastream = station(make_station, 3)
    kept = station(make_station, 2, "Other")
    assert writer.delete(f"{STA}/Datastreams({datastream.pk})").status_code == 200
    assert not Observation.objects.filter(datastream_id=datastream.pk).exists()
    assert not ObservationRollup.objects.filter(datastream_id=datastream.pk).exists()
    assert Observation.objects.filter(datastream=kept).count() == 2
    assert ObservationRollup.objects.filter(datastream=kept).count() == 3  # two hours, one day


def test_the_rollups_are_rebuilt_in_the_citys_new_time_zone(
    settings: object, make_station: Callable[..., Thing]
) -> None:
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
    datastream = make_station(count=0).datastreams.get()
    other = make_station(count=0, name="Station 2").datastreams.get()
    start = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)
    # 75 days of a reading every 5 hours: the rebuild runs over several month-long windows.
    readings = [new(datastream, start + timedelta(hours=5 * i), float(i % 7)) for i in range(360)]
    services.create_observations([*readings, new(other, start, 1.0)], user=None, system=True)

    def buckets(stream: Datastream) -> list[tuple[str, datetime, int, float]]:
        rows = ObservationRollup.objects.filter(datastream=stream).order_by("period", "bucket_start")
        return list(rows.values_list("period", "bucket_start", "count", "total"))

    settings.TIME_ZONE = "Asia/Kathmandu"  # type: ignore[attr-defined]  # the city's zone was set late
    untouched = buckets(other)
    out = StringIO()
    call_command("sensing_rollups", "--rebuild", "--datastream", str(datastream.pk), stdout=out)
    assert "[1/1] Datastream" in out.getvalue() and "rebuilt in Asia/Kathmandu" in out.getvalue()
    rebuilt = buckets(datastream)
    assert buckets(other) == untouched  # only the datastream asked for

    # The same readings stored afresh in Kathmandu give the same buckets.
    fresh = make_station(count=0, name="Station 3").datastreams.get()
    again = [new(fresh, r.phenomenon_time[0], r.result) for r in readings if r.phenomenon_time]
    services.create_observations(again, user=None, system=True)
    assert rebuilt == buckets(fresh)
    assert all(bucket.minute == 15 for period, bucket, *_ in rebuilt if period == RollupPeriod.HOUR)
    assert sum(count for period, _, count, _ in rebuilt if period == RollupPeriod.DAY) == 360

    with pytest.raises(CommandError):
        call_command("sensing_rollups")  # nothing without --rebuild


def test_a_rebuild_keeps_the_history_that_retention_left_only_in_rollups(
    settings: object, make_station: Callable[..., Thing]
) -> None:
    settings.TIME_ZONE = "UTC"  # type: ignore[attr-defined]
    datastream = make_station(count=0).datastreams.get()
    start = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    services.create_observations(
        [new(datastream, start + timedelta(hours=6 * i), 1.0) for i in range(40)], user=None, system=True
    )
    # Retention removed the first five days' observations and kept their rollups.
    cutoff = datetime(2026, 1, 6, tzinfo=UTC)
    Observation.objects.filter(datastream=datastream, phenomenon_time_start__lt=cutoff).delete()
    days = ObservationRollup.objects.filter(datastream=datastream, period=RollupPeriod.DAY).order_by("bucket_start")
    history = list(days.filter(bucket_start__lt=cutoff).values_list("bucket_start", "count"))
    assert len(history) == 5

    settings.TIME_ZONE = "Asia/Kolkata"  # type: ignore[attr-defined]
    assert rollups.rebuild([datastream.pk]) == 1
    assert list(days.filter(bucket_start__lt=cutoff - timedelta(days=1)).values_list("bucket_start", "count")) == [
        row for row in history if row[0] < cutoff - timedelta(days=1)
    ]
    # From the first stored reading on, the days are Kolkata's: they start at 18:30 UTC.
    kept = days.filter(bucket_start__gte=cutoff - timedelta(hours=6)).values_list("bucket_start", "count")
    assert all(bucket.hour == 18 and bucket.minute == 30 for bucket, _ in kept)
    assert sum(count for _, count in kept) == 20  # the 20 readings still stored, each counted once


def test_a_rebuild_of_an_unknown_datastream_says_so() -> None:
    with pytest.raises(CommandError, match="do not exist or have no numeric observations"):
        call_command("sensing_rollups", "--rebuild", "--datastream", "999999", stdout=StringIO())
