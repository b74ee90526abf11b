"""Ingest and a private Thing outside the operator's scope: as if its datastream did not exist.

A water operator works with ingest (dead letters, device tokens) but may not see the housing
department's council homes. For a home's datastream they get what an id naming nothing gets: a
device token refused with "There is no datastream N.", a replay that finds no such datastream,
and none of its dead letters (its device's raw readings) in the list, the CSV or the API. A
housing station's datastream (not private) keeps its plain "another department" answers.
"""

from __future__ import annotations

import json

import orjson
import pytest
from django.apps import apps as django_apps
from django.db import connection

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role, StaffRole, User
from cityos.core.api.services import issue_token
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.sensing.ingest import store
from cityos.sensing.ingest.broker import may_publish, principal_for
from cityos.sensing.ingest.services import issue_device_token
from cityos.sensing.ingest.store import CREATE_OBSERVATIONS_TOPIC, Message, store_batch
from cityos.sensing.ingest.tests.conftest import publishing, wait_for
from cityos.sensing.ingest.worker import IngestWorker
from cityos.sensing.models import Datastream, DeadLetter, Observation, PublishGrant
from cityos.sensing.tests.conftest import Elsewhere, housing_streams, masked, without_id

pytestmark = pytest.mark.django_db

API = "/api/v1/sensing"
PAGE = "/sensing/ops/dead-letters/"


@pytest.fixture
def elsewhere(operator: User) -> Elsewhere:
    return housing_streams()


def topic(pk: int) -> str:
    return f"v1.1/Datastreams({pk})/Observations"


def bad_letters(elsewhere: Elsewhere) -> dict[str, DeadLetter]:
    """One dead letter per datastream: a result in text where a number is due."""
    letters = {}
    for name, pk in elsewhere.each():
        store_batch([Message(topic(pk), b'{"result": "warm", "phenomenonTime": "2026-11-27T10:00:00Z"}')])
        letters[name] = DeadLetter.objects.get(topic=topic(pk))
    return letters


# --- device tokens -------------------------------------------------------------------------
def refusal(operator: User, pk: int) -> list[str]:
    with pytest.raises(Exception) as raised:
        issue_device_token(name="gauge", datastream_ids=[pk], by=operator)
    return [without_id(message, pk) for message in raised.value.message_dict["datastreams"]]  # type: ignore[attr-defined]


def test_a_device_token_for_a_homes_datastream_is_refused_as_for_a_missing_one(
    operator: User, elsewhere: Elsewhere
) -> None:
    answers = {name: refusal(operator, pk) for name, pk in elsewhere.each()}
    assert answers["home"] == answers["missing"] == ["There is no datastream <id>."]
    assert answers["public"] == ["You may not publish to datastream <id>: another department owns it."]
    # Several at once: the home is among the missing, not among those of another department.
    with pytest.raises(Exception) as raised:
        issue_device_token(name="x", datastream_ids=[elsewhere.home.pk, elsewhere.missing], by=operator)
    assert raised.value.message_dict["datastreams"] == [  # type: ignore[attr-defined]
        f"There is no datastream {elsewhere.home.pk}, {elsewhere.missing}."
    ]
    assert not PublishGrant.objects.exists()
    issued = issue_device_token(name="thermostat", datastream_ids=[elsewhere.home.pk], by=elsewhere.housing_operator)
    assert issued.datastream_ids == [elsewhere.home.pk]


def test_the_device_token_api_and_page_answer_alike(operator: User, elsewhere: Elsewhere) -> None:
    client = verified_client(operator)
    bodies = {}
    for name, pk in elsewhere.each():
        response = client.post(
            f"{API}/device-tokens", json.dumps({"name": "x", "datastream_ids": [pk]}), content_type="application/json"
        )
        assert response.status_code == 422
        bodies[name] = masked(response.json(), pk)
        page = client.post("/sensing/ops/device-tokens/", {"name": "gauge", "datastreams": str(pk)}).content.decode()
        assert ("another department owns it" in page) is (name == "public")
        assert (f"There is no datastream {pk}." in page) is (name != "public")
    assert bodies["home"] == bodies["missing"] != bodies["public"]
    assert bodies["home"]["errors"][0]["message"] == "There is no datastream <id>."


