"""Every write of the health module: validated, in one transaction, events published on commit.

Staff writes need a health role (administrators pass); residents write only their own
declarations and quarantine check-ins. Model signals write the audit log of each change.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import h3
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityos.checkin import services as checkin_services
from cityos.checkin.events import CaseVisitsConfirmed
from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.accounts.phones import normalise_email_or_phone
from cityos.core.audit.services import record_retention
from cityos.core.events import publish
from cityos.core.inputs import clean_text
from cityos.health import conf
from cityos.health.events import CaseConfirmed
from cityos.health.models import (
    Case,
    CaseVisit,
    Channel,
    Classification,
    Contact,
    Declaration,
    FollowUp,
    FollowUpStatus,
    HealthTask,
    LabResult,
    Quarantine,
    QuarantineCheckIn,
    Relationship,
    Symptom,
    TaskKind,
)
from cityos.health.triage import triage


def require_health_role(user: Any) -> User:
    if not holds_any_role(user, conf.HEALTH_ROLES):
        raise PermissionDenied(_("Only health officers may do this."))
    return user  # type: ignore[no-any-return]


def _today() -> date:
    return timezone.localdate()


def _not_in_future(errors: dict[str, list[str]], field: str, value: date | None) -> None:
    if value is not None and value > _today():
        errors.setdefault(field, []).append(_("This date is in the future. Give the date it happened."))


def _choice(errors: dict[str, list[str]], field: str, value: str, choices: Iterable[str]) -> None:
    if value not in set(choices):
        errors.setdefault(field, []).append(_("Pick one of the choices offered."))


def _contact_details(errors: dict[str, list[str]], raw: str) -> str:
    """An email address or a phone number in E.164 (as residents' own are kept), or ""."""
    try:
        return normalise_email_or_phone(clean_text(raw or ""))
    except ValidationError as error:
        errors.setdefault("contact_details", []).extend(error.messages)
        return ""


def _clean_symptoms(errors: dict[str, list[str]], symptoms: Iterable[str]) -> list[str]:
    cleaned = sorted(set(symptoms))
    if any(s not in Symptom.values for s in cleaned):
        errors.setdefault("symptoms", []).append(_("Pick symptoms from the list."))
    return cleaned


# --- Cases and their visits ------------------------------------------------------------------


@dataclass(frozen=True)
class VisitIn:
    start: datetime
    end: datetime
    venue_code: str = ""
    place: str = ""


def _aware(moment: datetime) -> datetime:
    """Times typed without a zone are in the city's time zone."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _clean_visits(visits: Sequence[VisitIn | Mapping[str, Any]]) -> tuple[list[VisitIn], dict[str, list[str]]]:
    cleaned: list[VisitIn] = []
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    for index, raw in enumerate(visits):
        visit = raw if isinstance(raw, VisitIn) else VisitIn(**raw)
        visit = VisitIn(
            start=_aware(visit.start),
            end=_aware(visit.end),
            venue_code=(visit.venue_code or "").strip(),
            place=clean_text(visit.place or "").strip(),
        )
        prefix = f"visits.{index}."
        if visit.venue_code and checkin_services.venue_for_reference(visit.venue_code) is None:
            errors.setdefault(prefix + "venue_code", []).append(
                _("No venue has this code. Check the poster, or name the place instead.")
            )
        if not visit.venue_code and not visit.place:
            errors.setdefault(prefix + "place", []).append(_("Give the venue code from the poster or name the place."))
        if visit.end <= visit.start:
            errors.setdefault(prefix + "end", []).append(_("The visit ends before it starts. Check the times."))
        if visit.start > now:
            errors.setdefault(prefix + "start", []).append(_("The visit starts in the future. Check the date."))
        elif visit.end > now + checkin_services.CLOCK_SKEW:
            # Exposure alerts match a visit that is over (checkin.services.clean_visits).
            errors.setdefault(prefix + "end", []).append(_("The visit ends in the future. Give the time it ended."))
        elif visit.end - visit.start > checkin_services.MAX_VISIT_LENGTH:
            errors.setdefault(prefix + "end", []).append(
                _("The visit lasts more than a day: give each day at the place as its own visit.")
            )
        cleaned.append(visit)
    return cleaned, errors


def _new_ref() -> str:
    return f"tmp-{uuid.uuid4().hex[:16]}"


def _visit_payload(visits: Iterable[CaseVisit]) -> list[dict[str, str]]:
    return [
        {"venue_code": v.venue_code, "start": v.start.isoformat(), "end": v.end.isoformat()}
        for v in visits
        if v.venue_code
    ]


def _publish_confirmed(case: Case) -> None:
    """Tell the city a case was confirmed: where and when only, for epidemic statistics."""
    district = case.person.district if case.person_id and case.person else None
    publish(
        CaseConfirmed(
            case_ref=case.ref,
            district_code=district.code if district else None,
            lab_date=(case.lab_date or _today()).isoformat(),
        )
    )


def _publish_visits(case: Case, officer: User, visits: Iterable[CaseVisit]) -> None:
    """Tell the check-in module where a confirmed case was, so it can propose exposure alerts."""
    payload = _visit_payload(visits)
    if payload:
        publish(CaseVisitsConfirmed(case_ref=case.ref, confirmed_by_user_id=officer.pk, visits=payload))


def record_case(
    officer: Any,
    *,
    name: str = "",
    person: User | None = None,
    contact_details: str = "",
    classification: str = Classification.SUSPECTED,
    lab_result: str = LabResult.PENDING,
    lab_date: date | None = None,
    onset_date: date | None = None,
    interview_notes: str = "",
    visits: Sequence[VisitIn | Mapping[str, Any]] = (),
    source_contact: Contact | None = None,
) -> Case:
    """Record a case with the places it visited; nothing is saved if anything is wrong."""
    officer = require_health_role(officer)
    errors: dict[str, list[str]] = {}
    name = clean_text(name or "").strip() or (person.display_name if person else "")
    if not name:
        errors["name"] = [_("Give the person's name or pick their resident account.")]
    if source_contact is None or contact_details != source_contact.contact_details:
        # (A contact's own, copied as it was recorded, may predate this check: it is kept.)
        contact_details = _contact_details(errors, contact_details)
    _choice(errors, "classification", classification, Classification.values)
    _choice(errors, "lab_result", lab_result, LabResult.values)
    _not_in_future(errors, "lab_date", lab_date)
    _not_in_future(errors, "onset_date", onset_date)
    if classification == Classification.CONFIRMED and lab_result != LabResult.POSITIVE:
        errors.setdefault("classification", []).append(_("A confirmed case needs a positive lab result."))
    cleaned_visits, visit_errors = _clean_visits(visits)
    errors.update(visit_errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = Case.objects.create(
            ref=_new_ref(),
            person=person,
            name=name[:200],
            contact_details=contact_details[:200],
            classification=classification,
            lab_result=lab_result,
            lab_date=lab_date,
            onset_date=onset_date,
            interview_notes=clean_text(interview_notes),
            source_contact=source_contact,
            created_by=officer,
        )
        case.ref = f"C{case.created_at:%Y}-{case.pk:05d}"
        if classification == Classification.CONFIRMED:
            case.confirmed_at = timezone.now()
        case.save(update_fields=["ref", "confirmed_at"])
        created = [CaseVisit.objects.create(case=case, **vars(v)) for v in cleaned_visits]
        if classification == Classification.CONFIRMED:
            _publish_confirmed(case)
            _publish_visits(case, officer, created)
    return case


def add_visit(officer: Any, case: Case, visit: VisitIn | Mapping[str, Any]) -> CaseVisit:
    """Add a place the case visited; for a confirmed case the check-in module hears of it at once."""
    officer = require_health_role(officer)
    (cleaned,), errors = _clean_visits([visit])
    if errors:
        raise ValidationError({key.removeprefix("visits.0."): value for key, value in errors.items()})
    with transaction.atomic():
        created = CaseVisit.objects.create(case=case, **vars(cleaned))
        if case.classification == Classification.CONFIRMED:
            _publish_visits(case, officer, [created])
    return created


def confirm_case(officer: Any, case: Case, *, lab_date: date | None = None) -> Case:
    """Confirm a case (positive lab result) and publish its venue visits for exposure alerts."""
    officer = require_health_role(officer)
    if case.classification == Classification.CONFIRMED:
        raise ValidationError({"classification": [_("This case is already confirmed.")]})
    errors: dict[str, list[str]] = {}
    _not_in_future(errors, "lab_date", lab_date)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        case.classification = Classification.CONFIRMED
        case.lab_result = LabResult.POSITIVE
        case.lab_date = lab_date or case.lab_date or _today()
        case.confirmed_at = timezone.now()
        case.save(update_fields=["classification", "lab_result", "lab_date", "confirmed_at"])
        _publish_confirmed(case)
        _publish_visits(case, officer, case.visits.all())
    return case


# --- Contacts and their daily follow-up --------------------------------------------------------


def follow_up_days_for(last_exposure: date) -> list[date]:
    """The days a contact is followed up: every day of the period after the last exposure.

    Days already past when the contact is listed are scheduled too, so a call made earlier can
    be recorded and a day nobody called shows as missed (as in Go.Data).
    """
    return [last_exposure + timedelta(days=n) for n in range(1, conf.follow_up_days() + 1)]


def add_contact(
    officer: Any,
    case: Case,
    *,
    name: str = "",
    person: User | None = None,
    contact_details: str = "",
    relationship: str,
    last_exposure: date | None,
) -> Contact:
    """List a contact of ``case`` and schedule a daily follow-up until the end of the period."""
    officer = require_health_role(officer)
    errors: dict[str, list[str]] = {}
    name = clean_text(name or "").strip() or (person.display_name if person else "")
    if not name:
        errors["name"] = [_("Give the person's name or pick their resident account.")]
    contact_details = _contact_details(errors, contact_details)
    _choice(errors, "relationship", relationship, Relationship.values)
    if last_exposure is None:
        errors["last_exposure"] = [_("Give the date of the last exposure.")]
    else:
        _not_in_future(errors, "last_exposure", last_exposure)
    if errors:
        raise ValidationError(errors)
    assert last_exposure is not None
    with transaction.atomic():
        contact = Contact.objects.create(
            case=case,
            person=person,
            name=name[:200],
            contact_details=contact_details[:200],
            relationship=relationship,
            last_exposure=last_exposure,
        )
        FollowUp.objects.bulk_create(FollowUp(contact=contact, day=day) for day in follow_up_days_for(last_exposure))
    return contact


def record_follow_up(
    officer: Any, follow_up: FollowUp, *, status: str, symptoms: Iterable[str] = (), notes: str = ""
) -> FollowUp:
    officer = require_health_role(officer)
    errors: dict[str, list[str]] = {}
    cleaned = _clean_symptoms(errors, symptoms)
    _choice(errors, "status", status, [FollowUpStatus.WELL, FollowUpStatus.SYMPTOMS, FollowUpStatus.NOT_REACHED])
    if status == FollowUpStatus.SYMPTOMS and not cleaned:
        errors.setdefault("symptoms", []).append(_("Tick the symptoms the contact has."))
    if status != FollowUpStatus.SYMPTOMS and cleaned:
        errors.setdefault("status", []).append(_("Symptoms are ticked: choose 'Seen, has symptoms'."))
    if follow_up.day > _today():
        errors.setdefault("day", []).append(_("This follow-up is for a later day. Record it on that day."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        follow_up.status = status
        follow_up.symptoms = cleaned
        follow_up.notes = clean_text(notes)
        follow_up.recorded_by = officer
        follow_up.recorded_at = timezone.now()
        follow_up.save()
    return follow_up


def contact_becomes_case(officer: Any, contact: Contact, *, onset_date: date | None = None) -> Case:
    """A contact who falls ill becomes a suspected case, linked to the case they caught it from."""
    require_health_role(officer)
    if Case.objects.filter(source_contact=contact).exists():
        raise ValidationError({"contact": [_("This contact is already a case.")]})
    with transaction.atomic():
        case = record_case(
            officer,
            name=contact.name,
            person=contact.person,
            contact_details=contact.contact_details,
            onset_date=onset_date,
            source_contact=contact,
        )
        # Their remaining follow-ups stop: they are now managed as a case.
        FollowUp.objects.filter(contact=contact, status=FollowUpStatus.DUE, day__gt=_today()).delete()
    return case


# --- Self-declarations -------------------------------------------------------------------------


def declare(
    person: User,
    *,
    symptoms: Iterable[str] = (),
    travelled: bool = False,
    contact_with_case: bool = False,
    channel: str = Channel.WEB,
) -> Declaration:
    """Today's declaration of ``person`` (a second one the same day replaces the first)."""
    errors: dict[str, list[str]] = {}
    if person.is_staff:
        errors["person"] = [_("Declarations are made by residents for themselves.")]
    cleaned = _clean_symptoms(errors, symptoms)
    _choice(errors, "channel", channel, Channel.values)
    if errors:
        raise ValidationError(errors)
    reason = triage(cleaned, travelled=travelled, contact_with_case=contact_with_case)
    with transaction.atomic():
        declaration, _created = Declaration.objects.update_or_create(
            person=person,
            day=_today(),
            defaults={
                "symptoms": cleaned,
                "travelled": travelled,
                "contact_with_case": contact_with_case,
                "channel": channel,
                "flagged": reason is not None,
                "flag_reason": reason or "",
            },
        )
    return declaration


# SMS words, in the city's three languages, for people without a smartphone.
SMS_WORDS: dict[str, str] = {
    "fever": Symptom.FEVER,
    "fiebre": Symptom.FEVER,
    "發燒": Symptom.FEVER,
    "cough": Symptom.COUGH,
    "tos": Symptom.COUGH,
    "咳嗽": Symptom.COUGH,
    "breath": Symptom.BREATH,
    "aire": Symptom.BREATH,
    "喘": Symptom.BREATH,
    "taste": Symptom.TASTE_SMELL,
    "smell": Symptom.TASTE_SMELL,
    "olfato": Symptom.TASTE_SMELL,
    "味覺": Symptom.TASTE_SMELL,
    "throat": Symptom.SORE_THROAT,
    "garganta": Symptom.SORE_THROAT,
    "喉嚨痛": Symptom.SORE_THROAT,
    "tired": Symptom.FATIGUE,
    "cansancio": Symptom.FATIGUE,
    "疲倦": Symptom.FATIGUE,
    "travel": "travel",
    "viaje": "travel",
    "旅行": "travel",
    "contact": "contact",
    "contacto": "contact",
    "接觸": "contact",
}
OK_WORDS = {"ok", "bien", "好", "沒事"}
SPANISH_WORDS = {"fiebre", "tos", "aire", "olfato", "garganta", "cansancio", "viaje", "contacto", "bien"}


def sms_language(text: str) -> str | None:
    """The language an SMS was written in, from its words (None: English words, or none known), to
    answer a sender CityOS does not know in their own language."""
    words = [w for w in re.split(r"[\s,;.\uff0c\u3001\u3002]+", (text or "").strip().casefold()) if w]
    if any(ord(char) >= 0x2E80 for word in words for char in word):
        return "zh-hant"
    if any(word in SPANISH_WORDS for word in words):
        return "es"
    return None


@dataclass(frozen=True)
class SmsDeclaration:
    symptoms: list[str]
    travelled: bool
    contact_with_case: bool


def parse_sms(text: str) -> SmsDeclaration:
    """Read a reply such as "FEVER COUGH" or "OK"; unknown words are refused, never guessed."""
    words = [w for w in re.split(r"[\s,;.\uff0c\u3001\u3002]+", (text or "").strip().casefold()) if w]
    if not words:
        raise ValidationError({"text": [_("The message is empty. Reply OK, or the words for your symptoms.")]})
    if len(words) == 1 and words[0] in OK_WORDS:
        return SmsDeclaration([], travelled=False, contact_with_case=False)
    unknown = [w for w in words if w not in SMS_WORDS]
    if unknown:
        raise ValidationError(
            {
                "text": [
                    _(
                        "Unknown word: %(word)s. Reply OK, or any of "
                        "FEVER COUGH BREATH TASTE THROAT TIRED TRAVEL CONTACT."
                    )
                    % {"word": unknown[0].upper()}
                ]
            }
        )
    meant = {SMS_WORDS[w] for w in words}
    return SmsDeclaration(
        symptoms=sorted(meant & set(Symptom.values)), travelled="travel" in meant, contact_with_case="contact" in meant
    )


# --- Quarantine --------------------------------------------------------------------------------


def start_quarantine(
    officer: Any,
    person: User,
    *,
    start_date: date,
    end_date: date | None = None,
    home_lat: float | None,
    home_lon: float | None,
    radius_m: int | None = None,
    case: Case | None = None,
    contact: Contact | None = None,
) -> Quarantine:
    officer = require_health_role(officer)
    errors: dict[str, list[str]] = {}
    end_date = end_date or start_date + timedelta(days=conf.follow_up_days() - 1)
    if end_date < start_date:
        errors["end_date"] = [_("The last day is before the first day.")]
    if end_date < _today():
        errors.setdefault("end_date", []).append(_("This quarantine would already be over."))
    if home_lat is None or not -90 <= home_lat <= 90:
        errors["home_lat"] = [_("Give a latitude between -90 and 90.")]
    if home_lon is None or not -180 <= home_lon <= 180:
        errors["home_lon"] = [_("Give a longitude between -180 and 180.")]
    radius_m = radius_m or conf.default_geofence_metres()
    if not 20 <= radius_m <= 5000:
        errors["radius_m"] = [_("Give a radius between 20 and 5000 metres.")]
    if Quarantine.objects.filter(person=person, end_date__gte=start_date, start_date__lte=end_date).exists():
        errors.setdefault("person", []).append(_("This person already has a quarantine over these dates."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return Quarantine.objects.create(
            person=person,
            case=case,
            contact=contact,
            start_date=start_date,
            end_date=end_date,
            home_lat=home_lat,
            home_lon=home_lon,
            radius_m=radius_m,
        )


def current_quarantine(person: User, day: date | None = None) -> Quarantine | None:
    day = day or _today()
    return Quarantine.objects.filter(person=person, start_date__lte=day, end_date__gte=day).first()


def check_in(
    person: User, *, lat: float | None = None, lon: float | None = None, channel: str = Channel.WEB
) -> QuarantineCheckIn:
    """Today's check-in of a person in quarantine; away from home raises a task for an officer.

    The coordinates are compared with the geofence and dropped: only inside/outside is kept.
    """
    quarantine = current_quarantine(person)
    if quarantine is None:
        raise ValidationError({"quarantine": [_("You are not in quarantine today.")]})
    inside: bool | None = None
    if channel == Channel.WEB:
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError({"location": [_("Your location is missing. Allow location access and try again.")]})
        assert quarantine.home_lat is not None and quarantine.home_lon is not None
        distance = h3.great_circle_distance((lat, lon), (quarantine.home_lat, quarantine.home_lon), unit="m")
        inside = distance <= (quarantine.radius_m or conf.default_geofence_metres())
    now = timezone.now()
    with transaction.atomic():
        checked = QuarantineCheckIn.objects.create(
            quarantine=quarantine, day=timezone.localdate(now), at=now, channel=channel, inside=inside
        )
        if inside is False:
            HealthTask.objects.get_or_create(quarantine=quarantine, day=checked.day, kind=TaskKind.OUTSIDE_GEOFENCE)
    return checked


def raise_missed_check_ins(today: date | None = None) -> int:
    """A task for each past day of a quarantine without a check-in; returns how many were raised."""
    today = today or _today()
    raised = 0
    running = Quarantine.objects.filter(start_date__lt=today, end_date__gte=today - timedelta(days=1))
    for quarantine in running.prefetch_related("check_ins", "tasks"):
        checked_days = {c.day for c in quarantine.check_ins.all()}
        flagged_days = {t.day for t in quarantine.tasks.all() if t.kind == TaskKind.MISSED_CHECK_IN}
        day = quarantine.start_date
        last = min(today - timedelta(days=1), quarantine.end_date)
        while day <= last:
            if day not in checked_days and day not in flagged_days:
                HealthTask.objects.create(quarantine=quarantine, day=day, kind=TaskKind.MISSED_CHECK_IN)
                raised += 1
            day += timedelta(days=1)
    return raised


def purge_ended_quarantine_locations(today: date | None = None) -> int:
    """Forget the home geofence and the inside/outside verdicts of every ended quarantine (audited)."""
    today = today or _today()
    with transaction.atomic():
        ended = list(
            Quarantine.objects.select_for_update()
            .filter(end_date__lt=today, location_purged_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not ended:
            return 0
        Quarantine.objects.filter(pk__in=ended).update(
            home_lat=None, home_lon=None, radius_m=None, location_purged_at=timezone.now()
        )
        QuarantineCheckIn.objects.filter(quarantine_id__in=ended).update(inside=None)
        record_retention(
            Quarantine._meta.label,
            len(ended),
            f"home geofence and check-in locations of {len(ended)} ended quarantines",
        )
    return len(ended)


def resolve_task(officer: Any, task: HealthTask) -> HealthTask:
    officer = require_health_role(officer)
    if task.resolved_at is not None:
        raise ValidationError({"task": [_("This task is already resolved.")]})
    with transaction.atomic():
        task.resolved_at = timezone.now()
        task.resolved_by = officer
        task.save(update_fields=["resolved_at", "resolved_by"])
    return task
