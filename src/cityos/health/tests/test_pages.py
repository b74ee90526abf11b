"""The pages: health roles only, a reason before any personal data, every read audited with it;
residents see only their own declarations and quarantine."""

from __future__ import annotations

import pytest

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.audit.models import AuditEntry
from cityos.health import services
from cityos.health.models import Case, FollowUp, FollowUpStatus, HealthTask, Quarantine
from cityos.health.tests.conftest import at, case_form, days_ago, give_reason

pytestmark = pytest.mark.django_db

STAFF_PAGES = [
    "/health/cases/",
    "/health/cases/new/",
    "/health/follow-ups/",
    "/health/declarations/",
    "/health/quarantines/",
]


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.OPERATOR, Role.SERVICE_AGENT, Role.DATA_PUBLISHER])
def test_other_staff_cannot_open_health_pages(staff_client, case, role):
    _user, client = staff_client(role)
    for url in [*STAFF_PAGES, f"/health/cases/{case.pk}/", "/health/tile/"]:
        assert client.get(url).status_code == 403, url


def test_residents_cannot_open_health_staff_pages(client, resident, case):
    client.force_login(resident)
    for url in [*STAFF_PAGES, f"/health/cases/{case.pk}/"]:
        assert client.get(url).status_code == 403, url


def test_administrators_pass(case):
    client = verified_client(StaffFactory(roles=[Role.ADMINISTRATOR]))
    assert client.get(f"/health/cases/{case.pk}/").status_code == 200  # the reason page


def test_a_case_asks_for_a_reason_first_and_audits_the_read_with_it(officer_client, officer, case, contact):
    url = f"/health/cases/{case.pk}/"
    asked = officer_client.get(url)
    assert "Why do you need" in asked.content.decode() and case.name not in asked.content.decode()
    assert not AuditEntry.objects.filter(action="read").exists()

    refused = officer_client.post(url, {"reason": "no"})
    assert "Give a reason of at least 5 characters." in refused.content.decode()

    give_reason(officer_client, url, "Interview follow-up call")
    page = officer_client.get(url).content.decode()
    assert case.name in page and contact.name in page and "<svg" in page
    read = AuditEntry.objects.get(action="read", object_type="health.Case")
    assert (read.object_id, read.reason, read.actor_id) == (str(case.pk), "Interview follow-up call", officer.pk)
    contacts_read = AuditEntry.objects.get(action="read", object_type="health.Contact")
    assert contacts_read.reason == "Interview follow-up call"


def test_recording_a_case_with_a_bad_visit_shows_the_error_and_saves_nothing(officer_client):
    form = case_form(
        **{
            "visits-0-place": "Harbour Market",
            "visits-0-start": at(2, 10).strftime("%Y-%m-%dT%H:%M"),
            "visits-0-end": at(2, 9).strftime("%Y-%m-%dT%H:%M"),
        }
    )
    response = officer_client.post("/health/cases/new/", form)
    assert response.status_code == 422
    assert "The visit ends before it starts. Check the times." in response.content.decode()
    assert not Case.objects.exists()

    form["visits-0-end"] = at(2, 11).strftime("%Y-%m-%dT%H:%M")
    response = officer_client.post("/health/cases/new/", form)
    case = Case.objects.get()
    assert response.url == f"/health/cases/{case.pk}/" and case.visits.count() == 1
    assert officer_client.get(response.url).status_code == 200  # the recorder is not asked again


def test_confirming_adding_contacts_and_visits_from_the_case_page(officer_client, case):
    give_reason(officer_client, f"/health/cases/{case.pk}/")
    response = officer_client.post(
        f"/health/cases/{case.pk}/contacts/",
        {"contact-name": "Ana", "contact-relationship": "work", "contact-last_exposure": days_ago(1).isoformat()},
    )
    assert response.status_code == 302 and case.contacts.get().follow_ups.count() == 14
    bad = officer_client.post(
        f"/health/cases/{case.pk}/visits/",
        {"visit-place": "Gym", "visit-start": "2026-01-02T10:00", "visit-end": "2026-01-02T09:00"},
    )
    assert bad.status_code == 422 and "The visit ends before it starts." in bad.content.decode()
    officer_client.post(f"/health/cases/{case.pk}/confirm/")
    assert Case.objects.get(pk=case.pk).classification == "confirmed"


def test_writes_on_a_case_need_the_reason_first_and_say_so(officer_client, case):
    # E.g. the case's page left open past the reason's 30 minutes: back to the page that asks it.
    response = officer_client.post(f"/health/cases/{case.pk}/confirm/", follow=True)
    assert response.redirect_chain == [(f"/health/cases/{case.pk}/", 302)]
    page = response.content.decode()
    assert "Give your reason for opening this case first" in page and "Nothing was saved." in page
    assert "Why do you need" in page and "Your role does not include" not in page
    assert Case.objects.get(pk=case.pk).classification == "suspected"


