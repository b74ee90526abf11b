"""/api/v1/health/: cases, contacts and follow-ups for health officers; a resident's own
declarations and quarantine check-in.

Staff reads carry a ``reason`` (kept in the audit log with the read, as on the pages). The
officers' lists page (``limit``/``offset``, ``next`` links, a total ``count``) and export every
row with ``format=csv``; each page or export is audited once per record type it shows, by core
from the item schema's ``shows_personal`` and ``shows_related``.
Every operation needs a token or a session; services' ValidationErrors become 422 problems.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from cityos.core.accounts.models import User
from cityos.core.api.auth import api_auth, require_roles, require_user
from cityos.core.api.pagination import Related, csv_export, paginate
from cityos.core.api.problems import TYPE_VALIDATION, ApiProblem, status_title
from cityos.core.api.schemas import CLEAN_TEXT, Day, Moment
from cityos.core.audit.context import with_reason
from cityos.core.audit.services import record_access, record_bulk_access
from cityos.health import conf, fhir, godata, selectors, services
from cityos.health.forms import find_resident
from cityos.health.listing import Sort, sorted_by
from cityos.health.models import Case, Contact, Declaration, FollowUp, HealthTask, Quarantine

router = Router(auth=api_auth)
M = TypeVar("M", bound=Model)

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
# Typed text is kept without the bidi controls (CLEAN_TEXT), as the pages' forms keep it.
Reason = Annotated[
    str,
    Field(min_length=5, max_length=300, pattern=NO_NUL, description="Why you need the data; audited"),
    CLEAN_TEXT,
]
ShortText = Annotated[str, Field(max_length=200, pattern=NO_NUL), CLEAN_TEXT]
LongText = Annotated[str, Field(max_length=10_000, pattern=NO_NUL), CLEAN_TEXT]
SymptomName = Literal["fever", "cough", "breath", "taste_smell", "sore_throat", "fatigue"]
ClassificationName = Literal["suspected", "probable", "confirmed"]
LabResultName = Literal["pending", "positive", "negative", "not_tested"]
RelationshipName = Literal["household", "work", "social", "healthcare", "venue", "other"]


def _officer(request: HttpRequest) -> User:
    return require_roles(request, conf.HEALTH_ROLES)


def _person(account: str) -> User | None:
    try:
        return find_resident(account)
    except ValidationError as error:
        raise ValidationError({"person_account": error.messages}) from error


# Each list's sortable fields: the API name (``sort=name`` ascending, ``sort=-name`` descending)
# and the model fields it orders by.
CASE_SORTS: dict[str, tuple[str, ...]] = {
    "ref": ("ref",),
    "name": ("name",),
    "classification": ("classification",),
    "lab_result": ("lab_result",),
    "lab_date": ("lab_date",),
    "onset_date": ("onset_date",),
    "created_at": ("created_at",),
    "confirmed_at": ("confirmed_at",),
    "contact_count": ("contact_count",),
}
FOLLOW_UP_SORTS: dict[str, tuple[str, ...]] = {
    "contact_name": ("contact__name",),
    "case_ref": ("contact__case__ref",),
    "status": ("status",),
}
FLAGGED_SORTS: dict[str, tuple[str, ...]] = {
    "day": ("day",),
    "person_name": ("person__first_name", "person__last_name"),
}
TASK_SORTS: dict[str, tuple[str, ...]] = {"day": ("day",), "kind": ("kind",), "created_at": ("created_at",)}
DECLARATION_SORTS: dict[str, tuple[str, ...]] = {"day": ("day",)}
SortParam = Annotated[
    str,
    Field(
        "",
        max_length=40,
        description="A field of the list to order by, prefixed with '-' for descending (e.g. -onset_date)",
    ),
]


def _stable(found: QuerySet[M]) -> QuerySet[M]:
    """``found`` in its own order with the primary key last: pages then never repeat or skip a row."""
    order = list(found.query.order_by) or list(found.model._meta.ordering or ())
    return found.order_by(*order, "pk")


def _sorted(found: QuerySet[M], sort: str, allowed: Mapping[str, Sequence[str]]) -> QuerySet[M]:
    """The list in the asked order (ties by primary key), or a 422 problem that lists every accepted value."""
    if not sort:
        return _stable(found)
    column = sort.removeprefix("-")
    if column not in allowed:
        accepted = [option for name in allowed for option in (name, f"-{name}")]
        raise ApiProblem(
            422,
            type=TYPE_VALIDATION,
            title=status_title(422),
            errors=[
                {
                    "field": "query.sort",
                    "message": _("Sort by one of: %(accepted)s.") % {"accepted": ", ".join(accepted)},
                    "code": "invalid_sort",
                    "allowed": accepted,
                }
            ],
        )
    return sorted_by(found, Sort(column=column, descending=sort.startswith("-")), allowed)


def _under_reason(view: Callable[..., Any]) -> Callable[..., Any]:
    """Runs an officers' list operation (a page, or with ``format=csv`` the export) under its
    ``reason``, so the entries core's paginate and csv_export write for it carry the reason.
    Put it above ``@csv_export``."""

    @wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> Any:
        with with_reason(kwargs["reason"]):
            return view(request, **kwargs)

    return wrapper


# --- Schemas -----------------------------------------------------------------------------------


class CaseVisitIn(Schema):
    venue_code: ShortText = Field("", description="The code on the venue's poster")
    place: ShortText = Field("", description="The place in words, when there is no poster")
    start: Moment
    end: Moment


class VisitOut(Schema):
    venue_code: str
    place: str
    start: datetime
    end: datetime


class CaseIn(Schema):
    name: ShortText = ""
    person_account: ShortText = Field("", description="Email or phone of the resident's account, if any")
    contact_details: ShortText = ""
    classification: ClassificationName = "suspected"
    lab_result: LabResultName = "pending"
    lab_date: Day | None = None
    onset_date: Day | None = None
    interview_notes: LongText = ""
    visits: list[CaseVisitIn] = Field(default_factory=list, max_length=100)


class CaseOut(Schema):
    id: int
    ref: str
    name: str
    classification: str
    lab_result: str
    lab_date: date | None
    onset_date: date | None
    source_case: str | None = Field(None, description="Reference of the case this one caught it from")
    created_at: datetime

    @staticmethod
    def resolve_source_case(case: Case) -> str | None:
        source = case.source_case
        return source.ref if source else None


class ContactIn(Schema):
    name: ShortText = ""
    person_account: ShortText = ""
    contact_details: ShortText = ""
    relationship: RelationshipName
    last_exposure: Day


class ContactOut(Schema):
    id: int
    case_ref: str
    name: str
    relationship: str
    last_exposure: date
    follow_up_days: list[date]

    @staticmethod
    def resolve_case_ref(contact: Contact) -> str:
        return contact.case.ref

    @staticmethod
    def resolve_follow_up_days(contact: Contact) -> list[date]:
        return [f.day for f in contact.follow_ups.all()]


class CaseDetailOut(CaseOut):
    contact_details: str
    interview_notes: str
    visits: list[VisitOut]
    contacts: list[ContactOut]
    chain: list[str] = Field(..., description="References of every case in the same chain of transmission")

    @staticmethod
    def resolve_visits(case: Case) -> list[VisitOut]:
        return [VisitOut.model_validate(v, from_attributes=True) for v in case.visits.all()]

    @staticmethod
    def resolve_contacts(case: Case) -> list[Contact]:
        return list(case.contacts.all())

    @staticmethod
    def resolve_chain(case: Case) -> list[str]:
        return [node.case.ref for node in selectors.flatten(selectors.chain_of(case))]


class CasePage(Schema):
    count: int
    results: list[CaseOut]


class CaseFilters(Schema):
    reason: Reason
    classification: ClassificationName | None = None
    q: ShortText = ""
    sort: SortParam = ""
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**31 - 1)


class FollowUpOut(Schema):
    id: int
    contact_id: int
    contact_name: str
    case_ref: str
    day: date
    status: str
    symptoms: list[str]
    notes: str

    shows_personal: ClassVar[frozenset[str]] = frozenset({"status", "symptoms", "notes"})
    shows_related: ClassVar[Mapping[str, Related]] = {"contact_id": Related(Contact, ("name",))}

    @staticmethod
    def resolve_contact_name(follow_up: FollowUp) -> str:
        return follow_up.contact.name

    @staticmethod
    def resolve_case_ref(follow_up: FollowUp) -> str:
        return follow_up.contact.case.ref


class FollowUpIn(Schema):
    status: Literal["well", "symptoms", "not_reached"]
    symptoms: list[SymptomName] = Field(default_factory=list, max_length=10)
    notes: LongText = ""


class DeclarationIn(Schema):
    symptoms: list[SymptomName] = Field(default_factory=list, max_length=10)
    travelled: bool = False
    contact_with_case: bool = False


class DeclarationOut(Schema):
    day: date
    symptoms: list[str]
    travelled: bool
    contact_with_case: bool
    flagged: bool = Field(..., description="The triage rule advises a test")
    flag_reason: str


class QuarantineOut(Schema):
    start_date: date
    end_date: date
    checked_in_today: bool


class QuarantineCheckInIn(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)


class QuarantineCheckInOut(Schema):
    day: date
    at: datetime
    at_home: bool | None


# --- Health officers ------------------------------------------------------------------------------


def _filtered_cases(filters: CaseFilters) -> QuerySet[Case]:
    """The cases the officers' list and both exchange exports (Go.Data, FHIR) select: filtered, sorted."""
    return _sorted(selectors.cases(q=filters.q, classification=filters.classification or ""), filters.sort, CASE_SORTS)


