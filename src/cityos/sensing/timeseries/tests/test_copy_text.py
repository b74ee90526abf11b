"""Rows written as COPY text come back exactly, whatever their JSON holds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from cityos.core.accounts.models import User
from cityos.sensing import services
from cityos.sensing.models import Observation, Thing
from cityos.sensing.tests.conftest import T0, thing_payload

pytestmark = pytest.mark.django_db
ODD = 'back\\slash, tab\t, newline\n, quote ", accents é 中文, \\N'


def test_odd_text_and_every_column_round_trip(operator: User) -> None:
    payload = thing_payload()
    payload["Datastreams"][0]["observationType"] = (
        "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CategoryObservation"
    )
    datastream = services.create_entity("Thing", payload, user=operator).datastreams.get()
    end = T0 + timedelta(minutes=5)
    rows = [
        services.NewObservation(
            datastream.pk,
            (T0, end),
            ODD,
            result_time=T0 + timedelta(seconds=1),
            result_quality={"flag": ODD},
            valid_time=(T0, T0 + timedelta(days=1)),
            parameters={"note": ODD, "list": [1, 2.5, None, True]},
        ),
        services.NewObservation(datastream.pk, (T0 + timedelta(hours=1), None), "plain"),
    ]
    services.create_observations(rows, user=operator)
    first, second = Observation.objects.order_by("phenomenon_time_start")
    assert first.result == ODD and first.result_number is None
    assert first.phenomenon_time_end == end and first.result_time == T0 + timedelta(seconds=1)
    assert first.result_quality == {"flag": ODD}
    assert first.valid_time_end == T0 + timedelta(days=1)
    assert first.parameters == {"note": ODD, "list": [1, 2.5, None, True]}
    assert second.result == "plain" and second.parameters is None


@pytest.mark.parametrize("value", [0.1, -1e300, 5e-324, 123456789.125, 7])
def test_plain_numbers_round_trip(make_station: Callable[..., Thing], value: float) -> None:
    datastream = make_station(count=0).datastreams.get()
    when = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    services.create_observations([services.NewObservation(datastream.pk, (when, None), value)], user=None, system=True)
    stored = Observation.objects.get()
    # jsonb keeps numbers as exact decimals, so -1e300 may come back written out as an integer.
    assert float(stored.result) == value and stored.result_number == float(value)
    assert stored.phenomenon_time_start == when
