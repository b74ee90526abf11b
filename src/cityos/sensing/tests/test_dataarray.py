"""The dataArray extension: POST /CreateObservations with many rows per datastream."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cityos.sensing.models import Datastream, Observation, Thing
from cityos.sensing.tests.conftest import STA, post

pytestmark = pytest.mark.django_db


def group(datastream: Datastream, rows: list[list[Any]], components: list[str] | None = None) -> dict[str, Any]:
    return {
        "Datastream": {"@iot.id": datastream.pk},
        "components": components or ["phenomenonTime", "result"],
        "dataArray@iot.count": len(rows),
        "dataArray": rows,
    }


def test_rows_are_stored_and_answered_with_self_links(writer: Client, make_station: Callable[..., Thing]) -> None:
    first = make_station("A", count=0).datastreams.get()
    second = make_station("B", count=0).datastreams.get()
    body = [
        group(first, [["2026-03-01T00:00:00Z", 1.5], ["2026-03-01T00:10:00Z", 2]]),
        group(
            second, [["2026-03-01T00:00:00Z", 3, "2026-03-01T00:00:02Z"]], ["phenomenonTime", "result", "resultTime"]
        ),
    ]
    response = post(writer, "/CreateObservations", body)
    assert response.status_code == 201, response.content
    links = response.json()
    ids = list(Observation.objects.order_by("id").values_list("id", flat=True))
    assert links == [f"http://testserver{STA}/Observations({pk})" for pk in ids]
    assert Observation.objects.filter(datastream=first).count() == 2
    first.refresh_from_db()
    assert first.phenomenon_time_end is not None and first.phenomenon_time_end.minute == 10


def test_a_bad_row_is_an_error_and_the_rest_are_stored(writer: Client, make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=0).datastreams.get()
    rows = [
        ["2026-03-01T00:00:00Z", 1],
        ["2026-03-01T00:00:00", 2],  # no time zone
        ["2026-03-01T00:20:00Z", "high"],  # not a number
        ["2026-03-01T00:30:00Z"],  # too short
        ["2026-03-01T00:40:00Z", 5],
    ]
    links = post(writer, "/CreateObservations", [group(datastream, rows)]).json()
    assert [link == "error" for link in links] == [False, True, True, True, False]
    assert sorted(Observation.objects.values_list("result", flat=True)) == [1, 5]


def test_rows_longer_or_shorter_than_components_are_errors_in_their_place(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    datastream = make_station(count=0).datastreams.get()
    components = ["phenomenonTime", "result", "resultTime"]
    rows: list[list[Any]] = [
        ["2026-03-01T00:00:00Z", 1, "2026-03-01T00:00:01Z"],
        ["2026-03-01T00:10:00Z", 2],
        ["2026-03-01T00:20:00Z", 3, "2026-03-01T00:20:01Z", "extra"],
        [],
        ["2026-03-01T00:40:00Z", 5, None],
    ]
    response = post(writer, "/CreateObservations", [group(datastream, rows, components)])
    assert response.status_code == 201
    assert [link == "error" for link in response.json()] == [False, True, True, True, False]
    assert sorted(Observation.objects.values_list("result", flat=True)) == [1, 5]


def test_components_named_twice_refuse_the_whole_request(writer: Client, make_station: Callable[..., Thing]) -> None:
    """Which column would be the result? The standard has each component name one column of
    every row: a repeated name is a malformed request, refused whole like an unknown one."""
    datastream = make_station(count=0).datastreams.get()
    body = [
        group(datastream, [["2026-03-01T00:00:00Z", 1]]),
        group(
            datastream,
            [["2026-03-01T00:10:00Z", 2, "2026-03-01T00:10:00Z", 3, 4]],
            ["phenomenonTime", "result", "resultTime", "FeatureOfInterest/id", "FeatureOfInterest/id"],
        ),
    ]
    response = post(writer, "/CreateObservations", body)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "item 1: components names ['FeatureOfInterest/id'] more than once; name each column once"
    )
    assert not Observation.objects.exists()


def test_feature_of_interest_by_id(writer: Client, make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=1).datastreams.get()
    feature = Observation.objects.get().feature_of_interest_id
    rows = [["2026-03-02T00:00:00Z", 7, feature], ["2026-03-02T00:00:00Z", 8, 999999]]
    links = post(
        writer, "/CreateObservations", [group(datastream, rows, ["phenomenonTime", "result", "FeatureOfInterest/id"])]
    ).json()
    assert links[0] != "error" and links[1] == "error"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Datastream": {"@iot.id": 1}}, "CreateObservations takes a JSON list"),
        ([{"Datastream": {"@iot.id": "one"}, "components": ["result"], "dataArray": []}], "Datastream must be"),
        ([{"Datastream": {"@iot.id": 1}, "components": ["colour"], "dataArray": []}], "unknown components ['colour']"),
        ([{"Datastream": {"@iot.id": 1}, "components": ["phenomenonTime"], "dataArray": []}], "must include result"),
        (
            [{"Datastream": {"@iot.id": 1}, "components": ["result", "phenomenonTime", "result"], "dataArray": []}],
            "item 0: components names ['result'] more than once",
        ),
        (
            [{"Datastream": {"@iot.id": 1}, "components": ["result", "FeatureOfInterest"], "dataArray": []}],
            "unknown components ['FeatureOfInterest']",  # a FeatureOfInterest comes by id only
        ),
        ([{"Datastream": {"@iot.id": 1}, "components": ["result"], "dataArray": {}}], "dataArray must be a list"),
        (
            [{"Datastream": {"@iot.id": 999999}, "components": ["result"], "dataArray": [[1]]}],
            "There is no Datastream with @iot.id 999999",
        ),
    ],
)
def test_malformed_requests_are_refused_whole(writer: Client, body: Any, message: str) -> None:
    response = post(writer, "/CreateObservations", body)
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_needs_a_writer(client: Client) -> None:
    response = client.post(f"{STA}/CreateObservations", data=json.dumps([]), content_type="application/json")
    assert response.status_code == 401
    assert client.get(f"{STA}/CreateObservations").status_code == 405
