"""WHO Go.Data's JSON for cases, contacts and their relationships: export and import.

Field names follow Go.Data's person, case, contact and relationship models (the
WorldHealthOrganization/Go.Data API): ``visualId``, ``firstName``, ``lastName``, ``gender``, ``dob``,
``age``, ``classification`` (``LNG_REFERENCE_DATA_CATEGORY_CASE_CLASSIFICATION_*``),
``dateOfOnset``, ``dateOfReporting``, ``wasContact``, ``addresses[]`` (``typeId``,
``phoneNumber``, ``emailAddress``), ``dateOfLastContact``; a relationship is ``persons[]``, two
``{id, type, source|target: true}``, with ``contactDate`` and ``socialRelationshipDetail``. Dates are
ISO 8601 at midnight UTC, as Go.Data writes them.

CityOS keeps less than Go.Data can hold: no gender, date of birth, age or address, so those are
null or absent; lab results and follow-ups are not exported (Go.Data keeps them in other models).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityos.core.accounts.models import User
from cityos.health import services
from cityos.health.models import Case, Classification, Contact, Relationship

PERSON_TYPE_CASE = "LNG_REFERENCE_DATA_CATEGORY_PERSON_TYPE_CASE"
PERSON_TYPE_CONTACT = "LNG_REFERENCE_DATA_CATEGORY_PERSON_TYPE_CONTACT"
CLASSIFICATION_PREFIX = "LNG_REFERENCE_DATA_CATEGORY_CASE_CLASSIFICATION_"
CLASSIFICATIONS = {
    Classification.CONFIRMED: CLASSIFICATION_PREFIX + "CONFIRMED",
    Classification.PROBABLE: CLASSIFICATION_PREFIX + "PROBABLE",
    Classification.SUSPECTED: CLASSIFICATION_PREFIX + "SUSPECT",
}
FROM_CLASSIFICATION = {value: key for key, value in CLASSIFICATIONS.items()}
DISCARDED = CLASSIFICATION_PREFIX + "NOT_A_CASE_DISCARDED"
ADDRESS_USUAL = "LNG_REFERENCE_DATA_CATEGORY_ADDRESS_TYPE_USUAL_PLACE_OF_RESIDENCE"
# Stable ids: the same case exports with the same Go.Data id every time, from any server.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://cityos.invalid/health/godata")


def person_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _day(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        # The city's day: a case reported just after local midnight is not the day before in UTC.
        value = (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return f"{value.isoformat()}T00:00:00.000Z"


def _names(name: str) -> tuple[str, str]:
    """Go.Data splits names; CityOS keeps one: the last word is the last name."""
    first, _space, last = name.strip().rpartition(" ")
    return (first, last) if first else (last, "")


def _addresses(contact_details: str) -> list[dict[str, Any]]:
    if not contact_details:
        return []
    kind = "emailAddress" if "@" in contact_details else "phoneNumber"
    return [{"typeId": ADDRESS_USUAL, kind: contact_details}]


def _person(kind: str, key: str, visual_id: str, name: str, contact_details: str) -> dict[str, Any]:
    first, last = _names(name)
    return {
        "id": person_id(kind, key),
        "type": kind,
        "visualId": visual_id,
        "firstName": first,
        "lastName": last,
        "gender": None,
        "dob": None,
        "age": None,
        "addresses": _addresses(contact_details),
    }


def case_record(case: Case) -> dict[str, Any]:
    record = _person(PERSON_TYPE_CASE, case.ref, case.ref, case.name, case.contact_details)
    record.update(
        {
            "classification": CLASSIFICATIONS.get(Classification(case.classification)),
            "dateOfOnset": _day(case.onset_date),
            "isDateOfOnsetApproximate": False,
            "dateOfReporting": _day(case.created_at),
            "isDateOfReportingApproximate": False,
            "dateBecomeCase": _day(case.confirmed_at or case.created_at),
            "wasContact": case.source_contact_id is not None,
        }
    )
    return record


def contact_record(contact: Contact) -> dict[str, Any]:
    key = f"{contact.case.ref}:{contact.pk}"
    record = _person(
        PERSON_TYPE_CONTACT, key, f"{contact.case.ref}-K{contact.pk}", contact.name, contact.contact_details
    )
    record.update({"dateOfReporting": _day(contact.created_at), "dateOfLastContact": _day(contact.last_exposure)})
    return record


def _relationship(source: str, source_type: str, target: str, target_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"relationship:{source}:{target}")),
        "persons": [
            {"id": source, "type": source_type, "source": True},
            {"id": target, "type": target_type, "target": True},
        ],
        "contactDateEstimated": False,
        **fields,
    }


def export_bundle(cases: Iterable[Case]) -> dict[str, list[dict[str, Any]]]:
    """The cases, their contacts, and a relationship from each case to each of its contacts and
    to the case a contact became (the chain of transmission)."""
    bundle: dict[str, list[dict[str, Any]]] = {"cases": [], "contacts": [], "relationships": []}
    for case in cases:
        bundle["cases"].append(case_record(case))
        case_id = person_id(PERSON_TYPE_CASE, case.ref)
        for contact in case.contacts.all():
            record = contact_record(contact)
            bundle["contacts"].append(record)
            bundle["relationships"].append(
                _relationship(
                    case_id,
                    PERSON_TYPE_CASE,
                    record["id"],
                    PERSON_TYPE_CONTACT,
                    contactDate=_day(contact.last_exposure),
                    socialRelationshipDetail=contact.relationship,
                )
            )
            became: Case | None = getattr(contact, "became_case", None)
            if became is not None:
                bundle["relationships"].append(
                    _relationship(
                        case_id,
                        PERSON_TYPE_CASE,
                        person_id(PERSON_TYPE_CASE, became.ref),
                        PERSON_TYPE_CASE,
                        contactDate=_day(contact.last_exposure),
                        socialRelationshipDetail=contact.relationship,
                    )
                )
    return bundle


# --- Import ---------------------------------------------------------------------------------------


@dataclass
class GoDataImportOutcome:
    """What one import accepted and what it refused, record by record, each named by its Go.Data
    visualId or position. Unlike core's all-or-nothing ``ImportReport``, a refused record does not
    stop the others."""

    cases: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)


def _parse_day(value: Any, label: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(_("%(field)s is not a date.") % {"field": label})
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(_("%(field)s is not a date.") % {"field": label}) from None


def _full_name(record: Mapping[str, Any]) -> str:
    parts = [record.get(key) for key in ("firstName", "middleName", "lastName")]
    return " ".join(str(part).strip() for part in parts if isinstance(part, str) and part.strip())


def _contact_details(record: Mapping[str, Any]) -> str:
    for address in record.get("addresses") or []:
        if isinstance(address, Mapping):
            for key in ("phoneNumber", "emailAddress"):
                if isinstance(address.get(key), str) and address[key].strip():
                    return str(address[key]).strip()[:200]
    return ""


def _refuse(outcome: GoDataImportOutcome, where: str, error: Exception) -> None:
    message = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    outcome.refused.append({"record": where, "message": message})


def import_bundle(officer: User, bundle: Mapping[str, Any]) -> GoDataImportOutcome:
    """Record each Go.Data case, then each contact linked to one of them by a relationship whose
    source is the case. Each record is saved or refused on its own, with the reason."""
    outcome = GoDataImportOutcome()
    made: dict[str, Case] = {}
    for number, record in enumerate(bundle.get("cases") or [], start=1):
        where = _("case %(n)d") % {"n": number}
        try:
            if not isinstance(record, Mapping):
                raise ValueError(_("A case must be a JSON object."))
            where = str(record.get("visualId") or where)
            classification = record.get("classification") or CLASSIFICATIONS[Classification.SUSPECTED]
            if classification == DISCARDED:
                raise ValueError(_("The case is classified as not a case (discarded)."))
            if classification not in FROM_CLASSIFICATION:
                raise ValueError(_("Unknown classification %(value)s.") % {"value": classification})
            with transaction.atomic():
                case = services.record_case(
                    officer,
                    name=_full_name(record),
                    contact_details=_contact_details(record),
                    classification=FROM_CLASSIFICATION[classification],
                    onset_date=_parse_day(record.get("dateOfOnset"), "dateOfOnset"),
                )
        except (ValueError, ValidationError) as error:
            _refuse(outcome, where, error)
            continue
        outcome.cases.append(case.ref)
        if isinstance(record.get("id"), str):
            made[record["id"]] = case
    sources: dict[str, tuple[Case, Mapping[str, Any]]] = {}
    for relationship in bundle.get("relationships") or []:
        persons = relationship.get("persons") if isinstance(relationship, Mapping) else None
        if not isinstance(persons, list) or len(persons) != 2:
            continue
        source = next((p for p in persons if isinstance(p, Mapping) and p.get("source")), None)
        target = next((p for p in persons if isinstance(p, Mapping) and p.get("target")), None)
        if source and target and source.get("id") in made:
            sources[str(target.get("id"))] = (made[source["id"]], relationship)
    for number, record in enumerate(bundle.get("contacts") or [], start=1):
        where = _("contact %(n)d") % {"n": number}
        try:
            if not isinstance(record, Mapping):
                raise ValueError(_("A contact must be a JSON object."))
            where = str(record.get("visualId") or where)
            link = sources.get(str(record.get("id")))
            if link is None:
                raise ValueError(_("No relationship links this contact to a case in the file."))
            case, relationship = link
            detail = relationship.get("socialRelationshipDetail")
            exposure = _parse_day(record.get("dateOfLastContact"), "dateOfLastContact") or _parse_day(
                relationship.get("contactDate"), "contactDate"
            )
            with transaction.atomic():
                contact = services.add_contact(
                    officer,
                    case,
                    name=_full_name(record),
                    contact_details=_contact_details(record),
                    relationship=detail if detail in Relationship.values else Relationship.OTHER,
                    last_exposure=exposure,
                )
        except (ValueError, ValidationError) as error:
            _refuse(outcome, where, error)
            continue
        outcome.contacts.append(f"{contact.case.ref}-K{contact.pk}")
    return outcome
