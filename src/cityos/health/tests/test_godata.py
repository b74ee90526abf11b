"""WHO Go.Data's JSON: export of cases, contacts and relationships (audited), and import."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cityos.core.audit.models import AuditEntry
from cityos.health import godata, services
from cityos.health.models import Case, Contact
from cityos.health.tests.conftest import days_ago

pytestmark = pytest.mark.django_db
API = "/api/v1/health/godata"
REASON = "Sharing with the national Go.Data"


def test_export_speaks_go_datas_field_names_and_is_audited(officer_client, officer, case, contact):
    child = services.contact_becomes_case(officer, contact)
    response = officer_client.get(f"{API}/cases", {"reason": REASON})
    assert response.status_code == 200, response.content
    bundle = response.json()
    by_ref = {c["visualId"]: c for c in bundle["cases"]}
    mei = by_ref[case.ref]
    assert mei["firstName"] == "Mei" and mei["lastName"] == "Chen"
    assert mei["type"] == "LNG_REFERENCE_DATA_CATEGORY_PERSON_TYPE_CASE"
    assert mei["classification"].startswith("LNG_REFERENCE_DATA_CATEGORY_CASE_CLASSIFICATION_")
    assert mei["dateOfOnset"] == f"{days_ago(3).isoformat()}T00:00:00.000Z"
    assert mei["dateOfReporting"].endswith("T00:00:00.000Z")
    assert mei["addresses"] == [
        {
            "typeId": "LNG_REFERENCE_DATA_CATEGORY_ADDRESS_TYPE_USUAL_PLACE_OF_RESIDENCE",
            "phoneNumber": "+12125550101",  # recorded as "+1 212 555 0101", kept in E.164
        }
    ]
    assert mei["gender"] is None and mei["dob"] is None
    assert by_ref[child.ref]["wasContact"] is True
    luis = bundle["contacts"][0]
    assert luis["firstName"] == "Luis" and luis["lastName"] == "Pérez"
    assert luis["dateOfLastContact"] == f"{days_ago(2).isoformat()}T00:00:00.000Z"
    link = next(r for r in bundle["relationships"] if r["persons"][1]["id"] == luis["id"])
    assert link["persons"][0] == {"id": mei["id"], "type": godata.PERSON_TYPE_CASE, "source": True}
    assert link["persons"][1]["target"] is True and link["socialRelationshipDetail"] == "household"
    # The chain: the case the contact became is a target of the first case.
    assert any(r["persons"][1]["id"] == by_ref[child.ref]["id"] for r in bundle["relationships"])
    reads = AuditEntry.objects.filter(action="read", reason=REASON)
    assert reads.filter(object_type="health.Case").exists()
    assert reads.filter(object_type="health.Contact").exists()


def test_the_reporting_day_is_the_citys_day_not_utcs(settings, case):
    settings.TIME_ZONE = "Pacific/Auckland"
    # 20:00 UTC on 1 March is 09:00 on 2 March in Auckland.
    Case.objects.filter(pk=case.pk).update(created_at=datetime(2026, 3, 1, 20, tzinfo=UTC), confirmed_at=None)
    case.refresh_from_db()
    record = godata.case_record(case)
    assert record["dateOfReporting"] == record["dateBecomeCase"] == "2026-03-02T00:00:00.000Z"


def test_export_needs_a_reason_and_a_health_role(officer_client, client, case):
    assert officer_client.get(f"{API}/cases").status_code == 422
    assert client.get(f"{API}/cases", {"reason": REASON}).status_code in (401, 403)


def test_a_bundle_round_trips_and_bad_records_are_reported_one_by_one(officer_client, officer, case, contact):
    bundle = officer_client.get(f"{API}/cases", {"reason": REASON}).json()
    Case.objects.all().delete()
    bundle["cases"].append({"id": "x1", "visualId": "GD-2", "firstName": "Ana", "classification": godata.DISCARDED})
    bundle["cases"].append({"id": "x2", "visualId": "GD-3", "firstName": "Bo", "dateOfOnset": "not a date"})
    bundle["contacts"].append({"id": "orphan", "visualId": "GD-K9", "firstName": "Nobody"})
    response = officer_client.post(f"{API}/import", bundle, content_type="application/json")
    assert response.status_code == 200, response.content
    report = response.json()
    assert len(report["cases"]) == 1 and len(report["contacts"]) == 1
    refused = {r["record"]: r["message"] for r in report["refused"]}
    assert "not a case (discarded)" in refused["GD-2"]
    assert "dateOfOnset is not a date" in refused["GD-3"]
    assert "No relationship links this contact" in refused["GD-K9"]
    imported = Case.objects.get()
    assert imported.name == "Mei Chen" and imported.onset_date == days_ago(3)
    assert imported.contact_details == "+12125550101"
    luis = Contact.objects.get()
    assert luis.case == imported and luis.relationship == "household" and luis.last_exposure == days_ago(2)