# --- replaying dead letters --------------------------------------------------------------
def test_a_replay_outside_the_homes_scope_finds_no_such_datastream(operator: User, elsewhere: Elsewhere) -> None:
    letters = bad_letters(elsewhere)
    outcomes = {}
    for name, pk in elsewhere.each():
        letter = letters[name]
        letter.payload = '{"result": 21.5, "phenomenonTime": "2026-11-27T10:00:00Z"}'  # fixed upstream
        letter.save()
        outcomes[name] = without_id(store.replay(letter, by=operator).replay_outcome, pk)
    assert outcomes["home"] == outcomes["missing"] == "There is no Datastream with @iot.id <id>."
    assert outcomes["public"] == ("You may not add observations to Datastream(<id>): it belongs to another department.")
    assert not Observation.objects.exists()
    # Whom the home's datastream belongs to replays it.
    replayed = store.replay(letters["home"], by=elsewhere.housing_operator)
    assert replayed.replay_outcome.startswith("Stored 1")


# --- dead letters: list, CSV, API ----------------------------------------------------------
def test_a_homes_dead_letters_are_not_there_for_an_operator_outside_its_scope(
    operator: User, elsewhere: Elsewhere
) -> None:
    letters = bad_letters(elsewhere)
    home_letter = letters["home"].pk
    client = verified_client(operator)
    page = client.get(PAGE).content.decode()
    assert topic(elsewhere.public.pk) in page and topic(elsewhere.missing) in page
    assert topic(elsewhere.home.pk) not in page
    csv = b"".join(client.get("/sensing/ops/dead-letters.csv").streaming_content).decode()  # type: ignore[attr-defined]
    assert topic(elsewhere.public.pk) in csv and topic(elsewhere.home.pk) not in csv
    listed = client.get(f"{API}/dead-letters").json()
    assert listed["count"] == 2
    assert {item["id"] for item in listed["results"]} == {letters["public"].pk, letters["missing"].pk}
    # By id, the home's letter answers as a letter that does not exist.
    nowhere = max(letter.pk for letter in letters.values()) + 1000
    replays = {}
    for pk in (home_letter, nowhere):
        response = client.post(f"{API}/dead-letters/replay", json.dumps({"ids": [pk]}), content_type="application/json")
        replays[pk] = (response.status_code, without_id(response.json()["detail"], pk))
    assert replays[home_letter] == replays[nowhere] == (404, "There is no dead letter <id>.")
    deleted = client.post(
        f"{API}/dead-letters/delete", json.dumps({"ids": [home_letter]}), content_type="application/json"
    )
    assert deleted.json() == {"deleted": 0}
    client.post("/sensing/ops/dead-letters/action/", {"ids": [home_letter], "action": "delete"})
    client.post("/sensing/ops/dead-letters/action/", {"one": home_letter})
    letter = DeadLetter.objects.get(pk=home_letter)
    assert letter.replayed_at is None  # neither deleted nor replayed
    # Staff whose role covers the home see its letters, as administrators do.
    housing = verified_client(elsewhere.housing_operator).get(f"{API}/dead-letters").json()
    assert home_letter in {item["id"] for item in housing["results"]}


def test_a_data_array_naming_a_homes_datastream_is_filed_under_it(operator: User, elsewhere: Elsewhere) -> None:
    """A row refused on v1.1/CreateObservations, a whole message that is not valid JSON, and one
    naming a home's datastream among others: each is the home's letter, hidden like it."""
    home, public = elsewhere.home.pk, elsewhere.public.pk
    group = {"Datastream": {"@iot.id": home}, "components": ["phenomenonTime", "result"], "dataArray": [["x", 1]]}
    store_batch([Message(CREATE_OBSERVATIONS_TOPIC, orjson.dumps([group]))])
    broken = b'[{"Datastream": {"@iot.id": %d}, "components": ["result"], "dataArray": [[1]]' % home
    store_batch([Message(CREATE_OBSERVATIONS_TOPIC, broken)])
    both = [
        {"components": ["result"], "Datastream": {"name": "depot", "@iot.id": public}, "dataArray": [[1]]},
        {"Datastream": {"@iot.id": home}, "components": ["result", "result"], "dataArray": [[1, 2]]},
    ]
    store_batch([Message(CREATE_OBSERVATIONS_TOPIC, orjson.dumps(both))])
    filed = list(DeadLetter.objects.order_by("pk").values_list("datastream_id", flat=True))
    assert filed == [home, home, home]
    listed = verified_client(operator).get(f"{API}/dead-letters").json()
    assert listed["count"] == 0
    assert verified_client(elsewhere.housing_operator).get(f"{API}/dead-letters").json()["count"] == 3


