"""/api/v1/health: health officers' cases, contacts and follow-ups (reads carry a reason, audited);
a resident's own declarations and quarantine check-in."""

from __future__ import annotations

import pytest

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.audit.models import AuditEntry
from cityos.health import services
from cityos.health.models import Case, Declaration, FollowUp
from cityos.health.tests.conftest import at, days_ago

pytestmark = pytest.mark.django_db
API = "/api/v1/health"


def post(client, url, payload):
    return client.post(url, payload, content_type="application/json")


def test_an_officer_records_a_case_with_visits(officer_client):
    response = post(
        officer_client,
        f"{API}/cases",
        {
            "name": "Mei Chen",
            "onset_date": days_ago(2).isoformat(),
            "visits": [{"place": "Harbour Market", "start": at(3, 9).isoformat(), "end": at(3, 10).isoformat()}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ref"].startswith("C") and body["visits"][0]["place"] == "Harbour Market"
    assert body["chain"] == [body["ref"]]


def test_a_visit_ending_before_it_starts_is_a_422_naming_the_field(officer_client):
    response = post(
        officer_client,
        f"{API}/cases",
        {"name": "Mei", "visits": [{"place": "Gym", "start": at(1, 10).isoformat(), "end": at(1, 9).isoformat()}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "body.visits.0.end",
            "message": "The visit ends before it starts. Check the times.",
            "code": "invalid",
        }
    ]
    assert not Case.objects.exists()


def test_a_visit_in_a_year_no_record_can_have_is_refused_and_nothing_is_saved(officer_client):
    response = post(
        officer_client,
        f"{API}/cases",
        {
            "name": "Ghost",
            "visits": [{"place": "Gym", "start": "0001-01-01T00:00:00+14:00", "end": at(1, 9).isoformat()}],
        },
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("body.visits.0.start", "date_out_of_range")
    ]
    assert response.json()["errors"][0]["message"] == "Enter a date from 1900 to 2199."
    assert not Case.objects.exists()


def test_reads_need_a_reason_and_are_audited_with_it(officer_client, case):
    assert officer_client.get(f"{API}/cases").status_code == 422
    listed = officer_client.get(f"{API}/cases", {"reason": "Weekly case review"})
    assert listed.json()["count"] == 1 and listed.json()["results"][0]["ref"] == case.ref
    detail = officer_client.get(f"{API}/cases/{case.pk}", {"reason": "Weekly case review"})
    assert detail.json()["name"] == "Mei Chen"
    reasons = set(AuditEntry.objects.filter(object_type="health.Case", action="read").values_list("reason", "channel"))
    assert reasons == {("Weekly case review", "api")}


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.OPERATOR])
def test_other_staff_get_a_403(db, case, role):
    client = verified_client(StaffFactory(roles=[role]))
    assert client.get(f"{API}/cases", {"reason": "Just looking"}).status_code == 403
    assert client.get(f"{API}/cases/{case.pk}", {"reason": "Just looking"}).status_code == 403
    assert post(client, f"{API}/cases", {"name": "X"}).status_code == 403


def test_residents_get_a_403_on_cases_and_signed_out_callers_a_401(client, resident):
    assert client.get(f"{API}/cases", {"reason": "Just looking"}).status_code == 401
    client.force_login(resident)
    assert client.get(f"{API}/cases", {"reason": "Just looking"}).status_code == 403


def test_contacts_and_follow_ups_through_the_api(officer_client, case):
    created = post(
        officer_client,
        f"{API}/cases/{case.pk}/contacts",
        {"name": "Luis", "relationship": "household", "last_exposure": days_ago(1).isoformat()},
    )
    assert created.status_code == 201 and len(created.json()["follow_up_days"]) == 14
    due = officer_client.get(f"{API}/follow-ups", {"reason": "Daily follow-up calls"}).json()["results"]
    assert [f["contact_name"] for f in due] == ["Luis"]
    recorded = post(officer_client, f"{API}/follow-ups/{due[0]['id']}", {"status": "well"})
    assert recorded.json()["status"] == "well"
    refused = post(officer_client, f"{API}/follow-ups/{due[0]['id']}", {"status": "symptoms"})
    assert refused.status_code == 422
    became = post(officer_client, f"{API}/contacts/{created.json()['id']}/case", {})
    assert became.status_code == 201 and became.json()["source_case"] == case.ref
    assert FollowUp.objects.filter(contact_id=created.json()["id"]).exists()


def test_confirm_through_the_api(officer_client, case):
    assert post(officer_client, f"{API}/cases/{case.pk}/confirm", {}).json()["classification"] == "confirmed"
    assert post(officer_client, f"{API}/cases/{case.pk}/confirm", {}).status_code == 422


def test_a_resident_declares_and_sees_only_their_own(client, resident):
    services.declare(ResidentFactory(), symptoms=["breath"])
    client.force_login(resident)
    created = post(client, f"{API}/me/declarations", {"symptoms": ["fever", "cough"]})
    assert created.status_code == 201 and created.json()["flagged"] is True
    mine = client.get(f"{API}/me/declarations").json()
    assert [d["symptoms"] for d in mine] == [["cough", "fever"]]
    assert post(client, f"{API}/me/declarations", {"symptoms": ["hiccups"]}).status_code == 422
    assert Declaration.objects.count() == 2


def test_a_resident_checks_in_from_home(client, officer, person):
    client.force_login(person)
    assert client.get(f"{API}/me/quarantine").json() is None
    assert post(client, f"{API}/me/quarantine/check-in", {"lat": 40.7, "lon": -73.9}).status_code == 422
    services.start_quarantine(officer, person, start_date=days_ago(0), home_lat=40.7, home_lon=-73.9)
    checked = post(client, f"{API}/me/quarantine/check-in", {"lat": 40.7001, "lon": -73.9})
    assert checked.status_code == 201 and checked.json()["at_home"] is True
    assert client.get(f"{API}/me/quarantine").json()["checked_in_today"] is True
    assert post(client, f"{API}/me/quarantine/check-in", {"lat": 91, "lon": 0}).status_code == 422


def test_flagged_declarations_are_joined_with_the_case_records(officer_client, officer, case):
    mei = ResidentFactory()
    Case.objects.filter(pk=case.pk).update(person=mei)
    services.declare(mei, symptoms=["breath"])
    services.declare(ResidentFactory(), symptoms=[])
    assert officer_client.get(f"{API}/declarations/flagged").status_code == 422  # no reason
    flagged = officer_client.get(f"{API}/declarations/flagged", {"reason": "Test planning"}).json()["results"]
    assert [(d["person_id"], d["flag_reason"], d["case_refs"]) for d in flagged] == [(mei.pk, "breath", [case.ref])]
    assert AuditEntry.objects.filter(object_type="health.Declaration", reason="Test planning").exists()


def test_quarantines_and_tasks_through_the_api(officer_client, person):
    payload = {
        "person_account": person.phone,
        "start_date": days_ago(2).isoformat(),
        "home_lat": 40.7,
        "home_lon": -73.9,
    }
    assert post(officer_client, f"{API}/quarantines", {**payload, "person_account": ""}).status_code == 422
    created = post(officer_client, f"{API}/quarantines", payload)
    assert created.status_code == 201 and created.json()["person_id"] == person.pk
    services.raise_missed_check_ins()
    tasks = officer_client.get(f"{API}/tasks", {"reason": "Missed check-in calls"}).json()["results"]
    assert {t["kind"] for t in tasks} == {"missed"} and len(tasks) == 2
    resolved = post(officer_client, f"{API}/tasks/{tasks[0]['id']}/resolve", {})
    assert resolved.json()["resolved_at"] is not None
    assert post(officer_client, f"{API}/tasks/{tasks[0]['id']}/resolve", {}).status_code == 422
