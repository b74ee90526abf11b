"""/api/v1/checkin: typed check-in, venues for staff, exposure alerts for health officers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cityos.checkin import api as checkin_api
from cityos.checkin import services
from cityos.checkin.models import CheckIn, ExposureAlert
from cityos.checkin.tests.factories import VenueFactory, visit
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.models import AuditEntry
from cityos.core.notifications.models import Message

pytestmark = pytest.mark.django_db
API = "/api/v1/checkin"


@pytest.fixture
def venue():
    return VenueFactory(name="Harbour Market")


def test_anyone_checks_in_with_a_contact_and_checks_out_with_the_token(client, venue):
    response = client.post(
        f"{API}/check-ins",
        {"code": services.venue_code(venue), "contact": "a@example.org"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["venue_name"] == "Harbour Market" and body["checked_out_at"] is None
    out = client.post(f"{API}/check-outs", {"token": body["checkout_token"]}, content_type="application/json")
    assert out.status_code == 200 and out.json()["checked_out_at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "1.1:forged", "contact": "a@example.org"}, "body.code"),
        ({"code": "{code}", "contact": ""}, "body.contact"),
        ({"code": "{code}", "contact": "a@example.org", "checked_in_at": "2999-01-01T00:00:00Z"}, "body.checked_in_at"),
    ],
)
def test_bad_check_ins_are_422_problems_naming_the_field(client, venue, payload, field):
    payload = {**payload, "code": payload["code"].replace("{code}", services.venue_code(venue))}
    response = client.post(f"{API}/check-ins", payload, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not CheckIn.objects.exists()


def test_a_double_check_in_is_refused(client, venue):
    payload = {"code": services.venue_code(venue), "contact": "a@example.org"}
    assert client.post(f"{API}/check-ins", payload, content_type="application/json").status_code == 201
    again = client.post(f"{API}/check-ins", payload, content_type="application/json")
    assert again.status_code == 422
    assert "already checked in" in again.json()["errors"][0]["message"]


def test_a_signed_in_resident_checks_in_and_lists_their_own(client, venue, resident):
    client.force_login(resident)
    client.post(f"{API}/check-ins", {"code": services.venue_code(venue)}, content_type="application/json")
    visit(venue, timezone.now(), person=ResidentFactory())
    mine = client.get(f"{API}/my-check-ins").json()
    assert mine["count"] == 1 and mine["results"][0]["venue_name"] == "Harbour Market"
    assert Client().get(f"{API}/my-check-ins").status_code == 401


def test_a_resident_registers_a_venue_by_api(client, resident):
    client.force_login(resident)
    response = client.post(f"{API}/venues", {"name": "Kiosk", "kind": "shop"}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["short_code"] and "/checkin/v/" in body["checkin_url"]
    bad = client.post(f"{API}/venues", {"name": "Kiosk", "contact_email": "nope"}, content_type="application/json")
    assert bad.status_code == 422
    nowhere = client.post(
        f"{API}/venues", {"name": "Kiosk", "kind": "shop", "district_id": 0}, content_type="application/json"
    )  # a district that does not exist: refused on the field, not a database error
    assert nowhere.status_code == 422
    assert [e["field"] for e in nowhere.json()["errors"]] == ["body.district_id"]
    # A lone surrogate echoed in an error stays valid JSON (its escape), never a server error.
    odd = client.post(f"{API}/venues", {"name": "K", "kind": "\ud800"}, content_type="application/json")
    assert odd.status_code == 422 and odd.json()["errors"]


def test_a_refused_reissue_says_who_may_reissue(client, venue, resident):
    client.force_login(resident)  # not the venue's owner
    refused = client.post(f"{API}/venues/{venue.pk}/reissue")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the venue's owner, an operator or a health officer can reissue its poster."


def test_the_venue_list_is_for_staff_and_exports_csv(client, staff_client, venue, resident):
    client.force_login(resident)
    assert client.get(f"{API}/venues").status_code == 403
    _user, staff = staff_client(Role.OPERATOR)
    assert staff.get(f"{API}/venues?q=harbour").json()["count"] == 1
    csv = staff.get(f"{API}/venues?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert "Harbour Market" in b"".join(csv.streaming_content).decode()


def test_the_venue_list_audits_no_personal_field_as_it_returns_none(staff_client, venue):
    _user, staff = staff_client(Role.OPERATOR)
    listed = staff.get(f"{API}/venues").json()["results"][0]
    assert not {"owner", "owner_id", "contact_email", "contact_phone"} & set(listed)
    b"".join(staff.get(f"{API}/venues?format=csv").streaming_content)
    assert not AuditEntry.objects.filter(object_type="checkin.Venue", action__in=["read", "export"]).exists()


def test_a_personal_field_the_venue_list_says_it_shows_is_audited_by_name(staff_client, venue, monkeypatch):
    monkeypatch.setattr(checkin_api.VenueOut, "shows_personal", frozenset({"contact_email"}))
    _user, staff = staff_client(Role.OPERATOR)
    staff.get(f"{API}/venues")
    entry = AuditEntry.objects.get(object_type="checkin.Venue", action="read")
    assert entry.fields == ["contact_email"] and entry.changes["ids"] == [str(venue.pk)]
    b"".join(staff.get(f"{API}/venues?format=csv").streaming_content)
    assert AuditEntry.objects.get(object_type="checkin.Venue", action="export").fields == ["contact_email"]


def test_staff_change_a_venue_by_patch_only_the_fields_sent(staff_client, venue):
    _user, staff = staff_client(Role.OPERATOR)
    response = staff.patch(
        f"{API}/venues/{venue.pk}", {"name": "Harbour Hall", "address": None}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Harbour Hall" and body["address"] == ""
    assert body["checkin_url"].endswith(f"/checkin/v/{services.venue_code(venue)}/")  # the poster still works
    venue.refresh_from_db()
    assert venue.kind == "shop" and venue.contact_email.startswith("venue")  # not sent, not changed


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"contact_phone": "+1 415 555 0100 ext. 89"}, "body.contact_phone"),
        ({"contact_email": "nope"}, "body.contact_email"),
        ({"name": None}, "body.name"),
        ({"name": ""}, "body.name"),
        ({"kind": "castle"}, "body.kind"),
        ({"district_id": 0}, "body.district_id"),
        ({"contact_email": None, "contact_phone": None}, "body.contact_email"),
    ],
)
def test_a_bad_patch_is_a_validation_problem_naming_the_field(staff_client, venue, payload, field):
    _user, staff = staff_client(Role.HEALTH_OFFICER)
    response = staff.patch(f"{API}/venues/{venue.pk}", payload, content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:cityos:problem:validation-error"
    assert [e["field"] for e in problem["errors"]] == [field]
    venue.refresh_from_db()
    assert venue.name == "Harbour Market" and venue.contact_email


def test_only_the_owner_or_venue_staff_patch_a_venue(client, resident, venue):
    payload = {"name": "Taken"}
    assert Client().patch(f"{API}/venues/{venue.pk}", payload, content_type="application/json").status_code == 401
    client.force_login(resident)
    refused = client.patch(f"{API}/venues/{venue.pk}", payload, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only the venue's owner, an operator or a health officer can change this venue."
    assert client.patch(f"{API}/venues/0", payload, content_type="application/json").status_code == 404
    own = VenueFactory(owner=resident)
    assert client.patch(f"{API}/venues/{own.pk}", payload, content_type="application/json").status_code == 200


def test_the_patch_is_documented_with_its_validation_problem(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"][f"{API}/venues/{{venue_id}}"]["patch"]
    assert operation["tags"] == ["check-in"]
    assert "application/problem+json" in operation["responses"]["422"]["content"]


def test_a_health_officer_proposes_and_sends_an_alert(templates, staff_client, venue):
    _officer, client = staff_client(Role.HEALTH_OFFICER)
    start = timezone.now() - timedelta(days=1)
    person = ResidentFactory()
    visit(venue, start + timedelta(minutes=10), person=person)
    payload = {
        "case_ref": "CASE-3",
        "visits": [
            {
                "venue_code": venue.short_code,
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
            }
        ],
    }
    proposed = client.post(f"{API}/alerts", payload, content_type="application/json")
    assert proposed.status_code == 201
    (alert,) = proposed.json()
    assert alert["exposed_count"] == 1 and alert["state"] == "proposed"
    assert client.get(f"{API}/alerts?state=proposed").json()["count"] == 1
    sent = client.post(f"{API}/alerts/{alert['id']}/send")
    assert sent.json()["state"] == "sent" and sent.json()["notified_count"] == 1
    client.post(f"{API}/alerts/{alert['id']}/send")
    assert Message.objects.filter(recipient=person).count() == 1


def test_a_visit_ending_before_it_starts_is_a_422(staff_client, venue):
    _officer, client = staff_client(Role.HEALTH_OFFICER)
    payload = {
        "case_ref": "CASE-3",
        "visits": [{"venue_code": venue.short_code, "start": "2026-01-01T11:00:00Z", "end": "2026-01-01T10:00:00Z"}],
    }
    response = client.post(f"{API}/alerts", payload, content_type="application/json")
    assert response.status_code == 422
    assert "Visit 1 ends before it starts." in response.content.decode()
    assert not ExposureAlert.objects.exists()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.CASEWORKER])
def test_alerts_are_for_health_officers_only(staff_client, role):
    _user, client = staff_client(role)
    assert client.get(f"{API}/alerts").status_code == 403
    assert client.post(
        f"{API}/alerts", {"case_ref": "x", "visits": []}, content_type="application/json"
    ).status_code in (403, 422)
    assert Client().get(f"{API}/alerts").status_code == 401


def test_the_owner_and_venue_staff_read_a_venue_with_its_contacts_staff_reads_audited(staff_client, venue):
    _user, staff = staff_client(Role.OPERATOR)
    body = staff.get(f"{API}/venues/{venue.pk}").json()
    assert body["name"] == venue.name and body["contact_email"] == venue.contact_email
    entry = AuditEntry.objects.get(object_type="checkin.Venue", action="read")
    assert entry.object_id == str(venue.pk) and "contact_email" in entry.fields


def test_staff_without_a_venue_role_are_told_who_may_read_a_venue(staff_client, venue):
    _user, caseworker = staff_client(Role.CASEWORKER)
    refused = caseworker.get(f"{API}/venues/{venue.pk}")
    assert refused.status_code == 403 and "an operator or a health officer" in refused.json()["detail"]
    assert not AuditEntry.objects.filter(object_type="checkin.Venue", action="read").exists()


def test_a_patch_naming_an_unknown_field_is_refused_not_ignored(staff_client, venue):
    _user, staff = staff_client(Role.OPERATOR)
    refused = staff.patch(f"{API}/venues/{venue.pk}", {"nmae": "Harbour Hall"}, content_type="application/json")
    assert refused.status_code == 422
    assert any(error["field"].endswith("nmae") for error in refused.json()["errors"])
    venue.refresh_from_db()
    assert venue.name != "Harbour Hall"
