"""HL7 FHIR R4 export of cases, validated by an existing FHIR client library: fhir.resources.

fhir.resources 8.x ships R5 (default), R4B (4.3.0) and STU3 models, no plain R4: R4B is R4's
technical correction and has the same shape for every resource the export writes.
"""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.relatedperson import RelatedPerson

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.audit.models import AuditEntry
from cityos.health import fhir, services
from cityos.health.models import Case, Contact
from cityos.health.tests.conftest import at, days_ago

pytestmark = pytest.mark.django_db
URL = "/api/v1/health/fhir/Bundle"
REASON = "Reporting cases to the state FHIR server"


def _export(client: Client, **params: Any) -> tuple[Bundle, dict[str, Any]]:
    response = client.get(URL, {"reason": REASON, **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == fhir.CONTENT_TYPE
    raw = json.loads(response.content)
    return Bundle.model_validate(raw), raw


def _of(bundle: Bundle, kind: type[Any]) -> list[Any]:
    return [e.resource for e in bundle.entry or [] if isinstance(e.resource, kind)]


def _codes(concept: Any) -> set[tuple[str, str]]:
    return {(c.system, c.code) for c in concept.coding}


def test_bundle_parses_with_fhir_resources_and_carries_the_right_codes(
    officer_client: Client, officer: User, case: Case, contact: Contact
) -> None:
    services.confirm_case(officer, case, lab_date=days_ago(1))
    bundle, raw = _export(officer_client)
    assert bundle.type == "collection" and raw["resourceType"] == "Bundle"
    # Every entry is reachable by its fullUrl, and every reference in the bundle resolves.
    entries = bundle.entry or []
    full_urls = {e.fullUrl for e in entries}
    assert len(full_urls) == len(entries)
    references = _references(raw["entry"])
    assert references and references <= full_urls

    (patient,) = _of(bundle, Patient)
    assert [(i.system, i.value) for i in patient.identifier] == [(fhir.CASE_SYSTEM, case.ref)]
    assert patient.name[0].family == "Chen" and patient.name[0].given == ["Mei"]
    assert patient.telecom[0].system == "phone" and patient.telecom[0].value == "+12125550101"  # kept in E.164
    patient_url = f"urn:uuid:{patient.id}"

    (condition,) = _of(bundle, Condition)
    assert _codes(condition.code) == {("http://snomed.info/sct", "840539006")}
    assert _codes(condition.clinicalStatus) == {(fhir.CONDITION_CLINICAL, "active")}
    assert _codes(condition.verificationStatus) == {(fhir.CONDITION_VERIFICATION, "confirmed")}
    assert str(condition.onsetDateTime) == days_ago(3).isoformat()
    assert condition.recordedDate is not None and condition.subject.reference == patient_url

    (lab,) = _of(bundle, Observation)
    assert lab.status == "final" and _codes(lab.code) == {("http://loinc.org", "94500-6")}
    assert _codes(lab.valueCodeableConcept) == {("http://snomed.info/sct", "260373001")}
    assert str(lab.effectiveDateTime) == days_ago(1).isoformat() and lab.subject.reference == patient_url
    assert condition.evidence[0].detail[0].reference == f"urn:uuid:{lab.id}"

    (related,) = _of(bundle, RelatedPerson)
    assert related.patient.reference == patient_url and related.name[0].family == "Pérez"
    assert _codes(related.relationship[0]) == {(fhir.RELATIONSHIP_SYSTEM, "household")}
    assert str(related.period.end) == days_ago(2).isoformat()

    (visit,) = _of(bundle, Encounter)
    (place,) = _of(bundle, Location)
    assert visit.class_fhir.code == "FLD" and visit.subject.reference == patient_url
    assert visit.period.start < visit.period.end and place.name == "Harbour Market"
    assert visit.location[0].location.reference == f"urn:uuid:{place.id}"


def _references(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["reference"]} if isinstance(value.get("reference"), str) else set()
        return found.union(*(_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value))
    return set()


def test_negative_and_pending_results_and_the_chain(
    officer_client: Client, officer: User, case: Case, contact: Contact
) -> None:
    child = services.contact_becomes_case(officer, contact)
    tested = services.record_case(
        officer, name="Ana Lima", classification="probable", lab_result="negative", lab_date=days_ago(1)
    )
    bundle, _raw = _export(officer_client)
    conditions = {c.identifier[0].value: c for c in _of(bundle, Condition)}
    assert _codes(conditions[case.ref].verificationStatus) == {(fhir.CONDITION_VERIFICATION, "unconfirmed")}
    assert _codes(conditions[tested.ref].verificationStatus) == {(fhir.CONDITION_VERIFICATION, "provisional")}
    # Only one test has a result: the others are pending, so they have no Observation.
    (lab,) = _of(bundle, Observation)
    assert _codes(lab.valueCodeableConcept) == {("http://snomed.info/sct", "260415000")}
    assert lab.subject.reference == f"urn:uuid:{fhir.resource_id('Patient', tested.ref)}"
    patients = {p.identifier[0].value: p for p in _of(bundle, Patient)}
    (related,) = _of(bundle, RelatedPerson)
    link = patients[child.ref].link[0]
    assert link.type == "seealso" and link.other.reference == f"urn:uuid:{related.id}"


def test_pseudonymous_bundle_names_nobody(officer_client: Client, case: Case, contact: Contact) -> None:
    bundle, raw = _export(officer_client, pseudonymous="true")
    text = json.dumps(raw, ensure_ascii=False)
    # The phone's digits, not "555" alone: a random id or a timestamp may well contain that.
    assert "Mei" not in text and "Pérez" not in text and "555 0101" not in text and "5550101" not in text
    (patient,) = _of(bundle, Patient)
    assert patient.name is None and patient.telecom is None and patient.identifier[0].value == case.ref
    read = AuditEntry.objects.get(action="read", object_type="health.Case", reason=REASON)
    assert "name" not in read.fields and "contact_details" not in read.fields


def test_filters_and_pages_follow_the_go_data_export(officer_client: Client, officer: User, case: Case) -> None:
    other = services.record_case(officer, name="Ana Lima", classification="confirmed", lab_result="positive")
    bundle, _raw = _export(officer_client, classification="confirmed")
    assert [p.identifier[0].value for p in _of(bundle, Patient)] == [other.ref]
    first, raw = _export(officer_client, sort="ref", limit=1)
    links = {link["relation"]: link["url"] for link in raw["link"]}
    assert "previous" not in links and "offset=1" in links["next"]
    second = Bundle.model_validate(json.loads(officer_client.get(links["next"]).content))
    refs = [p.identifier[0].value for b in (first, second) for p in _of(b, Patient)]
    assert sorted(refs) == refs and set(refs) == {case.ref, other.ref}
    assert "next" not in {link.relation for link in second.link or []}


def test_needs_a_health_role_and_a_reason_and_is_audited(
    officer_client: Client, client: Client, case: Case, contact: Contact
) -> None:
    assert officer_client.get(URL).status_code == 422
    assert officer_client.get(URL, {"reason": "x"}).status_code == 422
    assert client.get(URL, {"reason": REASON}).status_code in (401, 403)
    for role in (Role.CASEWORKER, Role.OPERATOR):  # staff, but not a health role
        other = verified_client(cast(User, StaffFactory(roles=[role])))
        assert other.get(URL, {"reason": REASON}).status_code == 403
    assert not AuditEntry.objects.filter(reason=REASON).exists()
    _export(officer_client)
    reads = AuditEntry.objects.filter(action="read", reason=REASON)
    assert reads.filter(object_type="health.Case").exists()
    assert reads.filter(object_type="health.Contact").exists()


def test_queries_do_not_grow_with_the_cases(
    officer_client: Client, officer: User, case: Case, contact: Contact
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        _export(officer_client)
    for n in range(3):
        more = services.record_case(
            officer, name=f"Case {n}", visits=[{"place": "Pier", "start": at(2, 9), "end": at(2, 10)}]
        )
        services.add_contact(officer, more, name=f"Contact {n}", relationship="work", last_exposure=days_ago(1))
    with CaptureQueriesContext(connection) as four:
        _export(officer_client)
    assert len(four) == len(one)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"offset": 2**31 - 1}, 200),
        ({"q": "Mei 陳 %_"}, 200),
        ({"sort": "-name", "pseudonymous": "false"}, 200),
        ({"sort": "nope"}, 422),
        ({"limit": 0}, 422),
        ({"classification": "discarded"}, 422),
    ],
)
def test_odd_queries_get_a_bundle_or_a_problem(officer_client: Client, case: Case, params: Any, status: int) -> None:
    response = officer_client.get(URL, {"reason": REASON, **params})
    assert response.status_code == status, response.content
    if status == 200:
        Bundle.model_validate(json.loads(response.content))
    else:
        assert response["Content-Type"].startswith("application/problem+json")
