"""The JSON API: rules CRUD, alerts with filters, acknowledge and resolve, the map; all scoped."""

from __future__ import annotations

import json

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import DepartmentFactory
from cityos.sensing.models import Alert, AlertRule, AlertState, Comparison, RuleKind
from cityos.sensing.ops import rules
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.django_db
API = "/api/v1/sensing"


@pytest.fixture
def city(water, environment, north, south, make_thing, observe):
    """A turbid water station in the north (alert open) and an air station in the south (quiet)."""
    north_water = make_thing(streams=("turbidity", "battery"), name="North water").datastreams.get(
        observed_property__name="turbidity"
    )
    south_air = make_thing(kind="air-quality", department="environment", district="south", name="South air")
    for datastream in (north_water, south_air.datastreams.get()):
        AlertRule.objects.create(
            name=f"high {datastream.pk}",
            kind=RuleKind.THRESHOLD,
            datastream=datastream,
            comparison=Comparison.ABOVE,
            threshold=4.0,
        )
    rules.invalidate()
    observe(north_water, (1, 9.0))
    return {"north_water": north_water, "south_air": south_air.datastreams.get()}


def body(response):
    return json.loads(response.content)


def test_operators_see_only_the_alerts_of_their_department_and_district(city, water, north, client_for):
    operator = client_for(staff(Role.OPERATOR, water, (north,)))
    results = body(operator.get(f"{API}/alerts"))["results"]
    assert [a["thing_name"] for a in results] == ["North water"]
    assert results[0]["state"] == "open" and results[0]["department"] == "water" and results[0]["district"] == "north"

    outsider = client_for(staff(Role.OPERATOR, water, ()))  # the whole department: sees it too
    assert body(outsider.get(f"{API}/alerts"))["count"] == 1
    other = client_for(staff(Role.OPERATOR, None, ()))
    assert (
        body(other.get(f"{API}/alerts?state=open&department=water&kind=water-quality&severity=warning"))["count"] == 1
    )
    assert body(other.get(f"{API}/alerts?district=south"))["count"] == 0
    assert body(other.get(f"{API}/alerts?state=resolved"))["count"] == 0


def test_another_departments_staff_are_refused(city, environment, client_for):
    alert = Alert.objects.get()
    stranger = client_for(staff(Role.OPERATOR, environment, ()))
    assert body(stranger.get(f"{API}/alerts"))["count"] == 0
    response = stranger.get(f"{API}/alerts/{alert.pk}")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/problem+json")
    assert stranger.post(f"{API}/alerts/{alert.pk}/acknowledge").status_code == 404
    features = body(stranger.get(f"{API}/map"))["features"]
    assert [f["properties"]["name"] for f in features] == ["South air"]