def _audited_page(
    request: HttpRequest,
    found: QuerySet[Case],
    filters: CaseFilters,
    case_fields: tuple[str, ...],
    contact_fields: tuple[str, ...],
) -> list[Case]:
    """One page of ``found``, its cases and their contacts recorded as read with the filters' reason.

    ``found`` must prefetch ``contacts`` so the contacts audited are those the export writes."""
    page = list(found[filters.offset : filters.offset + filters.limit])
    with with_reason(filters.reason):
        if page:
            record_bulk_access(Case, [c.pk for c in page], case_fields, description=request.path)
            contact_ids = [k.pk for c in page for k in c.contacts.all()]
            if contact_ids:
                record_bulk_access(Contact, contact_ids, contact_fields, description=request.path)
    return page


@router.get("/cases", response=CasePage, summary="Cases, newest first (health officers)")
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, object]:
    _officer(request)
    found = _filtered_cases(filters)
    page = list(found[filters.offset : filters.offset + filters.limit])
    with with_reason(filters.reason):
        if page:
            record_bulk_access(Case, [c.pk for c in page], ("name",), description=request.path)
    return {"count": found.count(), "results": page}


@router.post("/cases", response={201: CaseDetailOut}, summary="Record a case with its visits")
def create_case(request: HttpRequest, payload: CaseIn) -> Status[Case]:
    officer = _officer(request)
    person = _person(payload.person_account)
    case = services.record_case(
        officer,
        name=payload.name,
        person=person,
        contact_details=payload.contact_details,
        classification=payload.classification,
        lab_result=payload.lab_result,
        lab_date=payload.lab_date,
        onset_date=payload.onset_date,
        interview_notes=payload.interview_notes,
        visits=[v.dict() for v in payload.visits],
    )
    return Status(201, case)