def test_the_follow_up_flow(officer_client, officer, contact):
    assert "Why do you need" in officer_client.get("/health/follow-ups/").content.decode()
    give_reason(officer_client, "/health/follow-ups/", "Daily follow-up calls")
    listed = officer_client.get("/health/follow-ups/").content.decode()
    assert contact.name in listed
    today = FollowUp.objects.get(contact=contact, day=days_ago(0))
    bad = officer_client.post(f"/health/follow-ups/{today.pk}/", {"status": "symptoms"})
    assert bad.status_code == 422 and "Tick the symptoms the contact has." in bad.content.decode()
    done = officer_client.post(f"/health/follow-ups/{today.pk}/", {"status": "symptoms", "symptoms": ["fever"]})
    assert done.status_code == 302
    today.refresh_from_db()
    assert today.status == FollowUpStatus.SYMPTOMS and today.recorded_by == officer
    assert AuditEntry.objects.filter(object_type="health.Contact", reason="Daily follow-up calls").exists()


def test_a_contact_becomes_a_case_from_the_contact_page(officer_client, case, contact):
    give_reason(officer_client, f"/health/contacts/{contact.pk}/")
    assert contact.name in officer_client.get(f"/health/contacts/{contact.pk}/").content.decode()
    response = officer_client.post(f"/health/contacts/{contact.pk}/become-case/")
    child = Case.objects.get(source_contact=contact)
    assert response.url == f"/health/cases/{child.pk}/"


def test_flagged_declarations_are_joined_with_cases_and_contacts(officer_client, officer, case):
    mei = ResidentFactory()
    Case.objects.filter(pk=case.pk).update(person=mei)
    services.declare(mei, symptoms=["breath"])
    services.declare(ResidentFactory(), symptoms=["cough"])  # not flagged
    give_reason(officer_client, "/health/declarations/")
    page = officer_client.get("/health/declarations/").content.decode()
    assert mei.display_name in page and case.ref in page and "Shortness of breath" in page
    assert page.count("<tr>") == 2  # the header and one flagged row


def test_quarantines_page_starts_one_and_resolves_tasks(officer_client, person):
    give_reason(officer_client, "/health/quarantines/")
    bad = officer_client.post(
        "/health/quarantines/",
        {
            "quarantine-account": "nobody@example.org",
            "quarantine-start_date": days_ago(0).isoformat(),
            "quarantine-home_lat": "40.7",
            "quarantine-home_lon": "-73.9",
        },
    )
    assert bad.status_code == 422 and "No resident has this email or phone number." in bad.content.decode()
    officer_client.post(
        "/health/quarantines/",
        {
            "quarantine-account": person.phone,
            "quarantine-start_date": days_ago(0).isoformat(),
            "quarantine-home_lat": "40.7",
            "quarantine-home_lon": "-73.9",
        },
    )
    quarantine = Quarantine.objects.get(person=person)
    services.check_in(person, lat=41.0, lon=-73.9)
    assert person.display_name in officer_client.get("/health/quarantines/").content.decode()
    task = HealthTask.objects.get(quarantine=quarantine)
    officer_client.post(f"/health/tasks/{task.pk}/resolve/")
    task.refresh_from_db()
    assert task.resolved_at is not None


def test_the_tile_counts(officer_client, contact):
    page = officer_client.get("/health/tile/").content.decode()
    assert "Follow-ups due today" in page and "<dd>1</dd>" in page


def test_a_resident_sees_only_their_own_health(client, officer, person):
    other = ResidentFactory()
    services.declare(other, symptoms=["breath"])
    services.declare(person, symptoms=["cough"])
    services.start_quarantine(officer, person, start_date=days_ago(1), home_lat=40.7, home_lon=-73.9)
    client.force_login(person)
    page = client.get("/health/me/").content.decode()
    assert "Cough" in page and "Shortness of breath" not in page
    assert "Check in now" in page and "No exposure alerts." in page


def test_a_resident_declares_from_the_form(client, resident):
    client.force_login(resident)
    bad = client.post("/health/declare/", {"symptoms": ["hiccups"]})
    assert bad.status_code == 422
    response = client.post("/health/declare/", {"symptoms": ["fever", "cough"]}, follow=True)
    assert "Please get tested" in response.content.decode()


def test_the_quarantine_check_in_page(client, officer, person):
    client.force_login(person)
    assert "You are not in quarantine today." in client.get("/health/quarantine/check-in/").content.decode()
    services.start_quarantine(officer, person, start_date=days_ago(0), home_lat=40.7, home_lon=-73.9)
    missing = client.post("/health/quarantine/check-in/", {})
    assert "Your location is missing." in missing.content.decode()
    response = client.post("/health/quarantine/check-in/", {"lat": "40.7", "lon": "-73.9"}, follow=True)
    assert "Checked in at home." in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/health/me/").status_code == 302
    assert client.get("/health/declare/").status_code == 302


def test_the_case_list_exports_as_csv_audited_as_an_export(officer_client, case):
    assert officer_client.get("/health/cases/export.csv").status_code == 302  # a reason first
    give_reason(officer_client, "/health/cases/", "Weekly report to the ministry")
    response = officer_client.get("/health/cases/export.csv", {"classification": "suspected"})
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("ref,name,classification") and lines[1].startswith(f"{case.ref},Mei Chen,suspected")
    entry = AuditEntry.objects.get(action="export", object_type="health.Case")
    assert entry.reason == "Weekly report to the ministry"