def test_a_data_publisher_sees_but_may_not_acknowledge(city, water, client_for):
    alert = Alert.objects.get()
    publisher = client_for(staff(Role.DATA_PUBLISHER, water, ()))
    response = publisher.post(f"{API}/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 403 and "department or district" in body(response)["detail"]


def test_administrators_see_every_department_whatever_their_own(city, client_for):
    it_admin = client_for(staff(Role.ADMINISTRATOR, DepartmentFactory(code="it"), ()))
    assert body(it_admin.get(f"{API}/alerts"))["count"] == 1
    assert len(body(it_admin.get(f"{API}/map"))["features"]) == 2
    alert = Alert.objects.get()
    assert body(it_admin.post(f"{API}/alerts/{alert.pk}/acknowledge"))["state"] == "acknowledged"


def test_residents_are_refused(city, resident):
    from cityos.conftest import verified_client

    client = verified_client(resident)
    assert client.get(f"{API}/alerts").status_code in (401, 403)
    assert client.get(f"{API}/map").status_code in (401, 403)


def test_acknowledge_then_resolve_through_the_api(city, water, north, client_for):
    user = staff(Role.OPERATOR, water, (north,))
    client = client_for(user)
    alert = Alert.objects.get()
    acked = body(client.post(f"{API}/alerts/{alert.pk}/acknowledge"))
    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == user.display_name
    again = client.post(f"{API}/alerts/{alert.pk}/acknowledge")
    assert again.status_code == 422 and again["Content-Type"].startswith("application/problem+json")
    resolved = body(client.post(f"{API}/alerts/{alert.pk}/resolve"))
    assert resolved["state"] == "resolved" and resolved["resolved_by"] == user.display_name
    assert Alert.objects.get().state == AlertState.RESOLVED


def test_the_map_is_geojson_with_each_things_state(city, client_for):
    client = client_for(staff(Role.OPERATOR, None, ()))
    response = client.get(f"{API}/map")
    assert response["Content-Type"] == "application/geo+json"
    states = {f["properties"]["name"]: f["properties"]["state"] for f in body(response)["features"]}
    assert states == {"North water": "alert", "South air": "silent"}
    assert body(client.get(f"{API}/map?state=alert&kind=water-quality"))["features"][0]["geometry"]["type"] == "Point"
    assert client.get(f"{API}/map?state=bogus").status_code == 422


def test_rules_crud(city, water, north, client_for):
    user = staff(Role.OPERATOR, water, (north,))
    client = client_for(user)
    datastream = city["north_water"]
    payload = {
        "name": "Very turbid",
        "kind": "threshold",
        "datastream_id": datastream.pk,
        "comparison": "gt",
        "threshold": 10,
        "min_duration_seconds": 600,
        "severity": "critical",
    }
    created = client.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
    assert created.status_code == 201, created.content
    rule = body(created)
    assert rule["condition"] and rule["severity"] == "critical"
    assert datastream.pk in rules.rule_index().by_datastream

    listed = body(client.get(f"{API}/rules?datastream_id={datastream.pk}"))
    assert {r["name"] for r in listed["results"]} == {"Very turbid", f"high {datastream.pk}"}

    payload["threshold"] = 12
    updated = client.put(f"{API}/rules/{rule['id']}", json.dumps(payload), content_type="application/json")
    assert body(updated)["threshold"] == 12

    assert client.delete(f"{API}/rules/{rule['id']}").status_code == 204
    assert client.get(f"{API}/rules/{rule['id']}").status_code == 404


def test_a_new_rule_judges_the_latest_values_at_once(
    city, water, north, client_for, observe, django_capture_on_commit_callbacks
):
    battery = city["north_water"].thing.datastreams.get(observed_property__name="battery")
    observe(battery, (300, 7.0))  # low for hours already
    client = client_for(staff(Role.OPERATOR, water, (north,)))
    payload = {
        "name": "Low battery",
        "kind": "threshold",
        "datastream_id": battery.pk,
        "comparison": "lt",
        "threshold": 15,
    }
    with django_capture_on_commit_callbacks(execute=True):  # the rule's first judgement runs after commit
        response = client.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201
    assert Alert.objects.get(datastream=battery).value == 7.0


def test_bad_rules_are_422_problems_naming_the_field(city, client_for):
    client = client_for(staff(Role.ADMINISTRATOR, None, ()))
    cases = [
        ({"name": "x", "kind": "threshold", "datastream_id": city["north_water"].pk, "comparison": "gt"}, "threshold"),
        (
            {"name": "x", "kind": "silence", "thing_kind": "water-quality", "observed_property": "nope"},
            "observed_property",
        ),
        ({"name": "x", "kind": "silence", "datastream_id": 999_999, "silence_minutes": 5}, "datastream_id"),
        ({"name": "x", "kind": "loud"}, "kind"),
    ]
    for payload, field in cases:
        response = client.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
        assert response.status_code == 422, (payload, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        assert any(field in e["field"] for e in body(response)["errors"]), body(response)


def test_kind_rules_are_for_city_wide_staff_only(city, water, client_for):
    payload = {
        "name": "All turbid",
        "kind": "threshold",
        "thing_kind": "water-quality",
        "observed_property": "turbidity",
        "comparison": "gt",
        "threshold": 5,
    }
    department_operator = client_for(staff(Role.OPERATOR, water, ()))
    refused = department_operator.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
    assert refused.status_code == 403
    city_operator = client_for(staff(Role.OPERATOR, None, ()))
    assert city_operator.post(f"{API}/rules", json.dumps(payload), content_type="application/json").status_code == 201


def test_another_departments_rules_are_hidden_and_refused(city, environment, south, client_for):
    north_rule = AlertRule.objects.get(datastream=city["north_water"])
    client = client_for(staff(Role.OPERATOR, environment, (south,)))
    names = {r["name"] for r in body(client.get(f"{API}/rules"))["results"]}
    assert north_rule.name not in names and len(names) == 1
    assert client.delete(f"{API}/rules/{north_rule.pk}").status_code == 404
    payload = {"name": "mine now", "kind": "silence", "datastream_id": city["north_water"].pk, "silence_minutes": 5}
    response = client.post(f"{API}/rules", json.dumps(payload), content_type="application/json")
    assert response.status_code == 403