class GoDataBundle(Schema):
    """Go.Data's case, contact and relationship records (its field names)."""

    cases: list[dict[str, Any]] = Field(default_factory=list, max_length=5000)
    contacts: list[dict[str, Any]] = Field(default_factory=list, max_length=20000)
    relationships: list[dict[str, Any]] = Field(default_factory=list, max_length=20000)


class GoDataRefusal(Schema):
    record: str
    message: str


class GoDataImportOut(Schema):
    cases: list[str] = Field(..., description="References of the cases recorded")
    contacts: list[str] = Field(..., description="The contacts recorded")
    refused: list[GoDataRefusal] = Field(..., description="Each record not imported, and why")


@router.get(
    "/godata/cases",
    response=GoDataBundle,
    summary="Cases with their contacts and relationships in WHO Go.Data's JSON (health officers)",
)
def godata_export(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, list[dict[str, Any]]]:
    _officer(request)
    found = _filtered_cases(filters).prefetch_related("contacts__became_case")
    page = _audited_page(request, found, filters, ("name", "contact_details"), ("name", "contact_details"))
    return godata.export_bundle(page)


@router.post(
    "/godata/import",
    response=GoDataImportOut,
    summary="Record cases and contacts from WHO Go.Data's JSON; a report per record (health officers)",
)
def godata_import(request: HttpRequest, payload: GoDataBundle) -> godata.GoDataImportOutcome:
    officer = _officer(request)
    return godata.import_bundle(officer, payload.dict())


