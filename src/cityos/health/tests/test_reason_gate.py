"""One reason gate in front of every health page: a page asks for the reason, an action or export
posted from it works only under that reason, and what follows is audited with it."""

from __future__ import annotations

import pytest

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.models import AuditEntry
from cityos.health import services
from cityos.health.models import FollowUp, HealthTask
from cityos.health.tests.conftest import days_ago, give_reason

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return ResidentFactory(first_name="Zofia", last_name="Quist", phone="+12125550177")


@pytest.fixture
def task(officer, person):
    quarantine = services.start_quarantine(officer, person, start_date=days_ago(0), home_lat=40.7, home_lon=-73.9)
    services.check_in(person, lat=41.0, lon=-73.9)  # away from home: a task for the officers
    return HealthTask.objects.get(quarantine=quarantine)


def test_the_quarantine_list_asks_for_a_reason_before_it_shows_anyone(officer_client, person, task):
    asked = officer_client.get("/health/quarantines/").content.decode()
    assert "Why do you need quarantines?" in asked and person.display_name not in asked
    assert not AuditEntry.objects.filter(object_type="health.Quarantine", action="read").exists()

    give_reason(officer_client, "/health/quarantines/", "Calling people who left home")
    assert person.display_name in officer_client.get("/health/quarantines/").content.decode()
    read = AuditEntry.objects.filter(object_type="health.Quarantine", action="read").first()
    assert read is not None and read.reason == "Calling people who left home"


def test_a_task_is_resolved_only_under_the_quarantine_lists_reason_and_audited_with_it(officer_client, task):
    refused = officer_client.post(f"/health/tasks/{task.pk}/resolve/")
    assert refused.status_code == 302 and refused.url == "/health/quarantines/"
    task.refresh_from_db()
    assert task.resolved_at is None

    give_reason(officer_client, "/health/quarantines/", "Calling people who left home")
    officer_client.post(f"/health/tasks/{task.pk}/resolve/")
    task.refresh_from_db()
    assert task.resolved_at is not None
    change = AuditEntry.objects.get(object_type="health.HealthTask", action="update", object_id=str(task.pk))
    assert change.reason == "Calling people who left home"


def test_starting_a_quarantine_from_the_list_is_audited_with_its_reason(officer_client, person):
    give_reason(officer_client, "/health/quarantines/", "Quarantine ordered by the clinic")
    officer_client.post(
        "/health/quarantines/",
        {
            "quarantine-account": person.phone,
            "quarantine-start_date": days_ago(0).isoformat(),
            "quarantine-home_lat": "40.7",
            "quarantine-home_lon": "-73.9",
        },
    )
    created = AuditEntry.objects.get(object_type="health.Quarantine", action="create")
    assert created.reason == "Quarantine ordered by the clinic"


def test_a_follow_up_asks_for_the_follow_up_lists_reason_when_none_is_on_record(officer_client, contact):
    today = FollowUp.objects.get(contact=contact, day=days_ago(0))
    asked = officer_client.get(f"/health/follow-ups/{today.pk}/").content.decode()
    assert "Why do you need today&#x27;s follow-ups?" in asked and contact.name not in asked

    give_reason(officer_client, f"/health/follow-ups/{today.pk}/", "Daily follow-up calls")
    assert contact.name in officer_client.get("/health/follow-ups/").content.decode()  # the list is open too


def test_a_follow_up_opens_under_the_reason_given_for_its_case(officer_client, contact):
    give_reason(officer_client, f"/health/contacts/{contact.pk}/", "Interview of the household")
    today = FollowUp.objects.get(contact=contact, day=days_ago(0))
    page = officer_client.get(f"/health/follow-ups/{today.pk}/").content.decode()
    assert contact.name in page
    read = AuditEntry.objects.filter(object_type="health.Contact", action="read").latest("pk")
    assert read.reason == "Interview of the household"
    assert "Why do you need" in officer_client.get("/health/follow-ups/").content.decode()  # not the whole list


def test_a_follow_up_that_does_not_exist_is_not_found_once_a_reason_is_given(officer_client):
    give_reason(officer_client, "/health/follow-ups/", "Daily follow-up calls")
    assert officer_client.get("/health/follow-ups/999999/").status_code == 404
