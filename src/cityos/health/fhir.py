"""HL7 FHIR R4 (4.0.1) for case surveillance: cases as a ``Bundle`` of type ``collection``.

Per case: a ``Patient`` (the case reference as identifier; name and phone or email as the
Go.Data export gives them to health officers, left out when the caller asks for a pseudonymous
bundle), a ``Condition`` (COVID-19, SNOMED CT 840539006; the verification status follows the
classification), an ``Observation`` for the lab result when there is one (LOINC 94500-6,
Detected/Not detected in SNOMED CT), an ``Encounter`` and a ``Location`` per visited place and
time (``class`` FLD: out of a care setting and out of home), and a ``RelatedPerson`` per contact.
A contact who became a case is linked from the new case's ``Patient.link`` (type ``seealso``:
the same person). Every id is a UUID derived from CityOS keys, so an export is stable.

Kept out because CityOS does not keep them: gender, birth date, address, specimen and
performer. Follow-ups and quarantines are not exported.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cityos.health.models import Case, CaseVisit, Classification, Contact, LabResult

FHIR_VERSION = "4.0.1"
CONTENT_TYPE = "application/fhir+json"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# CityOS's own identifier systems: URNs, since the deployment's address is not known here.
CASE_SYSTEM = "urn:cityos:health:case"
CONTACT_SYSTEM = "urn:cityos:health:contact"
VENUE_SYSTEM = "urn:cityos:checkin:venue"
RELATIONSHIP_SYSTEM = "urn:cityos:health:relationship"

COVID_19 = {"system": SNOMED, "code": "840539006", "display": "Disease caused by SARS-CoV-2"}
SARS_COV_2_RNA = {
    "system": LOINC,
    "code": "94500-6",
    "display": "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory system specimen by NAA with probe detection",
}
DETECTED = {"system": SNOMED, "code": "260373001", "display": "Detected"}
NOT_DETECTED = {"system": SNOMED, "code": "260415000", "display": "Not detected"}
LAB_VALUES = {LabResult.POSITIVE: DETECTED, LabResult.NEGATIVE: NOT_DETECTED}
# CityOS's classification as the condition's verification status (FHIR's own value set).
VERIFICATION = {
    Classification.CONFIRMED: "confirmed",
    Classification.PROBABLE: "provisional",
    Classification.SUSPECTED: "unconfirmed",
}
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://cityos.invalid/health/fhir")


def resource_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def reference(kind: str, key: str) -> dict[str, str]:
    # Entries are named by urn:uuid fullUrls, which references in the bundle resolve to.
    return {"reference": f"urn:uuid:{resource_id(kind, key)}"}


def _instant(value: datetime) -> str:
    return value.isoformat()


def _coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _human_name(name: str) -> list[dict[str, Any]]:
    """CityOS keeps one name: the last word is the family name, as in the Go.Data export."""
    given, _space, family = name.strip().rpartition(" ")
    if not family:
        return []
    entry: dict[str, Any] = {"text": name.strip(), "family": family}
    if given:
        entry["given"] = given.split()
    return [entry]


def _telecom(contact_details: str) -> list[dict[str, str]]:
    if not contact_details:
        return []
    return [{"system": "email" if "@" in contact_details else "phone", "value": contact_details}]


def _identified(resource: dict[str, Any], name: str, contact_details: str, pseudonymous: bool) -> dict[str, Any]:
    if not pseudonymous:
        if names := _human_name(name):
            resource["name"] = names
        if telecom := _telecom(contact_details):
            resource["telecom"] = telecom
    return resource


def _contact_key(contact: Contact) -> str:
    return f"{contact.case.ref}-K{contact.pk}"


def patient(case: Case, *, pseudonymous: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id("Patient", case.ref),
        "identifier": [{"system": CASE_SYSTEM, "value": case.ref}],
    }
    _identified(resource, case.name, case.contact_details, pseudonymous)
    source: Contact | None = case.source_contact
    if source is not None:
        # The contact this case was found as is the same person.
        resource["link"] = [{"other": reference("RelatedPerson", _contact_key(source)), "type": "seealso"}]
    return resource


def condition(case: Case) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": resource_id("Condition", case.ref),
        "identifier": [{"system": CASE_SYSTEM, "value": case.ref}],
        "clinicalStatus": _coding(CONDITION_CLINICAL, "active"),
        "verificationStatus": _coding(CONDITION_VERIFICATION, VERIFICATION[Classification(case.classification)]),
        "category": [_coding(CONDITION_CATEGORY, "encounter-diagnosis")],
        "code": {"coding": [COVID_19], "text": "COVID-19"},
        "subject": reference("Patient", case.ref),
        "recordedDate": _instant(case.created_at),
    }
    if case.onset_date is not None:
        resource["onsetDateTime"] = case.onset_date.isoformat()
    if case.lab_result in LAB_VALUES:
        resource["evidence"] = [{"detail": [reference("Observation", case.ref)]}]
    return resource


def observation(case: Case) -> dict[str, Any] | None:
    """The lab result, or None while it is pending or when there was no test."""
    value = LAB_VALUES.get(LabResult(case.lab_result))
    if value is None:
        return None
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id("Observation", case.ref),
        "status": "final",
        "category": [_coding(OBSERVATION_CATEGORY, "laboratory")],
        "code": {"coding": [SARS_COV_2_RNA]},
        "subject": reference("Patient", case.ref),
        "valueCodeableConcept": {"coding": [value], "text": value["display"]},
    }
    if case.lab_date is not None:
        resource["effectiveDateTime"] = case.lab_date.isoformat()
    return resource


def related_person(contact: Contact, *, pseudonymous: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": resource_id("RelatedPerson", _contact_key(contact)),
        "identifier": [{"system": CONTACT_SYSTEM, "value": _contact_key(contact)}],
        "patient": reference("Patient", contact.case.ref),
        "relationship": [
            {
                "coding": [{"system": RELATIONSHIP_SYSTEM, "code": contact.relationship}],
                "text": str(contact.get_relationship_display()),
            }
        ],
        # The exposure ends on the last day of contact with the case.
        "period": {"end": contact.last_exposure.isoformat()},
    }
    return _identified(resource, contact.name, contact.contact_details, pseudonymous)


def _place_key(visit: CaseVisit) -> str:
    return f"venue:{visit.venue_code}" if visit.venue_code else f"place:{visit.place}"


def location(visit: CaseVisit) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Location",
        "id": resource_id("Location", _place_key(visit)),
        "status": "active",
        "name": visit.place or visit.venue_code,
    }
    if visit.venue_code:
        resource["identifier"] = [{"system": VENUE_SYSTEM, "value": visit.venue_code}]
    return resource


def encounter(visit: CaseVisit) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": resource_id("Encounter", f"{visit.case.ref}:{visit.pk}"),
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "FLD", "display": "field"},
        "subject": reference("Patient", visit.case.ref),
        "period": {"start": _instant(visit.start), "end": _instant(visit.end)},
        "location": [{"location": reference("Location", _place_key(visit))}],
    }


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def case_resources(case: Case, *, pseudonymous: bool = False) -> list[dict[str, Any]]:
    """A case's resources; a Location that several visits share appears once per case."""
    resources = [patient(case, pseudonymous=pseudonymous), condition(case)]
    if (lab := observation(case)) is not None:
        resources.append(lab)
    places: dict[str, dict[str, Any]] = {}
    for visit in case.visits.all():
        places.setdefault(_place_key(visit), location(visit))
        resources.append(encounter(visit))
    resources.extend(places.values())
    resources.extend(related_person(contact, pseudonymous=pseudonymous) for contact in case.contacts.all())
    return resources


def export_bundle(
    cases: Iterable[Case], *, timestamp: datetime, pseudonymous: bool = False, links: dict[str, str] | None = None
) -> dict[str, Any]:
    """A collection Bundle of the cases' resources; ``links`` (relation: url) page through it.

    A place visited by several cases of the page is one Location, kept once."""
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for case in cases:
        for resource in case_resources(case, pseudonymous=pseudonymous):
            if resource["id"] not in seen:
                seen.add(resource["id"])
                entries.append(_entry(resource))
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": _instant(timestamp)},
        "type": "collection",
        "timestamp": _instant(timestamp),
    }
    if links:
        bundle["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    bundle["entry"] = entries
    return bundle
