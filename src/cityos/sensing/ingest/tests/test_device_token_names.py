"""A device token's name is kept without bidi controls from the page and the API alike."""

from __future__ import annotations

import json

import pytest

from cityos.conftest import verified_client
from cityos.core.accounts.models import User
from cityos.core.api.models import ApiToken
from cityos.sensing.models import Datastream

pytestmark = pytest.mark.django_db
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
API = "/api/v1/sensing/device-tokens"


def test_a_device_token_named_through_the_api_is_kept_without_the_controls(door: Datastream, operator: User) -> None:
    client = verified_client(operator)
    named = client.post(
        API, json.dumps({"name": f"Door {RLO}4", "datastream_ids": [door.pk]}), content_type="application/json"
    )
    assert named.status_code == 201, named.content
    assert named.json()["name"] == "Door 4" and ApiToken.objects.get().name == "Door 4"
    # A name of nothing but controls is an empty one.
    empty = client.post(API, json.dumps({"name": RLO, "datastream_ids": [door.pk]}), content_type="application/json")
    assert empty.status_code == 422
    assert [(e["field"], e["code"]) for e in empty.json()["errors"]] == [("body.name", "string_too_short")]


def test_a_device_token_named_on_the_page_is_kept_without_the_controls_and_shown_isolated(
    temperature: Datastream, operator: User
) -> None:
    page = verified_client(operator).post(
        "/sensing/ops/device-tokens/", {"name": f"Gauge {RLO}4", "datastreams": str(temperature.pk)}
    )
    assert page.status_code == 200
    assert ApiToken.objects.get().name == "Gauge 4"
    assert "<h2>Token for <bdi>Gauge 4</bdi></h2>" in page.content.decode()