class FhirFilters(CaseFilters):
    pseudonymous: bool = Field(
        False, description="Leave out names and phone numbers or emails: only CityOS references identify people"
    )


FHIR_BUNDLE_DOC = {"type": "object", "description": "A FHIR R4 Bundle of type collection (hl7.org/fhir/R4/bundle.html)"}


@router.get(
    "/fhir/Bundle",
    response=dict[str, Any],
    summary="Cases, lab results, visits and contacts as an HL7 FHIR R4 Bundle (health officers)",
    url_name="health_fhir_bundle",
    openapi_extra={"responses": {200: {"content": {fhir.CONTENT_TYPE: {"schema": FHIR_BUNDLE_DOC}}}}},
)
def fhir_export(request: HttpRequest, filters: Query[FhirFilters]) -> HttpResponse:
    """The same cases, filters, order and pages as the Go.Data export, in FHIR R4 resources;
    ``link`` gives the next and previous pages."""
    _officer(request)
    found = _filtered_cases(filters).prefetch_related("visits", "contacts").select_related("source_contact__case")
    # Audit what the bundle holds: without names, the read is of the pseudonymous fields only.
    case_fields = ("lab_result", "onset_date") if filters.pseudonymous else ("name", "contact_details")
    contact_fields = ("relationship", "last_exposure") if filters.pseudonymous else ("name", "contact_details")
    page = _audited_page(request, found, filters, case_fields, contact_fields)
    links = {"self": request.get_full_path()}
    query = request.GET.copy()
    if filters.offset + filters.limit < found.count():
        query["offset"] = str(filters.offset + filters.limit)
        links["next"] = f"{request.path}?{query.urlencode()}"
    if filters.offset > 0:
        query["offset"] = str(max(filters.offset - filters.limit, 0))
        links["previous"] = f"{request.path}?{query.urlencode()}"
    bundle = fhir.export_bundle(page, timestamp=timezone.now(), pseudonymous=filters.pseudonymous, links=links)
    return HttpResponse(json.dumps(bundle, ensure_ascii=False), content_type=fhir.CONTENT_TYPE)


@router.get("/cases/{case_id}", response=CaseDetailOut, summary="A case, its visits, contacts and chain")
def get_case(request: HttpRequest, case_id: Id, reason: Reason) -> Case:
    _officer(request)
    case = get_object_or_404(Case, pk=case_id)
    with with_reason(reason):
        record_access(case)
    return case


@router.post(
    "/cases/{case_id}/confirm", response=CaseOut, summary="Confirm a case; its venue visits go to exposure alerts"
)
def confirm_case(request: HttpRequest, case_id: Id) -> Case:
    officer = _officer(request)
    return services.confirm_case(officer, get_object_or_404(Case, pk=case_id))


@router.post("/cases/{case_id}/visits", response={201: VisitOut}, summary="Add a place the case visited")
def add_visit(request: HttpRequest, case_id: Id, payload: CaseVisitIn) -> Status[object]:
    officer = _officer(request)
    return Status(201, services.add_visit(officer, get_object_or_404(Case, pk=case_id), payload.dict()))


@router.post(
    "/cases/{case_id}/contacts", response={201: ContactOut}, summary="List a contact; follow-ups are scheduled"
)
def add_contact(request: HttpRequest, case_id: Id, payload: ContactIn) -> Status[Contact]:
    officer = _officer(request)
    case = get_object_or_404(Case, pk=case_id)
    person = _person(payload.person_account)
    contact = services.add_contact(
        officer,
        case,
        name=payload.name,
        person=person,
        contact_details=payload.contact_details,
        relationship=payload.relationship,
        last_exposure=payload.last_exposure,
    )
    return Status(201, contact)


