"""series(): raw rows for short ranges, hour and day rollups for long ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cityos.sensing import services
from cityos.sensing.models import Datastream, Thing
from cityos.sensing.timeseries import retention
from cityos.sensing.timeseries.selectors import Point, series

pytestmark = pytest.mark.django_db
# The city's midnight, as an instant: day rollups start at midnight on the city's clock.
# Arithmetic on it is absolute, like the observations' times (so a city day with a
# daylight-saving change holds 69 or 75 observations, not 72).
START = datetime(2025, 1, 1, tzinfo=timezone.get_default_timezone()).astimezone(UTC)


@pytest.fixture
def datastream(make_station: Callable[..., Thing]) -> Datastream:
    """A year of one value every 20 minutes: 26,280 observations, values cycling 0, 1, 2."""
    datastream = make_station(count=0).datastreams.get()
    rows = [
        services.NewObservation(datastream.pk, (START + timedelta(minutes=20 * i), None), float(i % 3))
        for i in range(365 * 72)
    ]
    services.create_observations(rows, user=None, system=True)
    return datastream


def test_an_hour_reads_raw_a_week_hours_and_a_year_days(datastream: Datastream) -> None:
    hour = series(datastream.pk, START, START + timedelta(hours=1))
    assert hour.resolution == "raw"
    assert [p.mean for p in hour.points] == [0.0, 1.0, 2.0]
    assert hour.points[1] == Point(START + timedelta(minutes=20), 1.0, 1.0, 1.0, 1)

    week = series(datastream.pk, START, START + timedelta(days=7))
    assert week.resolution == "raw" and len(week.points) == 7 * 72  # 504 values fit in 1000 points

    month = series(datastream.pk, START, START + timedelta(days=30))
    assert month.resolution == "hour" and len(month.points) == 30 * 24
    assert month.points[0] == Point(START, 1.0, 0.0, 2.0, 3)

    year = series(datastream.pk, START, START + timedelta(days=365))
    assert year.resolution == "day" and len(year.points) == 365
    assert year.points[-1] == Point(START + timedelta(days=364), 1.0, 0.0, 2.0, 72)


def test_max_points_decides(datastream: Datastream) -> None:
    assert series(datastream.pk, START, START + timedelta(hours=10), max_points=100).resolution == "raw"
    assert series(datastream.pk, START, START + timedelta(hours=40), max_points=100).resolution == "hour"
    assert series(datastream.pk, START, START + timedelta(hours=200), max_points=100).resolution == "day"


def test_past_retention_the_rollups_answer(datastream: Datastream) -> None:
    Datastream.objects.filter(pk=datastream.pk).update(retention_days=30)
    retention.apply_retention(START + timedelta(days=365))
    old = series(datastream.pk, START, START + timedelta(hours=2))
    assert old.resolution == "hour"
    assert [p.count for p in old.points] == [3, 3]
    recent = series(datastream.pk, START + timedelta(days=364), START + timedelta(days=364, hours=1))
    assert recent.resolution == "raw" and len(recent.points) == 3


def test_an_empty_range_is_empty(make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=0).datastreams.get()
    assert series(datastream.pk, START, START + timedelta(hours=1)).points == []


def test_an_hour_that_starts_before_the_first_observation_still_reads_raw(make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=0).datastreams.get()
    first = START + timedelta(minutes=10)  # its hour's rollup starts at START, inside the range below
    rows = [services.NewObservation(datastream.pk, (first + timedelta(minutes=5 * i), None), 1.0) for i in range(6)]
    services.create_observations(rows, user=None, system=True)
    hour = series(datastream.pk, START - timedelta(minutes=10), START + timedelta(minutes=50))
    assert hour.resolution == "raw" and len(hour.points) == 6
