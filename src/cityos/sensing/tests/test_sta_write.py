"""Creating, changing and deleting through the SensorThings API, and who may."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role, User
from cityos.core.accounts.tests.factories import DepartmentFactory, ResidentFactory, StaffFactory
from cityos.core.events import Event
from cityos.sensing.events import EntityChanged, ObservationsCreated
from cityos.sensing.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
)
from cityos.sensing.tests.conftest import CELSIUS, STA, T0, get, operator_of, patch, post, thing_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    events: list[Event] = []
    monkeypatch.setattr("cityos.sensing.services.publish", events.append)
    return events


def test_deep_insert_creates_the_whole_tree(writer: Client, department: Department, published: list[Event]) -> None:
    payload = thing_payload()
    payload["Datastreams"][0]["Observations"] = [
        {"phenomenonTime": "2026-03-01T00:00:00Z", "result": 11.5},
        {"phenomenonTime": "2026-03-01T01:00:00+01:00", "result": 12, "resultTime": "2026-03-01T00:00:05Z"},
    ]
    response = post(writer, "/Things", payload)
    assert response.status_code == 201, response.content
    thing = Thing.objects.get()
    assert response["Location"] == f"http://testserver{STA}/Things({thing.pk})"
    assert response.json()["@iot.id"] == thing.pk
    assert thing.department == department
    assert thing.locations.count() == 1
    assert HistoricalLocation.objects.filter(thing=thing).count() == 1
    datastream = Datastream.objects.get()
    assert (Sensor.objects.count(), ObservedProperty.objects.count(), Observation.objects.count()) == (1, 1, 2)
    # The FeatureOfInterest is made from the Thing's Location, once.
    feature = FeatureOfInterest.objects.get()
    assert feature.feature == {"type": "Point", "coordinates": [121.5, 25.0]}
    assert (
        get(writer, f"/Datastreams({datastream.pk})/phenomenonTime").json()["phenomenonTime"] == "2026-03-01T00:00:00Z"
    )
    assert get(writer, f"/Datastreams({datastream.pk})/resultTime").json()["resultTime"] == "2026-03-01T00:00:05Z"
    created = [e for e in published if isinstance(e, ObservationsCreated)]
    assert created[0].ids == list(Observation.objects.order_by("id").values_list("id", flat=True))
    assert {e.entity_type for e in published if isinstance(e, EntityChanged)} >= {"Thing", "Datastream", "Location"}


def test_links_by_id_and_posting_into_a_navigation_collection(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    thing = make_station()
    datastream = thing.datastreams.get()
    body = {
        "name": "second stream",
        "description": "conductivity",
        "unitOfMeasurement": {"name": "microsiemens per cm", "symbol": "µS/cm", "definition": "x"},
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        "Sensor": {"@iot.id": datastream.sensor_id},
        "ObservedProperty": {"@iot.id": datastream.observed_property_id},
    }
    response = post(writer, f"/Things({thing.pk})/Datastreams", body)
    assert response.status_code == 201, response.content
    assert Datastream.objects.get(name="second stream").thing == thing
    assert Sensor.objects.count() == 1
    observation = post(writer, f"/Datastreams({datastream.pk})/Observations", {"result": 3.5})
    assert observation.status_code == 201
    assert observation.json()["phenomenonTime"]  # the server's time when none is given
    foi = FeatureOfInterest.objects.get()
    explicit = post(
        writer,
        "/Observations",
        {
            "phenomenonTime": "2026-03-02T00:00:00Z/2026-03-02T01:00:00Z",
            "validTime": "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z",
            "result": 1,
            "resultQuality": "good",
            "parameters": {"depth_m": 2},
            "Datastream": {"@iot.id": datastream.pk},
            "FeatureOfInterest": {"@iot.id": foi.pk},
        },
    ).json()
    assert explicit["phenomenonTime"] == "2026-03-02T00:00:00Z/2026-03-02T01:00:00Z"
    assert explicit["validTime"] == "2026-03-02T00:00:00Z/2026-03-03T00:00:00Z"
    assert explicit["parameters"] == {"depth_m": 2}


def test_patch_put_and_new_location_history(writer: Client, make_station: Callable[..., Thing]) -> None:
    thing = make_station()
    response = patch(writer, f"/Things({thing.pk})", {"description": "moved upstream"})
    assert response.status_code == 200 and response.json()["description"] == "moved upstream"
    assert response.json()["name"] == "Station 1"
    moved = patch(
        writer,
        f"/Things({thing.pk})",
        {
            "Locations": [
                {
                    "name": "upstream",
                    "description": "weir",
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [121.7, 25.2]},
                }
            ]
        },
    )
    assert moved.status_code == 200
    assert [loc.name for loc in thing.locations.all()] == ["upstream"]
    assert HistoricalLocation.objects.filter(thing=thing).count() == 2
    put = writer.put(
        f"{STA}/Sensors({thing.datastreams.get().sensor_id})",
        data=json.dumps({"name": "probe v2", "description": "new", "encodingType": "text/html", "metadata": "x"}),
        content_type="application/json",
    )
    assert put.status_code == 200 and put.json()["name"] == "probe v2"
    incomplete = writer.put(
        f"{STA}/Sensors({thing.datastreams.get().sensor_id})",
        data=json.dumps({"name": "x"}),
        content_type="application/json",
    )
    assert incomplete.status_code == 400 and "needs description" in incomplete.json()["message"]
    observation = Observation.objects.order_by("pk").last()
    assert observation is not None
    changed = patch(
        writer, f"/Observations({observation.pk})", {"result": 99, "phenomenonTime": "2026-04-01T00:00:00Z"}
    )
    assert changed.status_code == 200 and changed.json()["result"] == 99
    datastream = Datastream.objects.get()
    assert datastream.phenomenon_time_end is not None and datastream.phenomenon_time_end.month == 4


def test_delete_cascades_as_the_standard_says(writer: Client, make_station: Callable[..., Thing]) -> None:
    thing = make_station()
    datastream = thing.datastreams.get()
    last = Observation.objects.order_by("phenomenon_time_start").last()
    assert last is not None
    assert writer.delete(f"{STA}/Observations({last.pk})").status_code == 200
    datastream.refresh_from_db()
    assert datastream.phenomenon_time_end == T0.replace(hour=3)  # the range shrinks with it
    location = thing.locations.get()
    assert writer.delete(f"{STA}/Locations({location.pk})").status_code == 200
    assert not HistoricalLocation.objects.exists()
    assert writer.delete(f"{STA}/Things({thing.pk})").status_code == 200
    assert not Datastream.objects.exists() and not Observation.objects.exists()
    assert Sensor.objects.count() == 1  # sensors outlive the things that used them
    assert writer.delete(f"{STA}/Things({thing.pk})").status_code == 404


def test_deleting_a_sensor_takes_its_datastreams(writer: Client, make_station: Callable[..., Thing]) -> None:
    thing = make_station()
    sensor = thing.datastreams.get().sensor
    assert writer.delete(f"{STA}/Sensors({sensor.pk})").status_code == 200
    assert not Datastream.objects.exists() and not Observation.objects.exists() and Thing.objects.exists()


def deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _bad_write_cases(datastream: Datastream) -> list[tuple[str, str, Any, str]]:
    return [
        ("POST", "/Things", "not json", "The body is not valid JSON"),
        ("POST", "/Things", [], "A Thing must be a JSON object"),
        ("POST", "/Things", {"name": "x"}, "A Thing needs description"),
        (
            "POST",
            "/Things",
            {"name": "x", "description": "y", "colour": "red"},
            "Thing has no writable property 'colour'",
        ),
        ("POST", "/Things", {"name": 5, "description": "y"}, "name of a Thing must be text"),
        (
            "POST",
            "/Things",
            {"name": "x", "description": "y", "properties": [1]},
            "properties of a Thing must be a JSON object",
        ),
        (
            "POST",
            "/Things",
            {"name": "x", "description": "y", "properties": {"department": "nope"}},
            "no department with code 'nope'",
        ),
        (
            "POST",
            "/Locations",
            {"name": "x", "description": "y", "encodingType": "application/geo+json", "location": {"type": "Blob"}},
            "must be a GeoJSON geometry",
        ),
        (
            "POST",
            "/Observations",
            {"result": 1, "Datastream": {"@iot.id": 999999}},
            "There is no Datastream with @iot.id 999999",
        ),
        ("POST", "/Observations", {"result": 1}, "An Observation needs its Datastream"),
        (
            "POST",
            f"/Datastreams({datastream.pk})/Observations",
            {"result": "high"},
            "its result must be a number, not 'high'",
        ),
        ("POST", f"/Datastreams({datastream.pk})/Observations", {"result": True}, "its result must be a number"),
        (
            "POST",
            f"/Datastreams({datastream.pk})/Observations",
            {"phenomenonTime": "2026-03-01T00:00:00", "result": 1},
            "has no time zone",
        ),
        (
            "POST",
            f"/Datastreams({datastream.pk})/Observations",
            {"phenomenonTime": "yesterday", "result": 1},
            "is not an ISO 8601 time",
        ),
        (
            "POST",
            f"/Datastreams({datastream.pk})/Observations",
            {"phenomenonTime": "2026-03-02T00:00:00Z/2026-03-01T00:00:00Z", "result": 1},
            "ends before it starts",
        ),
        (
            "POST",
            f"/Datastreams({datastream.pk})/Observations",
            {"phenomenonTime": "2026-03-01T00:00:00Z"},
            "An Observation needs a result",
        ),
        (
            "POST",
            f"/Datastreams({datastream.pk})/Observations",
            {"result": 1, "FeatureOfInterest": {"@iot.id": 999999}},
            "There is no FeatureOfInterest with @iot.id 999999",
        ),
        (
            "POST",
            "/Datastreams",
            {"name": "x", "description": "y", "unitOfMeasurement": CELSIUS, "observationType": "weird"},
            "observationType must be one of",
        ),
        (
            "POST",
            "/Datastreams",
            {
                "name": "x",
                "description": "y",
                "unitOfMeasurement": CELSIUS,
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            },
            "A Datastream needs its Thing, Sensor and ObservedProperty",
        ),
        ("POST", f"/Things({datastream.thing_id})", {"name": "x"}, "POST creates entities in a collection"),
        ("PATCH", "/Things", {"name": "x"}, "PATCH needs one entity"),
        (
            "PATCH",
            f"/Datastreams({datastream.pk})",
            {"Observations": []},
            "Observations cannot be changed through an update",
        ),
        ("PATCH", f"/Datastreams({datastream.pk})", {"Thing": {"name": "new"}}, 'links Thing by {"@iot.id": ...} only'),
        ("PATCH", f"/Things({datastream.thing_id})/name", {"name": "x"}, "Change a property through its entity"),
        # PostgreSQL cannot store a NUL anywhere; a time past 9999 in UTC cannot be read back.
        ("PATCH", f"/Things({datastream.thing_id})", {"properties": {"a": "\x00"}}, "Null characters"),
        (
            "POST",
            f"/Datastreams({datastream.pk})/Observations",
            {"result": 1, "phenomenonTime": "9999-12-31T23:59:59-14:00"},
            "out of range",
        ),
        ("POST", f"/Datastreams({datastream.pk})/Observations", {"result": 1, "parameters": {"\x00": 1}}, "Null"),
        # Nested as deep as the JSON parser allows: checked, not a recursion error.
        ("POST", f"/Datastreams({datastream.pk})/Observations", {"result": deep_list(400)}, "must be a number"),
    ]


def test_bad_writes_are_refused_with_what_is_wrong(writer: Client, make_station: Callable[..., Thing]) -> None:
    datastream = make_station().datastreams.get()
    before = Observation.objects.count()
    for method, path, body, message in _bad_write_cases(datastream):
        data = body if isinstance(body, str) else json.dumps(body)
        response = writer.generic(method, STA + path, data=data, content_type="application/json")
        assert response.status_code == 400, (path, body, response.content)
        assert response.json()["type"] == "error" and response.json()["code"] == 400
        assert message in response.json()["message"], (message, response.json()["message"])
    assert Observation.objects.count() == before
    assert (
        writer.generic("PATCH", f"{STA}/Things(999999)", data="{}", content_type="application/json").status_code == 404
    )


def test_category_truth_and_count_streams_check_their_results(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    thing = make_station()
    base = thing.datastreams.get()
    kinds = {
        "OM_CategoryObservation": ("clear", 3),
        "OM_TruthObservation": (True, "yes"),
        "OM_CountObservation": (4, 4.5),
    }
    for kind, (good, bad) in kinds.items():
        created = post(
            writer,
            f"/Things({thing.pk})/Datastreams",
            {
                "name": kind,
                "description": kind,
                "unitOfMeasurement": {},
                "Sensor": {"@iot.id": base.sensor_id},
                "ObservedProperty": {"@iot.id": base.observed_property_id},
                "observationType": f"http://www.opengis.net/def/observationType/OGC-OM/2.0/{kind}",
            },
        ).json()
        assert post(writer, f"/Datastreams({created['@iot.id']})/Observations", {"result": good}).status_code == 201
        assert post(writer, f"/Datastreams({created['@iot.id']})/Observations", {"result": bad}).status_code == 400
    text = get(writer, "/Observations", **{"$filter": "result eq 'clear'"}).json()["value"]
    assert [o["result"] for o in text] == ["clear"]
    truth = get(writer, "/Observations", **{"$filter": "result eq true"}).json()["value"]
    assert [o["result"] for o in truth] == [True]


def test_anonymous_and_residents_cannot_write(client: Client, make_station: Callable[..., Thing]) -> None:
    response = post(client, "/Things", thing_payload())
    assert response.status_code == 401 and response.json()["type"] == "error"
    resident = verified_client(ResidentFactory())  # type: ignore[arg-type]
    assert post(resident, "/Things", thing_payload()).status_code == 403


def test_staff_of_another_department_cannot_touch_this_ones_things(
    make_station: Callable[..., Thing],
) -> None:
    thing = make_station()
    other = verified_client(operator_of(DepartmentFactory(code="parks")))  # type: ignore[arg-type]
    assert patch(other, f"/Things({thing.pk})", {"name": "mine"}).status_code == 403
    response = post(other, f"/Datastreams({thing.datastreams.get().pk})/Observations", {"result": 1})
    assert response.status_code == 403 and "another department" in response.json()["message"]
    caseworker = verified_client(StaffFactory(roles=[Role.CASEWORKER]))  # type: ignore[arg-type]
    assert patch(caseworker, f"/Things({thing.pk})", {"name": "mine"}).status_code == 403
    admin = verified_client(StaffFactory(roles=[Role.ADMINISTRATOR]))  # type: ignore[arg-type]
    assert patch(admin, f"/Things({thing.pk})", {"name": "renamed"}).status_code == 200


def test_staff_session_without_second_factor_cannot_write_and_reads_as_anonymous(
    operator: User, make_station: Callable[..., Thing]
) -> None:
    client = Client()
    client.force_login(operator, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    response = post(client, "/Things", thing_payload("Another"))
    assert response.status_code == 401 and "second factor" in response.json()["message"]  # JSON, not the 2FA page
    assert Thing.objects.count() == 0
    make_station()
    assert get(client, "/Things").json()["value"][0]["name"] == "Station 1"


def test_session_writes_need_the_csrf_token(operator: User) -> None:
    client = verified_client(operator)
    client.handler.enforce_csrf_checks = True
    response = post(client, "/Things", thing_payload())
    assert response.status_code == 403 and "CSRF" in response.json()["message"]


def test_machine_tokens_write_and_bad_tokens_are_refused(client: Client, token: str, operator: User) -> None:
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert post(client, "/Things", thing_payload(), **auth).status_code == 201
    bad = post(client, "/Things", thing_payload(), HTTP_AUTHORIZATION="Bearer cos_nope")
    assert bad.status_code == 401 and "not valid" in bad.json()["message"]
    from cityos.core.api.services import issue_token

    reader = issue_token(name="reader", owner=operator, scopes=["read"], created_by=operator).secret
    refused = post(client, "/Things", thing_payload(), HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert refused.status_code == 403 and "sensing:write" in refused.json()["message"]
    assert get(client, "/Things").status_code == 200


def test_posting_into_a_location_links_the_new_thing(writer: Client, make_station: Callable[..., Thing]) -> None:
    location = make_station().locations.get()
    response = post(writer, f"/Locations({location.pk})/Things", {"name": "Second", "description": "same site"})
    assert response.status_code == 201, response.content
    assert Thing.objects.get(name="Second").locations.get() == location


def test_moving_a_thing_to_another_department(writer: Client, make_station: Callable[..., Thing]) -> None:
    thing = make_station()
    DepartmentFactory(code="parks")
    kept = patch(writer, f"/Things({thing.pk})", {"properties": {"kind": "renamed"}})
    assert kept.status_code == 200
    thing.refresh_from_db()
    assert thing.department is not None and thing.department.code == "water"  # untouched unless named
    moved = patch(writer, f"/Things({thing.pk})", {"properties": {"department": "parks"}})
    assert moved.status_code == 403  # an operator of water does not write for parks