@router.post("/contacts/{contact_id}/case", response={201: CaseOut}, summary="A contact becomes a case")
def contact_becomes_case(request: HttpRequest, contact_id: Id) -> Status[Case]:
    officer = _officer(request)
    return Status(201, services.contact_becomes_case(officer, get_object_or_404(Contact, pk=contact_id)))


@router.get("/follow-ups", response=list[FollowUpOut], summary="Follow-ups due on a day (default today), paged")
@_under_reason
@csv_export(FollowUpOut, filename="follow-ups")
@paginate
def follow_ups(request: HttpRequest, reason: Reason, day: Day | None = None, sort: SortParam = "") -> object:
    """Every follow-up due on the day, by contact name unless sorted, a page at a time (follow
    ``next``) or all of them with ``format=csv``. Each page or export is audited with the reason:
    the follow-ups shown and their contacts' names."""
    _officer(request)
    return _sorted(selectors.follow_ups_due(day), sort, FOLLOW_UP_SORTS)


@router.post("/follow-ups/{follow_up_id}", response=FollowUpOut, summary="Record a follow-up")
def record_follow_up(request: HttpRequest, follow_up_id: Id, payload: FollowUpIn) -> FollowUp:
    officer = _officer(request)
    follow_up = get_object_or_404(FollowUp.objects.select_related("contact__case"), pk=follow_up_id)
    return services.record_follow_up(
        officer, follow_up, status=payload.status, symptoms=payload.symptoms, notes=payload.notes
    )


class FlaggedDeclarationOut(Schema):
    id: int
    person_id: int
    person_name: str
    day: date
    symptoms: list[str]
    flag_reason: str
    case_refs: list[str] = Field(..., description="Cases the records hold for this resident")
    contact_of: list[str] = Field(..., description="Cases this resident is listed as a contact of")

    shows_personal: ClassVar[frozenset[str]] = frozenset({"symptoms", "flag_reason"})
    # A name falls back to the resident's email or phone: all four may be shown.
    shows_related: ClassVar[Mapping[str, Related]] = {
        "person_id": Related(User, ("first_name", "last_name", "email", "phone"))
    }

    @staticmethod
    def resolve_person_name(declaration: Declaration) -> str:
        return declaration.person.display_name

    @staticmethod
    def resolve_case_refs(declaration: Declaration) -> list[str]:
        return [case.ref for case in declaration.person.health_cases.all()]

    @staticmethod
    def resolve_contact_of(declaration: Declaration) -> list[str]:
        return [contact.case.ref for contact in declaration.person.health_contacts.all()]


@router.get(
    "/declarations/flagged",
    response=list[FlaggedDeclarationOut],
    summary="Flagged declarations of the last 14 days, joined with cases and contacts (health officers), paged",
)
@_under_reason
@csv_export(FlaggedDeclarationOut, filename="flagged-declarations")
@paginate
def flagged_declarations(request: HttpRequest, reason: Reason, sort: SortParam = "") -> object:
    """Every flagged declaration of the last 14 days, newest first unless sorted, a page at a time
    (follow ``next``) or all of them with ``format=csv``. Each page or export is audited with the
    reason: the declarations shown and their residents' names (a name falls back to the
    resident's email or phone)."""
    _officer(request)
    since = timezone.localdate() - timedelta(days=14)
    found = selectors.flagged_declarations(since=since).prefetch_related(
        # What the records hold of each resident, for case_refs and contact_of: two queries a page.
        "person__health_cases",
        Prefetch("person__health_contacts", queryset=Contact.objects.select_related("case")),
    )
    return _sorted(found, sort, FLAGGED_SORTS)


class QuarantineIn(Schema):
    person_account: ShortText = Field(..., description="Email or phone of the resident's account")
    start_date: Day
    end_date: Day | None = Field(None, description="Default: the standard period")
    home_lat: float = Field(..., ge=-90, le=90)
    home_lon: float = Field(..., ge=-180, le=180)
    radius_m: int | None = Field(None, ge=20, le=5000)


