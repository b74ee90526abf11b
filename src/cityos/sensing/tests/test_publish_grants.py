"""PublishGrant over HTTP: a limited token creates Observations of its datastreams and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cityos.core.accounts.models import User
from cityos.core.api.models import ApiToken
from cityos.core.api.selectors import token_for_secret
from cityos.sensing.models import Datastream, Observation, PublishGrant, Thing
from cityos.sensing.tests.conftest import STA, get, patch, post, thing_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def stations(make_station: Callable[..., Thing]) -> tuple[Datastream, Datastream]:
    return make_station("A", count=0).datastreams.get(), make_station("B", count=0).datastreams.get()


@pytest.fixture
def limited(token: str, stations: tuple[Datastream, Datastream]) -> dict[str, Any]:
    """Headers of a token granted only the first station's datastream."""
    granted = token_for_secret(token)
    assert isinstance(granted, ApiToken)
    PublishGrant.objects.create(token=granted, datastream=stations[0])
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def observation(datastream: Datastream) -> dict[str, Any]:
    return {"phenomenonTime": "2026-03-01T00:00:00Z", "result": 7.5, "Datastream": {"@iot.id": datastream.pk}}


def test_it_publishes_to_its_datastream_every_way(
    stations: tuple[Datastream, Datastream], limited: dict[str, Any]
) -> None:
    granted = stations[0]
    client = Client()
    assert post(client, "/Observations", observation(granted), **limited).status_code == 201
    body = {"phenomenonTime": "2026-03-01T00:01:00Z", "result": 8}
    assert post(client, f"/Datastreams({granted.pk})/Observations", body, **limited).status_code == 201
    array = [{"Datastream": {"@iot.id": granted.pk}, "components": ["result"], "dataArray": [[1], [2]]}]
    response = post(client, "/CreateObservations", array, **limited)
    assert response.status_code == 201 and "error" not in response.json()
    assert Observation.objects.filter(datastream=granted).count() == 4


def test_it_may_not_publish_elsewhere(stations: tuple[Datastream, Datastream], limited: dict[str, Any]) -> None:
    other = stations[1]
    client = Client()
    response = post(client, "/Observations", observation(other), **limited)
    assert response.status_code == 403
    assert f"Datastream {stations[0].pk}" in response.json()["message"]
    assert post(client, f"/Datastreams({other.pk})/Observations", {"result": 1}, **limited).status_code == 403
    array = [
        {"Datastream": {"@iot.id": stations[0].pk}, "components": ["result"], "dataArray": [[1]]},
        {"Datastream": {"@iot.id": other.pk}, "components": ["result"], "dataArray": [[2]]},
    ]
    assert post(client, "/CreateObservations", array, **limited).status_code == 403
    assert not Observation.objects.exists()  # refused whole, nothing stored


def test_it_may_change_nothing_else(
    stations: tuple[Datastream, Datastream], limited: dict[str, Any], operator: User
) -> None:
    client = Client()
    granted = stations[0]
    for response in (
        post(client, "/Things", thing_payload("New"), **limited),
        patch(client, f"/Datastreams({granted.pk})", {"name": "renamed"}, **limited),
        client.delete(f"{STA}/Datastreams({granted.pk})", **limited),
        post(client, "/Observations", {**observation(granted), "FeatureOfInterest": {"name": "x"}}, **limited),
    ):
        assert response.status_code == 403, response.content
        assert "may only" in response.json()["message"]
    assert Thing.objects.count() == 2 and Datastream.objects.get(pk=granted.pk).name != "renamed"
    assert get(client, f"/Datastreams({granted.pk})").status_code == 200  # reading changes nothing


def test_a_token_without_grants_is_not_limited(token: str, stations: tuple[Datastream, Datastream]) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert post(Client(), "/Observations", observation(stations[1]), **headers).status_code == 201
