"""Writing to a private Thing's datastream from outside its scope answers as a missing one does.

A water operator may not write to the housing department's datastreams. For a housing station
(not private) they are told it belongs to another department: that is no secret. For a council
home's datastream (its Thing private) they get, on every write path, the very answer an id that
names nothing gets: "another department" would confirm that the home exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cityos.conftest import verified_client
from cityos.core.accounts.models import User
from cityos.core.api.services import issue_token
from cityos.sensing import services
from cityos.sensing.models import AlertRule, Datastream, Observation, Thing
from cityos.sensing.sta.errors import Forbidden, StaError
from cityos.sensing.tests.conftest import Elsewhere, housing_streams, masked, patch, post, without_id

pytestmark = pytest.mark.django_db

NOT_THERE = "There is no Datastream with @iot.id <id>."
ANOTHER_DEPARTMENT = "You may not add observations to Datastream(<id>): it belongs to another department."
WHEN = "2026-11-27T10:00:00Z"


@pytest.fixture
def elsewhere(operator: User) -> Elsewhere:
    return housing_streams()


def answers(write: Callable[[int], Any], elsewhere: Elsewhere) -> dict[str, tuple[int, Any]]:
    """Each datastream's answer to ``write``: its status and its body, the id written as <id>."""
    out: dict[str, tuple[int, Any]] = {}
    for name, pk in elsewhere.each():
        response = write(pk)
        out[name] = (response.status_code, masked(json.loads(response.content), pk))
    return out


@pytest.fixture(params=["session", "token"])
def outsider(request: pytest.FixtureRequest, operator: User) -> Callable[..., Any]:
    """A water operator's POST or PATCH to the SensorThings API, signed in or with an API token."""
    if request.param == "session":
        client = verified_client(operator)
        return lambda send, path, body: send(client, path, body)
    secret = issue_token(name="gateway", owner=operator, scopes=["write"], created_by=operator).secret
    return lambda send, path, body: send(Client(), path, body, HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_post_observations(outsider: Callable[..., Any], elsewhere: Elsewhere) -> None:
    def observation(pk: int) -> Any:
        return outsider(post, "/Observations", {"result": 1, "phenomenonTime": WHEN, "Datastream": {"@iot.id": pk}})

    got = answers(observation, elsewhere)
    assert got["home"] == got["missing"] == (400, {"code": 400, "type": "error", "message": NOT_THERE})
    assert got["public"] == (403, {"code": 403, "type": "error", "message": ANOTHER_DEPARTMENT})
    assert not Observation.objects.exists()


def test_post_to_a_datastreams_observations(outsider: Callable[..., Any], elsewhere: Elsewhere) -> None:
    got = answers(lambda pk: outsider(post, f"/Datastreams({pk})/Observations", {"result": 1}), elsewhere)
    assert got["home"] == got["missing"]
    assert got["home"][0] == 404 and got["home"][1]["message"] == "There is no Datastream with @iot.id <id>."
    assert got["public"] == (403, {"code": 403, "type": "error", "message": ANOTHER_DEPARTMENT})
    assert not Observation.objects.exists()


def test_create_observations(outsider: Callable[..., Any], elsewhere: Elsewhere) -> None:
    def data_array(pk: int) -> Any:
        body = [{"Datastream": {"@iot.id": pk}, "components": ["phenomenonTime", "result"], "dataArray": [[WHEN, 1]]}]
        return outsider(post, "/CreateObservations", body)

    got = answers(data_array, elsewhere)
    assert got["home"] == got["missing"] == (400, {"code": 400, "type": "error", "message": NOT_THERE})
    assert got["public"] == (403, {"code": 403, "type": "error", "message": ANOTHER_DEPARTMENT})
    assert not Observation.objects.exists()


def test_moving_an_observation_to_another_departments_datastream(
    outsider: Callable[..., Any], elsewhere: Elsewhere, make_station: Callable[..., Thing]
) -> None:
    """PATCH of one's own Observation naming another Datastream: a home's is not there, and a
    housing station's may not be written to (before, the observation was moved there)."""
    own = Observation.objects.get(datastream=make_station(count=1).datastreams.get())
    got = answers(lambda pk: outsider(patch, f"/Observations({own.pk})", {"Datastream": {"@iot.id": pk}}), elsewhere)
    assert got["home"] == got["missing"] == (400, {"code": 400, "type": "error", "message": NOT_THERE})
    assert got["public"][0] == 403
    own.refresh_from_db()
    assert own.datastream_id not in (elsewhere.home.pk, elsewhere.public.pk)


def test_create_observations_outside_the_api_applies_the_same_rule(operator: User, elsewhere: Elsewhere) -> None:
    """The service itself, as a dead letter's replay calls it (no SensorThings request around it)."""
    refusals: dict[str, tuple[type[StaError], str]] = {}
    for name, pk in elsewhere.each():
        item = services.NewObservation(datastream_id=pk, phenomenon_time=None, result=1.0)
        with pytest.raises(StaError) as raised:
            services.create_observations([item], user=operator)
        refusals[name] = (type(raised.value), without_id(raised.value.message, pk))
    assert refusals["home"] == refusals["missing"] == (StaError, NOT_THERE)
    assert refusals["public"] == (Forbidden, ANOTHER_DEPARTMENT)
    # The home's own department writes to it; the platform (MQTT ingest) everywhere.
    home = services.NewObservation(datastream_id=elsewhere.home.pk, phenomenon_time=None, result=2.0)
    assert isinstance(services.create_observations([home], user=elsewhere.housing_operator)[0], int)
    assert isinstance(services.create_observations([home], user=None, system=True)[0], int)


def test_an_alert_rule_for_a_homes_datastream_is_refused_as_for_a_missing_one(
    operator: User, elsewhere: Elsewhere
) -> None:
    client = verified_client(operator)

    def rule(pk: int) -> Any:
        body = {"name": "Too warm", "kind": "threshold", "datastream_id": pk, "comparison": "gt", "threshold": 30}
        return client.post("/api/v1/sensing/rules", json.dumps(body), content_type="application/json")

    got = answers(rule, elsewhere)
    assert got["home"] == got["missing"]
    assert got["home"][0] == 422 and got["home"][1]["errors"][0]["message"] == "There is no such datastream."
    assert got["public"][0] == 403 and "department or district you do not manage" in got["public"][1]["detail"]
    assert not AlertRule.objects.exists()
    housing = verified_client(elsewhere.housing_operator)
    body = {"name": "Damp", "kind": "threshold", "datastream_id": elsewhere.home.pk, "comparison": "gt", "threshold": 1}
    created = housing.post("/api/v1/sensing/rules", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    assert AlertRule.objects.get().datastream == Datastream.objects.get(pk=elsewhere.home.pk)