def test_letters_stored_before_are_filed_by_the_migration(elsewhere: Elsewhere) -> None:
    from importlib import import_module

    file_letters = import_module("cityos.sensing.migrations.0007_dead_letter_datastream").file_letters
    bad_letters(elsewhere)
    store_batch([Message(CREATE_OBSERVATIONS_TOPIC, b'[{"Datastream": {"@iot.id": %d}, "oops' % elsewhere.home.pk)])
    store_batch([Message("v1.1/Things", b"{}")])
    expected = dict(DeadLetter.objects.values_list("pk", "datastream_id"))
    assert sorted(expected.values(), key=str) == sorted(
        [elsewhere.home.pk, elsewhere.home.pk, elsewhere.public.pk, elsewhere.missing, None], key=str
    )
    DeadLetter.objects.update(datastream_id=None)
    file_letters(django_apps, connection.schema_editor())
    assert dict(DeadLetter.objects.values_list("pk", "datastream_id")) == expected


# --- the embedded broker -----------------------------------------------------------------
@pytest.mark.django_db(transaction=True)  # principal_for closes its connection, as the broker's threads do
def test_a_token_may_not_publish_to_a_homes_datastream_it_may_not_see(
    operator: User, department: Department, elsewhere: Elsewhere
) -> None:
    """Over MQTT the broker refuses, as for any datastream the token may not publish to: a home
    of another department, or of the owner's own department in a district their role does not
    cover (their HTTP writes do not find it either); v1.1/CreateObservations, whose rows the
    broker cannot read, is the platform's only."""
    secret = issue_token(name="g", owner=operator, scopes=["write"], created_by=operator).secret
    outsider = principal_for("gauge", secret)
    assert outsider is not None
    assert [may_publish(outsider, topic(pk)) for _name, pk in elsewhere.each()] == [False, False, False]
    assert not may_publish(outsider, CREATE_OBSERVATIONS_TOPIC)
    owner = elsewhere.housing_operator
    insider = principal_for("home", issue_token(name="h", owner=owner, scopes=["write"], created_by=owner).secret)
    assert insider is not None and may_publish(insider, topic(elsewhere.home.pk))
    # A housing operator of another district: the home is not theirs to see.
    home_thing = elsewhere.home.thing
    home_thing.district = DistrictFactory()
    home_thing.save()
    role = StaffRole.objects.create(user=operator, role=Role.OPERATOR, department=owner.staff_roles.get().department)
    role.districts.add(DistrictFactory())
    distant = principal_for("d", issue_token(name="d", owner=operator, scopes=["write"], created_by=operator).secret)
    assert distant is not None
    assert may_publish(distant, topic(elsewhere.public.pk))  # the housing station has no district
    assert not may_publish(distant, topic(elsewhere.home.pk))


@pytest.mark.django_db(transaction=True)
def test_a_grant_counts_only_while_its_owner_may_write_there(elsewhere: Elsewhere) -> None:
    owner = elsewhere.housing_operator
    device = issue_device_token(name="thermostat", datastream_ids=[elsewhere.home.pk], by=owner)
    secret = device.issued.secret
    before = principal_for("thermostat", secret)
    assert before is not None and may_publish(before, topic(elsewhere.home.pk))
    owner.staff_roles.all().delete()  # the owner left housing
    after = principal_for("thermostat", secret)
    assert after is not None and not may_publish(after, topic(elsewhere.home.pk))


# --- through a real Mosquitto --------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_over_mqtt_a_homes_bad_readings_are_dead_letters_only_its_staff_see(
    worker: IngestWorker, mosquitto: str, operator: User
) -> None:
    """Devices publish through Mosquitto; what cannot be stored is a dead letter filed under its
    datastream, and an operator outside the home's scope finds the home's as a missing one."""
    elsewhere = housing_streams()
    with publishing(mosquitto, "test-devices") as client:
        for _name, pk in elsewhere.each():
            client.publish(topic(pk), b'{"result": "warm"}', qos=1).wait_for_publish(10)
        client.publish(topic(elsewhere.home.pk), b'{"result": 21.5}', qos=1).wait_for_publish(10)
    wait_for(lambda: DeadLetter.objects.count() == 3 and Observation.objects.exists())
    filed = dict(DeadLetter.objects.values_list("topic", "datastream_id"))
    assert filed == {topic(pk): pk for _name, pk in elsewhere.each()}
    assert Observation.objects.get().datastream_id == elsewhere.home.pk  # the device's good reading
    seen = {item["topic"] for item in verified_client(operator).get(f"{API}/dead-letters").json()["results"]}
    assert seen == {topic(elsewhere.public.pk), topic(elsewhere.missing)}
    covering = verified_client(elsewhere.housing_operator).get(f"{API}/dead-letters").json()
    assert covering["count"] == 3
    assert not Datastream.objects.filter(pk=elsewhere.missing).exists()
