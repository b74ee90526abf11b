"""Check-in staff work belongs to public health and the operations centre (CITYOS_CHECKIN_DEPARTMENT,
default "health,operations"): an operator of another department sees no venue or its contacts.
Exposure alerts carry health data and are public health's alone (CITYOS_CHECKIN_ALERTS_DEPARTMENT,
default "health")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cityos.checkin import services
from cityos.checkin.models import AlertState, ExposureAlert
from cityos.checkin.tests.factories import VenueFactory
from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.tests.factories import staff_of

pytestmark = pytest.mark.django_db

VENUES = reverse("checkin:ops-venues")
ALERTS = reverse("checkin:ops-alerts")
ACTIVITY = reverse("checkin:ops-activity")


@pytest.fixture
def venue():
    Department.objects.create(code="health", name="Public Health")
    return VenueFactory(name="Harbour Cafe", contact_email="owner@harbour.example.org")


def test_the_water_operator_sees_no_venue_list_nor_a_venues_contacts(venue):
    water = verified_client(staff_of("water", Role.OPERATOR))
    response = water.get(VENUES)
    assert response.status_code == 403 and "Public Health" in response.content.decode()
    assert water.get(reverse("checkin:ops-import")).status_code == 403
    detail = water.get(reverse("checkin:venue", args=[venue.pk]))
    assert detail.status_code in (403, 404) and "owner@harbour.example.org" not in detail.content.decode()
    listed = water.get("/api/v1/checkin/venues")
    assert listed.status_code == 403 and "Public Health" in listed.json()["detail"]
    one = water.get(f"/api/v1/checkin/venues/{venue.pk}")
    assert one.status_code in (403, 404) and "owner@harbour.example.org" not in one.content.decode()
    assert VENUES not in water.get(reverse("web:ops")).content.decode()  # nor "Venues" in the menu


def test_a_health_officer_of_another_department_does_not_see_exposure_alerts(venue):
    environment = verified_client(staff_of("environment", Role.HEALTH_OFFICER))
    assert environment.get(reverse("checkin:ops-alerts")).status_code == 403
    assert (
        verified_client(staff_of("health", Role.HEALTH_OFFICER)).get(reverse("checkin:ops-alerts")).status_code == 200
    )


@pytest.mark.parametrize(
    ("department", "role"),
    [
        ("health", Role.HEALTH_OFFICER),
        ("operations", Role.OPERATOR),
        (None, Role.OPERATOR),
        ("it", Role.ADMINISTRATOR),
    ],
)
def test_health_operations_unscoped_staff_and_administrators_manage_venues(venue, department, role):
    client = verified_client(staff_of(department, role))
    assert client.get(VENUES).status_code == 200
    detail = client.get(reverse("checkin:venue", args=[venue.pk]))
    assert detail.status_code == 200 and "owner@harbour.example.org" in detail.content.decode()
    assert client.get("/api/v1/checkin/venues").status_code == 200
    assert VENUES in client.get(reverse("web:ops")).content.decode()


def _proposed(venue) -> ExposureAlert:
    start = timezone.now() - timedelta(days=1)
    visits = [{"venue_code": venue.short_code, "start": start, "end": start + timedelta(hours=1)}]
    (alert,) = services.propose_exposure_alert("CASE-7", visits, proposed_by=None)
    return alert


def test_a_health_officer_of_the_operations_centre_manages_venues_but_reaches_no_exposure_alert(venue):
    officer = staff_of("operations", Role.HEALTH_OFFICER)
    client = verified_client(officer)
    alert = _proposed(venue)
    assert client.get(VENUES).status_code == 200  # venues stay with health and operations
    response = client.get(ALERTS)
    assert response.status_code == 403 and "Public Health" in response.content.decode()
    assert client.get(reverse("checkin:ops-alert", args=[alert.pk])).status_code == 403
    assert client.post(reverse("checkin:ops-alert", args=[alert.pk]), {"action": "send"}).status_code == 403
    assert client.get(ACTIVITY).status_code == 403
    listed = client.get("/api/v1/checkin/alerts")
    assert listed.status_code == 403 and "Public Health" in listed.json()["detail"]
    assert client.get(f"/api/v1/checkin/alerts/{alert.pk}").status_code == 403
    assert client.post(f"/api/v1/checkin/alerts/{alert.pk}/send").status_code == 403
    with pytest.raises(PermissionDenied):
        services.send_exposure_alert(alert, officer)
    alert.refresh_from_db()
    assert alert.state == AlertState.PROPOSED
    menu = client.get(reverse("web:ops")).content.decode()
    assert ALERTS not in menu and ACTIVITY not in menu


def test_a_health_officer_of_public_health_works_with_alerts_on_the_pages_and_the_api(venue):
    client = verified_client(staff_of("health", Role.HEALTH_OFFICER))
    alert = _proposed(venue)
    assert client.get(ALERTS).status_code == 200
    assert client.get(reverse("checkin:ops-alert", args=[alert.pk])).status_code == 200
    assert client.get(ACTIVITY).status_code == 200
    assert client.get("/api/v1/checkin/alerts").json()["count"] == 1
    assert ALERTS in client.get(reverse("web:ops")).content.decode()


def test_the_city_may_open_alerts_to_another_department_without_touching_venues(venue):
    client = verified_client(staff_of("operations", Role.HEALTH_OFFICER))
    with override_settings(CITYOS_CHECKIN_ALERTS_DEPARTMENT="health,operations"):
        assert client.get(ALERTS).status_code == 200
        assert client.get("/api/v1/checkin/alerts").status_code == 200
    with override_settings(CITYOS_CHECKIN_DEPARTMENT="health"):
        assert client.get(VENUES).status_code == 403
        assert client.get(ALERTS).status_code == 403