class StaffQuarantineOut(Schema):
    id: int
    person_id: int
    start_date: date
    end_date: date


class TaskOut(Schema):
    id: int
    kind: str
    day: date
    quarantine_id: int
    person_id: int
    resolved_at: datetime | None

    # A task holds no declared personal data of its own, but shows who is in quarantine (and
    # missed a check-in): audited as the pages audit it, a read of each quarantine's person.
    shows_personal: ClassVar[frozenset[str]] = frozenset()
    shows_related: ClassVar[Mapping[str, Related]] = {"quarantine_id": Related(Quarantine, ("person",))}

    @staticmethod
    def resolve_person_id(task: HealthTask) -> int:
        return task.quarantine.person_id


@router.post("/quarantines", response={201: StaffQuarantineOut}, summary="Start a quarantine (health officers)")
def start_quarantine(request: HttpRequest, payload: QuarantineIn) -> Status[Quarantine]:
    officer = _officer(request)
    person = _person(payload.person_account)
    if person is None:
        raise ValidationError({"person_account": [_("Give the resident's email or phone number.")]})
    quarantine = services.start_quarantine(
        officer,
        person,
        start_date=payload.start_date,
        end_date=payload.end_date,
        home_lat=payload.home_lat,
        home_lon=payload.home_lon,
        radius_m=payload.radius_m,
    )
    return Status(201, quarantine)


@router.get("/tasks", response=list[TaskOut], summary="Open quarantine tasks (health officers), paged")
@_under_reason
@csv_export(TaskOut, filename="health-tasks")
@paginate
def open_tasks(request: HttpRequest, reason: Reason, sort: SortParam = "") -> object:
    """Every open task, newest first unless sorted, a page at a time (follow ``next``) or all of
    them with ``format=csv``. Each page or export is audited with the reason: the quarantines
    whose residents the tasks name."""
    _officer(request)
    return _sorted(selectors.open_tasks(), sort, TASK_SORTS)


@router.post("/tasks/{task_id}/resolve", response=TaskOut, summary="Mark a task resolved")
def resolve_task(request: HttpRequest, task_id: Id) -> HealthTask:
    officer = _officer(request)
    task = get_object_or_404(HealthTask.objects.select_related("quarantine"), pk=task_id)
    return services.resolve_task(officer, task)


# --- Residents: their own --------------------------------------------------------------------------


@router.get("/me/declarations", response=list[DeclarationOut], summary="My last 14 declarations")
def my_declarations(request: HttpRequest, sort: SortParam = "") -> list[Declaration]:
    # The last 14 days, then in the asked order.
    recent = Declaration.objects.filter(person=require_user(request)).order_by("-day")[:14]
    ids = list(recent.values_list("pk", flat=True))
    found = Declaration.objects.filter(pk__in=ids).order_by("-day")
    return list(_sorted(found, sort, DECLARATION_SORTS))


@router.post("/me/declarations", response={201: DeclarationOut}, summary="Declare today's health")
def declare(request: HttpRequest, payload: DeclarationIn) -> Status[Declaration]:
    declaration = services.declare(
        require_user(request),
        symptoms=payload.symptoms,
        travelled=payload.travelled,
        contact_with_case=payload.contact_with_case,
    )
    return Status(201, declaration)


@router.get("/me/quarantine", response=QuarantineOut | None, summary="My current or next quarantine, or null")
def my_quarantine(request: HttpRequest) -> dict[str, object] | None:
    mine = selectors.my_health(require_user(request))
    quarantine = mine["quarantine"]
    if quarantine is None:
        return None
    return {
        "start_date": quarantine.start_date,
        "end_date": quarantine.end_date,
        "checked_in_today": mine["checked_in_today"],
    }


@router.post("/me/quarantine/check-in", response={201: QuarantineCheckInOut}, summary="Check in from home")
def check_in(request: HttpRequest, payload: QuarantineCheckInIn) -> Status[dict[str, object]]:
    checked = services.check_in(require_user(request), lat=payload.lat, lon=payload.lon)
    return Status(201, {"day": checked.day, "at": checked.at, "at_home": checked.inside})
