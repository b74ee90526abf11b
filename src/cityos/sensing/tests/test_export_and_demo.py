"""CSV and GeoJSON exports of a datastream over a time range, and the demo city's stations."""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable

import pytest
from django.test import Client

from cityos.core.registry import DemoContext
from cityos.sensing import demo
from cityos.sensing.models import Datastream, Observation, Thing

pytestmark = pytest.mark.django_db


def _body(response: object) -> str:
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def test_csv_export_of_a_time_range(client: Client, make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=5).datastreams.get()
    response = client.get(
        f"/sensing/datastreams/{datastream.pk}/observations.csv",
        {"from": "2026-03-01T01:00:00Z", "to": "2026-03-01T03:00:00Z"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="datastream-{datastream.pk}-observations.csv"'
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [(r["phenomenon_time_start"], r["result"]) for r in rows] == [
        ("2026-03-01T01:00:00Z", "11.0"),
        ("2026-03-01T02:00:00Z", "12.0"),
    ]


def test_geojson_export_puts_each_observation_where_it_was_made(
    client: Client, make_station: Callable[..., Thing]
) -> None:
    datastream = make_station(count=3).datastreams.get()
    response = client.get(f"/sensing/datastreams/{datastream.pk}/observations.geojson")
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(_body(response))
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 3
    feature = collection["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [121.5, 25.0]}
    assert feature["properties"]["result"] == 10.0 and feature["properties"]["phenomenonTime"] == "2026-03-01T00:00:00Z"


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"from": "2026-03-01T01:00:00"}, 400, "has no time zone"),
        ({"from": "soon"}, 400, "is not an ISO 8601 time"),
        ({"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, 400, "to must be after from"),
    ],
)
def test_export_refuses_bad_ranges(
    client: Client, make_station: Callable[..., Thing], params: dict[str, str], status: int, message: str
) -> None:
    datastream = make_station(count=1).datastreams.get()
    response = client.get(f"/sensing/datastreams/{datastream.pk}/observations.csv", params)
    assert response.status_code == status and message in response.json()["message"]


def test_export_of_an_unknown_datastream(client: Client, db: None) -> None:
    response = client.get("/sensing/datastreams/999999/observations.csv")
    assert response.status_code == 404 and response.json()["type"] == "error"


def test_demo_builds_stations_with_a_day_of_readings(department: object) -> None:
    # The demo city itself is tested in sensing/simulators/tests; this checks the step end to end, small.
    said: list[str] = []
    demo.build(
        DemoContext(rng=random.Random(1), say=said.append, data={"sensing_scale": 0.05, "sensing_history_days": 1})
    )
    things = Thing.objects.filter(properties__demo=True)
    assert {"water-quality", "air-quality"} <= {t.kind for t in things}
    datastream = Datastream.objects.filter(thing__kind="water-quality", name__endswith="pH").first()
    assert datastream is not None
    readings = Observation.objects.filter(datastream=datastream)
    assert readings.count() == 288  # every 5 minutes for a day
    values = [r for r in readings.values_list("result_number", flat=True) if r is not None]
    assert sum(6.5 < r < 8.5 for r in values) >= len(values) - 3  # a failing probe may spike now and then
    demo.build(DemoContext(rng=random.Random(1), say=said.append))  # a second run adds nothing
    assert Observation.objects.filter(datastream=datastream).count() == 288
    assert said and "observations" in said[-2]
