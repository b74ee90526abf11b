"""The message log (page, CSV, API) shows a sender narrowed to districts only the messages to
people who live in them, and those they sent; messages to no district are read city-wide only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.tests.factories import ResidentFactory, staff_of
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications.models import Message

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
EXPORT = reverse("notifications:export")
API = "/api/v1/notifications/messages"


@pytest.fixture
def log():
    """One email each to a resident of north, one of south, a resident of no district and a bare
    address; the addresses name who got them."""
    Department.objects.create(code="operations", name="City Operations")
    north, south = DistrictFactory(code="north"), DistrictFactory(code="south")
    sent = {
        "north": ResidentFactory(district=north),
        "south": ResidentFactory(district=south),
        "nowhere": ResidentFactory(district=None),
        "bare": None,
    }
    for name, person in sent.items():
        Message.objects.create(recipient=person, address=f"{name}@example.org", channel="email", template_key="x")
    return north, south


def _page_addresses(client) -> set[str]:
    body = client.get(LIST).content.decode()
    return {name for name in ("north", "south", "nowhere", "bare") if f"{name}@example.org" in body}


def _csv_addresses(client) -> set[str]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return {name for name in ("north", "south", "nowhere", "bare") if f"{name}@example.org" in body}


def _api_recipients(client) -> set[int | None]:
    response = client.get(API)
    assert response.status_code == 200
    listed = response.json()
    assert listed["count"] == len(listed["results"])
    return {row["recipient_id"] for row in listed["results"]}


def test_a_north_operator_reads_only_messages_to_north_residents_on_the_page_in_the_csv_and_the_api(log):
    north, _south = log
    client = verified_client(staff_of("operations", Role.OPERATOR, districts=[north]))
    assert _page_addresses(client) == {"north"}
    assert _csv_addresses(client) == {"north"}
    north_resident = Message.objects.get(address="north@example.org").recipient_id
    assert _api_recipients(client) == {north_resident}


def test_a_search_does_not_reach_past_the_districts(log):
    north, _south = log
    client = verified_client(staff_of("operations", Role.OPERATOR, districts=[north]))
    found = client.get(LIST, {"q": "south@example.org"}).context["page"]
    assert list(found) == []
    assert client.get(EXPORT, {"q": "south"}).getvalue().count(b"@example.org") == 0


def test_a_district_sender_reads_the_messages_they_sent_themselves(log):
    north, _south = log
    sender = staff_of("operations", Role.OPERATOR, districts=[north])
    Message.objects.create(recipient=None, address="mine@example.org", channel="email", created_by=sender)
    assert "mine@example.org" in verified_client(sender).get(LIST).content.decode()


@pytest.mark.parametrize(
    "person",
    [
        lambda: staff_of("operations", Role.OPERATOR),
        lambda: staff_of(None, Role.OPERATOR),
        lambda: staff_of("it", Role.ADMINISTRATOR),
    ],
    ids=["city-wide operations operator", "operator of no department", "administrator"],
)
def test_city_wide_senders_read_every_message_including_those_to_no_district(log, person):
    client = verified_client(person())
    everything = {"north", "south", "nowhere", "bare"}
    assert _page_addresses(client) == everything
    assert _csv_addresses(client) == everything
    assert len(_api_recipients(client)) == 4  # three residents and the bare address (None)


def test_a_district_role_of_another_department_adds_nothing(log):
    north, _south = log
    person = staff_of("operations", Role.OPERATOR, districts=[north])
    # City-wide, but for the water department, which does not send the city's messages.
    person.staff_roles.create(role=Role.OPERATOR, department=Department.objects.create(code="water", name="Water"))
    assert _page_addresses(verified_client(person)) == {"north"}
