"""Reading Observations with ``$resultFormat=dataArray`` (OGC 18-088, 14.3): one table per
Datastream, with every query option that narrows, orders and pages Observations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from cityos.sensing.models import Observation, Thing
from cityos.sensing.tests.conftest import STA, get, post

pytestmark = pytest.mark.django_db

EVERY_PROPERTY = ["id", "phenomenonTime", "resultTime", "result", "resultQuality", "validTime", "parameters"]


@pytest.fixture
def stations(make_station: Callable[..., Thing]) -> list[Thing]:
    return [make_station("Station 1", count=5), make_station("Station 2", count=3)]


def datastream_of(thing: Thing) -> int:
    return thing.datastreams.get().pk  # type: ignore[no-any-return]


def read(client: Client, path: str, **params: str) -> dict[str, Any]:
    response = get(client, path, **{"$resultFormat": "dataArray", **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()  # type: ignore[no-any-return]


def test_frost_conformance_request_counts_pages_and_lists_every_property(client: Client, stations: list[Thing]) -> None:
    body = read(client, "/Observations", **{"$count": "true", "$top": "3"})
    assert body["@iot.count"] == 8
    assert "$resultFormat=dataArray" in body["@iot.nextLink"]
    for group in body["value"]:
        assert group["Datastream@iot.navigationLink"].startswith(f"http://testserver{STA}/Datastreams(")
        assert group["components"] == EVERY_PROPERTY
        assert group["dataArray@iot.count"] == len(group["dataArray"])
        assert all(len(row) == len(EVERY_PROPERTY) for row in group["dataArray"])
    assert sum(group["dataArray@iot.count"] for group in body["value"]) == 3


def test_rows_hold_what_the_entities_hold_in_the_components_order(client: Client, stations: list[Thing]) -> None:
    datastream = datastream_of(stations[0])
    body = read(client, f"/Datastreams({datastream})/Observations", **{"$orderby": "phenomenonTime"})
    [group] = body["value"]
    assert group["Datastream@iot.navigationLink"] == f"http://testserver{STA}/Datastreams({datastream})"
    entities = get(client, f"/Datastreams({datastream})/Observations", **{"$orderby": "phenomenonTime"}).json()
    expected = [
        [entity[name] if name != "id" else entity["@iot.id"] for name in EVERY_PROPERTY] for entity in entities["value"]
    ]
    assert group["dataArray"] == expected
    assert group["dataArray"][0][1:4] == ["2026-03-01T00:00:00Z", None, 10.0]


def test_select_chooses_the_components_and_orderby_orders_rows_across_groups(
    client: Client, stations: list[Thing]
) -> None:
    body = read(
        client, "/Observations", **{"$select": "result,phenomenonTime", "$orderby": "phenomenonTime desc", "$top": "4"}
    )
    # Both stations start at T0: the newest four are 14 and 13 of station 1, 12 of both.
    assert [group["components"] for group in body["value"]] == [["result", "phenomenonTime"]] * 2
    first, second = body["value"]
    assert first["Datastream@iot.navigationLink"].endswith(f"({datastream_of(stations[0])})")
    assert [row[0] for row in first["dataArray"]] == [14.0, 13.0, 12.0]
    assert second["dataArray"] == [[12.0, "2026-03-01T02:00:00Z"]]
    assert read(client, "/Observations", **{"$select": "@iot.id", "$top": "1"})["value"][0]["components"] == ["id"]


def test_components_keep_the_order_select_gives_them_as_frost_does(client: Client, stations: list[Thing]) -> None:
    body = read(
        client, "/Observations", **{"$select": "result,id,phenomenonTime,result", "$orderby": "id", "$top": "1"}
    )
    [group] = body["value"]
    observation = Observation.objects.order_by("pk").first()
    assert observation is not None
    assert group["components"] == ["result", "id", "phenomenonTime"]
    assert group["dataArray"] == [[10.0, observation.pk, "2026-03-01T00:00:00Z"]]


def test_select_may_name_the_feature_of_interest_id_as_the_standard_lists_it(
    client: Client, stations: list[Thing]
) -> None:
    body = read(client, "/Observations", **{"$select": "FeatureOfInterest/id,id,result", "$orderby": "id"})
    rows = [row for group in body["value"] for row in group["dataArray"]]
    assert body["value"][0]["components"] == ["FeatureOfInterest/id", "id", "result"]
    expected = dict(Observation.objects.values_list("pk", "feature_of_interest_id"))
    assert len(rows) == len(expected) == 8
    assert all(row[0] == expected[row[1]] and row[0] is not None for row in rows)
    entities = get(client, "/Observations", **{"$select": "FeatureOfInterest/id"})
    assert entities.status_code == 400
    assert "FeatureOfInterest/id is a column of $resultFormat=dataArray" in entities.json()["message"]


def test_filter_applies_and_an_empty_page_has_no_groups(client: Client, stations: list[Thing]) -> None:
    body = read(client, "/Observations", **{"$filter": "result ge 13", "$count": "true"})
    assert body["@iot.count"] == 2
    [group] = body["value"]
    assert [row[3] for row in group["dataArray"]] == [13.0, 14.0]
    assert read(client, "/Observations", **{"$filter": "result gt 100"}) == {"value": []}


def test_next_links_page_through_every_observation_once(client: Client, stations: list[Thing]) -> None:
    seen: list[int] = []
    body = read(client, "/Observations", **{"$top": "3", "$orderby": "id"})
    while True:
        seen += [row[0] for group in body["value"] for row in group["dataArray"]]
        if "@iot.nextLink" not in body:
            break
        query = parse_qs(urlsplit(body["@iot.nextLink"]).query)
        assert query["$resultFormat"] == ["dataArray"] and query["$orderby"] == ["id"]
        response = client.get(body["@iot.nextLink"])
        assert response.status_code == 200
        body = response.json()
    assert seen == sorted(Observation.objects.values_list("pk", flat=True))


def test_what_is_read_as_a_data_array_can_be_written_back(
    client: Client, writer: Client, stations: list[Thing]
) -> None:
    source, target = datastream_of(stations[1]), datastream_of(stations[0])
    [group] = read(client, f"/Datastreams({source})/Observations", **{"$select": "phenomenonTime,result"})["value"]
    group["Datastream"] = {"@iot.id": target}
    group["dataArray"] = [[time.replace("2026", "2025"), result] for time, result in group["dataArray"]]
    response = post(writer, "/CreateObservations", [group])
    assert response.status_code == 201, response.content
    assert "error" not in response.json()
    assert Observation.objects.filter(datastream_id=target, phenomenon_time_start__year=2025).count() == 3


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/Observations", {"$expand": "Datastream"}, "cannot be combined with $expand"),
        ("/Things", {}, "is for Observations"),
        ("/Observations", {"$select": "result,Datastream"}, "not Datastream"),
        ("/Observations", {"$select": "result,FeatureOfInterest"}, "and FeatureOfInterest/id, not FeatureOfInterest"),
        ("/Observations/$ref", {}, "not one entity, property or $ref"),
        ("/Observations", {"$resultFormat": "csv"}, "the only format is dataArray, not 'csv'"),
        ("/Things", {"$resultFormat": "", "$expand": "Datastreams($resultFormat=dataArray)"}, "the only format"),
        ("/Things", {"$expand": "Datastreams/Observations($resultFormat=dataArray)"}, "cannot be given inside $expand"),
    ],
)
def test_combinations_without_a_data_array_are_refused_with_a_reason(
    client: Client, stations: list[Thing], path: str, params: dict[str, str], message: str
) -> None:
    response = client.get(STA + path, {"$resultFormat": "dataArray", **params})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400 and body["type"] == "error" and message in body["message"], body


def test_one_observation_is_not_a_data_array(client: Client, stations: list[Thing]) -> None:
    observation = Observation.objects.first()
    assert observation is not None
    response = get(client, f"/Observations({observation.pk})", **{"$resultFormat": "dataArray"})
    assert response.status_code == 400
    assert "not one entity" in response.json()["message"]
