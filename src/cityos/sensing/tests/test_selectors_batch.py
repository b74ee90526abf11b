"""The facade's batched numeric read: many datastreams' series in one query, as one read each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from cityos.sensing import selectors, services
from cityos.sensing.models import Thing
from cityos.sensing.tests.conftest import T0

pytestmark = pytest.mark.django_db


def observe(user: Any, datastream_id: int, readings: list[tuple[datetime, float]]) -> None:
    services.create_observations(
        [services.NewObservation(datastream_id, (when, None), value) for when, value in readings], user=user
    )


def test_many_series_in_one_query_match_each_streams_own_read(
    make_station: Callable[..., Thing], operator: Any, django_assert_num_queries: Any
) -> None:
    first, second, empty = (make_station(name, count=0).datastreams.get().pk for name in ("A", "B", "C"))
    observe(operator, first, [(T0 + timedelta(hours=h), 7.0 + h / 10) for h in (2, 0, 1, 5)])
    observe(operator, second, [(T0 + timedelta(hours=1), 1.5)])
    start, end = T0, T0 + timedelta(hours=5)  # the 05:00 reading is outside [start, end)
    with django_assert_num_queries(1):
        series = selectors.numeric_series_many([first, second, empty], start, end)
    assert series == {
        first: selectors.numeric_series(first, start, end),
        second: [(T0 + timedelta(hours=1), 1.5)],
        empty: [],
    }
    assert [value for _, value in series[first]] == pytest.approx([7.0, 7.1, 7.2])


def test_open_ends_read_everything(make_station: Callable[..., Thing]) -> None:
    datastream = make_station("D", count=3).datastreams.get().pk
    series = selectors.numeric_series_many([datastream], None, None)
    assert [when for when, _ in series[datastream]] == [T0 + timedelta(hours=h) for h in range(3)]


def test_no_streams_asked_for_reads_nothing(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert selectors.numeric_series_many([], None, None) == {}
