"""Operators' dead-letter page and API, and device tokens with publish grants."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role, User
from cityos.core.api.models import ApiToken
from cityos.sensing.ingest.store import Message, store_batch
from cityos.sensing.models import Datastream, DeadLetter, Observation, PublishGrant

pytestmark = pytest.mark.django_db

PAGE = "/sensing/ops/dead-letters/"
API = "/api/v1/sensing"


def bad(datastream: Datastream, payload: bytes = b'{"result": "warm"}') -> None:
    store_batch([Message(f"v1.1/Datastreams({datastream.pk})/Observations", payload)])


def test_operators_see_filter_and_export_dead_letters(temperature: Datastream, operator: User) -> None:
    bad(temperature)
    bad(temperature, b"{oops")
    client = verified_client(operator)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "must be a number" in page.content.decode() and "not valid JSON" in page.content.decode()
    filtered = client.get(PAGE, {"reason": "JSON"}).content.decode()
    assert "not valid JSON" in filtered and "must be a number" not in filtered
    export = client.get("/sensing/ops/dead-letters.csv", {"q": "warm"})
    body = b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]
    assert export["Content-Type"].startswith("text/csv")
    assert body.count("\n") == 2 and "warm" in body


def test_residents_and_other_staff_cannot_open_the_page(
    staff_client: Callable[..., tuple[User, Client]], resident: User
) -> None:
    _user, analyst = staff_client(Role.CASEWORKER)
    assert analyst.get(PAGE).status_code == 403
    assert Client().get(PAGE).status_code == 302


def test_replay_from_the_page_and_delete(temperature: Datastream, operator: User) -> None:
    bad(temperature, b'{"result": 5}')  # fine: stored
    bad(temperature, b'{"result": 6, "phenomenonTime": "2026-03-01T08:00:00"}')
    letter = DeadLetter.objects.get()
    letter.payload = '{"result": 6, "phenomenonTime": "2026-03-01T08:00:00Z"}'  # fixed upstream
    letter.save()
    client = verified_client(operator)
    response = client.post("/sensing/ops/dead-letters/action/", {"one": letter.pk})
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.replayed_by == operator and letter.replay_outcome.startswith("Stored 1")
    assert Observation.objects.filter(datastream=temperature, result_number=6).exists()
    client.post("/sensing/ops/dead-letters/action/", {"ids": [letter.pk], "action": "delete"})
    assert not DeadLetter.objects.exists()


def test_api_lists_replays_and_deletes(temperature: Datastream, operator: User) -> None:
    bad(temperature)
    client = verified_client(operator)
    listed = client.get(f"{API}/dead-letters", {"reason": "number"}).json()
    assert listed["count"] == 1
    item = listed["results"][0]
    assert "must be a number" in item["reason"] and item["replayed_at"] is None
    replayed = client.post(
        f"{API}/dead-letters/replay", json.dumps({"ids": [item["id"]]}), content_type="application/json"
    ).json()
    assert replayed[0]["replayed_by"] == operator.get_username()
    assert "must be a number" in replayed[0]["replay_outcome"]
    missing = client.post(f"{API}/dead-letters/replay", json.dumps({"ids": [999999]}), content_type="application/json")
    assert missing.status_code == 404
    empty = client.post(f"{API}/dead-letters/replay", json.dumps({"ids": []}), content_type="application/json")
    assert empty.status_code == 422
    deleted = client.post(
        f"{API}/dead-letters/delete", json.dumps({"ids": [item["id"]]}), content_type="application/json"
    )
    assert deleted.json() == {"deleted": 1}


def test_issue_a_device_token_limited_to_datastreams(temperature: Datastream, door: Datastream, operator: User) -> None:
    client = verified_client(operator)
    response = client.post(
        f"{API}/device-tokens",
        json.dumps({"name": "door sensor", "datastream_ids": [door.pk]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["datastream_ids"] == [door.pk] and body["token"]
    token = ApiToken.objects.get(pk=body["id"])
    assert list(PublishGrant.objects.filter(token=token).values_list("datastream_id", flat=True)) == [door.pk]
    listed = client.get(f"{API}/device-tokens").json()["results"]
    assert listed[0]["datastream_ids"] == [door.pk]
    unknown = client.post(
        f"{API}/device-tokens",
        json.dumps({"name": "x", "datastream_ids": [999999]}),
        content_type="application/json",
    )
    assert unknown.status_code == 422, unknown.json()
    assert unknown.json()["errors"] == [
        {"field": "body.datastream_ids", "message": "There is no datastream 999999.", "code": "invalid"}
    ]
    page = client.post("/sensing/ops/device-tokens/", {"name": "gauge", "datastreams": f"{temperature.pk}"})
    assert page.status_code == 200 and "shown only once" in page.content.decode()
