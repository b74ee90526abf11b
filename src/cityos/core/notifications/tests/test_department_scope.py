"""Who speaks for the city: messaging roles of the departments that broadcast (default operations)
or of no department, to the districts their roles cover; other departments' staff do not broadcast."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.tests.factories import ResidentFactory, staff_of
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications import services
from cityos.core.notifications.models import Broadcast
from cityos.core.notifications.selectors import Segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

COMPOSE = reverse("notifications:compose")
LIST = reverse("notifications:list")


@pytest.fixture
def north(db):
    Department.objects.create(code="operations", name="City Operations")
    district = DistrictFactory(code="north")
    ResidentFactory(district=district)
    return district


def test_an_operator_of_another_department_may_not_broadcast_to_the_city(north, welcome):
    water = staff_of("water", Role.OPERATOR)
    assert not services.may_message(water, [])
    assert not services.may_message(water, [north.pk])
    with pytest.raises(PermissionDenied):
        services.send_to_segment(Segment(), "welcome", sent_by=water)
    assert not Broadcast.objects.exists()


def test_their_pages_and_api_refuse_them_and_say_whose_work_it_is(north, welcome):
    client = verified_client(staff_of("water", Role.OPERATOR))
    response = client.get(COMPOSE)
    assert response.status_code == 403 and "City Operations" in response.content.decode()
    assert (
        client.post(COMPOSE, {"template_key": "welcome", "audience": "residents", "action": "send"}).status_code == 403
    )
    assert client.get(LIST).status_code == 403
    response = client.post(
        "/api/v1/notifications/broadcasts", json.dumps({"template_key": "welcome"}), content_type="application/json"
    )
    assert response.status_code == 403 and "City Operations" in response.json()["detail"]
    assert not Broadcast.objects.exists()
    assert LIST not in client.get(reverse("web:ops")).content.decode()  # no "Messages" in their menu


@pytest.mark.parametrize(
    "person",
    [
        lambda: staff_of("operations", Role.OPERATOR),
        lambda: staff_of(None, Role.OPERATOR),
        lambda: staff_of("it", Role.ADMINISTRATOR),
    ],
    ids=["operations operator", "operator of no department", "administrator"],
)
def test_the_operations_centre_unscoped_staff_and_administrators_broadcast_city_wide(north, welcome, person):
    sender = person()
    assert services.may_message(sender, [])
    assert services.send_to_segment(Segment(), "welcome", sent_by=sender).recipient_count == 1
    assert verified_client(sender).get(COMPOSE).status_code == 200


def test_a_district_scoped_operator_of_the_department_reaches_only_their_districts(north, welcome):
    south = DistrictFactory(code="south")
    scoped = staff_of("operations", Role.OPERATOR, districts=[north])
    assert services.may_message(scoped, [north.pk])
    assert not services.may_message(scoped, [south.pk]) and not services.may_message(scoped, [])
