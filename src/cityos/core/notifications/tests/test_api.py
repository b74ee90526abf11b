"""/api/v1/notifications/: states for staff, sends to segments, a person's own preferences."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications import services
from cityos.core.notifications.models import Broadcast, ChannelPreference

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

BASE = "/api/v1/notifications"


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    return client


def send_json(client, method, path, data):
    return getattr(client, method)(f"{BASE}{path}", json.dumps(data), content_type="application/json")


@pytest.fixture
def district(db):
    district = DistrictFactory()
    for _ in range(2):
        ResidentFactory(district=district)
    return district


def test_staff_list_messages_with_their_state_and_no_addresses(
    staff_client, welcome, district, django_capture_on_commit_callbacks
):
    person = ResidentFactory()
    ChannelPreference.objects.create(user=person, channels=["email"], opted_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_to_person(person, "welcome")
        services.send_to_person(ResidentFactory(), "welcome")
    _operator, client = staff_client(Role.OPERATOR)

    everything = client.get(f"{BASE}/messages").json()
    suppressed = client.get(f"{BASE}/messages", {"state": "suppressed"}).json()

    assert everything["count"] == 2
    assert {m["state"] for m in everything["results"]} == {"sent", "suppressed"}
    assert "address" not in everything["results"][0] and "body" not in everything["results"][0]
    assert [m["suppressed_reason"] for m in suppressed["results"]] == ["opted_out"]
    spanish = client.get(f"{BASE}/messages", HTTP_ACCEPT_LANGUAGE="es").json()
    assert {(m["template_key"], m["template_label"]) for m in spanish["results"]} == {
        ("welcome", "Mensaje de bienvenida")
    }
    refused = client.get(f"{BASE}/messages", {"state": "lost"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "query.state"


def test_staff_export_the_message_list_as_csv(staff_client, welcome, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.send_to_person(ResidentFactory(), "welcome")
    _operator, client = staff_client(Role.OPERATOR)
    response = client.get(f"{BASE}/messages", {"format": "csv"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("id,channel,language,template_key,template_label,state") and len(lines) == 2
    assert ",welcome,Welcome message," in lines[1]
    spanish = client.get(f"{BASE}/messages", {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="es")
    translation.activate("en")  # as a server thread that streams the rows later may be
    assert ",welcome,Mensaje de bienvenida," in b"".join(spanish.streaming_content).decode()


def test_staff_send_to_a_segment_and_read_its_counts(
    staff_client, welcome, district, django_capture_on_commit_callbacks
):
    _officer, client = staff_client(Role.HEALTH_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        response = send_json(client, "post", "/broadcasts", {"template_key": "welcome", "district_ids": [district.pk]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipient_count"] == 2 and body["segment"]["district_ids"] == [district.pk]
    assert body["template_label"] == "Welcome message"
    listed = client.get(f"{BASE}/broadcasts").json()
    assert listed["results"][0]["id"] == body["id"] and listed["results"][0]["states"]["sent"] == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"template_key": "nope"}, "template_key"),
        ({"template_key": "welcome", "channels": ["fax"]}, "channels"),
        ({"template_key": "welcome", "district_ids": [999999]}, "district_ids"),
        ({"template_key": "welcome", "languages": ["zh-hant"]}, "segment"),
        ({"template_key": "welcome", "roles": ["operator"]}, "roles"),
        ({"template_key": "welcome", "audience": "martians"}, "audience"),
        ({"template_key": "welcome", "context": {"bad key": "x"}}, "context"),
        ({"template_key": "welcome", "district_ids": ["north"]}, "district_ids"),
        ({"template_key": "welcome", "district_ids": [2**70]}, "district_ids"),
        ({"template_key": "welcome", "channels": ["email"] * 5}, "channels"),
        ({}, "template_key"),
    ],
)
def test_a_bad_broadcast_is_refused_with_the_field_named(staff_client, welcome, district, payload, field):
    _operator, client = staff_client(Role.OPERATOR)
    response = send_json(client, "post", "/broadcasts", payload)
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    fields = [error["field"] for error in response.json()["errors"]]
    assert any(f == f"body.{field}" or f.startswith(f"body.{field}.") for f in fields), fields
    assert not Broadcast.objects.exists()


def test_residents_and_strangers_cannot_use_the_staff_operations(welcome, district, staff_client):
    resident = signed_in(ResidentFactory())
    _publisher, publisher = staff_client(Role.DATA_PUBLISHER)
    for client, status in ((resident, 403), (publisher, 403), (Client(), 401)):
        assert client.get(f"{BASE}/messages").status_code == status
        assert client.get(f"{BASE}/broadcasts").status_code == status
        assert send_json(client, "post", "/broadcasts", {"template_key": "welcome"}).status_code == status
    assert not Broadcast.objects.exists()


def test_a_scoped_operator_gets_403_for_the_whole_city(staff_client, welcome, district):
    operator, client = staff_client(Role.OPERATOR)
    operator.staff_roles.get().districts.set([DistrictFactory()])
    assert send_json(client, "post", "/broadcasts", {"template_key": "welcome"}).status_code == 403


def test_a_resident_reads_and_changes_their_preferences():
    person = ResidentFactory(phone="+14155550150")
    client = signed_in(person)
    assert client.get(f"{BASE}/preferences/me").json() == {
        "channels": ["email", "sms"],
        "opted_out": False,
        "reachable_channels": ["email", "sms", "whatsapp", "voice"],
    }
    changed = send_json(client, "put", "/preferences/me", {"channels": ["whatsapp", "email"], "opted_out": False})
    assert changed.status_code == 200 and changed.json()["channels"] == ["whatsapp", "email"]


@pytest.mark.parametrize(
    "payload",
    [
        {"channels": ["sms"]},
        {"channels": ["pigeon"]},
        {"channels": []},
        {"channels": ["email", "email"]},
        {"channels": "email"},
        {"opted_out": True},
    ],
)
def test_bad_preferences_are_refused(payload):
    person = ResidentFactory(phone=None)
    response = send_json(signed_in(person), "put", "/preferences/me", payload)
    assert response.status_code == 422, response.content
    assert any(e["field"].startswith("body.channels") for e in response.json()["errors"]), response.json()
    assert not ChannelPreference.objects.exists()


def test_preferences_need_a_person_and_a_csrf_token_for_a_session_change():
    assert Client().get(f"{BASE}/preferences/me").status_code == 401
    strict = signed_in(ResidentFactory(), enforce_csrf_checks=True)
    assert strict.get(f"{BASE}/preferences/me").status_code == 200
    assert send_json(strict, "put", "/preferences/me", {"channels": ["email"]}).status_code == 403
