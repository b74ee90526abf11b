"""/api/v1/checkin: register venues, check in and out, one's own check-ins; for staff, venues
(list, CSV) and exposure alerts (propose, list, send).

Check-in is public (rate-limited by the platform per address); everything about alerts needs a
health officer. Errors are RFC 9457 problems; a service's refusal is a 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from django.conf import settings
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from cityos.checkin import conf, selectors, services
from cityos.checkin.models import AlertState, CheckIn, ExposureAlert, Venue, VenueKind
from cityos.core.accounts.models import User
from cityos.core.api.auth import api_auth, api_user, require_roles, require_user
from cityos.core.api.pagination import csv_export, paginate
from cityos.core.api.schemas import Moment
from cityos.core.audit.services import record_access

router = Router()


# --- Schemas -------------------------------------------------------------------------------


class VenueIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: VenueKind = VenueKind.OTHER
    address: str = Field("", max_length=300)
    contact_email: str = Field("", max_length=254, description="Told of exposures when there is no owner account")
    contact_phone: str = Field("", max_length=30)
    district_id: int | None = None


class VenuePatchIn(Schema):
    """Only the fields sent change; ``null`` empties an optional one (address, district, contacts)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is refused, not ignored

    name: str | None = Field(None, min_length=1, max_length=200)
    kind: VenueKind | None = None
    address: str | None = Field(None, max_length=300)
    contact_email: str | None = Field(
        None, max_length=254, description="Told of exposures when there is no owner account"
    )
    contact_phone: str | None = Field(None, max_length=30, description="Without an extension: it is sent text messages")
    district_id: int | None = Field(None, description="null: no district")


class VenueOut(Schema):
    id: int
    name: str
    kind: VenueKind
    address: str
    district: str | None = Field(None, description="District code")
    short_code: str = Field(..., description="Texted to the city's SMS number to check in")
    poster_version: int
    is_active: bool
    checkin_url: str = Field(..., description="The URL in the poster's QR code (signed; changes on reissue)")
    poster_url: str

    # No owner, no contact: listing venues is no read of personal data (audit_staff_read).
    shows_personal: ClassVar[frozenset[str]] = frozenset()

    @staticmethod
    def resolve_district(venue: Venue) -> str | None:
        return venue.district.code if venue.district else None

    @staticmethod
    def resolve_checkin_url(venue: Venue) -> str:
        path = reverse("checkin:page", args=[services.venue_code(venue)])
        return settings.CITYOS_BASE_URL.rstrip("/") + path

    @staticmethod
    def resolve_poster_url(venue: Venue) -> str:
        return settings.CITYOS_BASE_URL.rstrip("/") + reverse("checkin:poster", args=[venue.pk])


class VenueFilters(Schema):
    q: str = Field("", max_length=100, description="Name, address or SMS code")
    active: bool | None = None


class CheckInIn(Schema):
    code: str = Field(..., min_length=1, max_length=200, description="The signed venue code from the poster's URL")
    contact: str = Field(
        "", max_length=254, description="Phone or email for alerts; required without a signed-in session"
    )
    checked_in_at: Moment | None = Field(None, description="Defaults to now; never in the future")


class CheckInOut(Schema):
    id: int
    venue_name: str
    checked_in_at: datetime
    checked_out_at: datetime | None
    checkout_token: str = Field(..., description="Keep it to check out later; it is the only way without an account")

    @staticmethod
    def resolve_venue_name(check_in: CheckIn) -> str:
        return check_in.venue.name

    @staticmethod
    def resolve_checkout_token(check_in: CheckIn) -> str:
        return services.checkout_token(check_in)


class CheckOutIn(Schema):
    token: str = Field(..., min_length=1, max_length=200)
    checked_out_at: Moment | None = None


class MyCheckInOut(Schema):
    id: int
    venue_name: str
    checked_in_at: datetime
    checked_out_at: datetime | None

    @staticmethod
    def resolve_venue_name(check_in: CheckIn) -> str:
        return check_in.venue.name


class ExposureVisitIn(Schema):
    venue_code: str = Field(..., min_length=1, max_length=200, description="SMS code or signed poster code")
    start: Moment
    end: Moment


class ProposeIn(Schema):
    case_ref: str = Field(..., min_length=1, max_length=64, description="The health app's opaque case id")
    visits: list[ExposureVisitIn] = Field(..., min_length=1, max_length=services.MAX_VISITS)
    buffer_minutes: int | None = Field(None, ge=0, le=1440, description="Defaults to CITYOS_CHECKIN_BUFFER_MINUTES")


class ExposureAlertOut(Schema):
    id: int
    case_ref: str
    venue_id: int
    venue_name: str
    visit_start: datetime
    visit_end: datetime
    buffer_minutes: int
    state: AlertState
    exposed_count: int
    notified_count: int
    owner_notified: bool
    proposed_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_venue_name(alert: ExposureAlert) -> str:
        return alert.venue.name

    @staticmethod
    def resolve_exposed_count(alert: ExposureAlert) -> int:
        return alert.matches.count()

    @staticmethod
    def resolve_notified_count(alert: ExposureAlert) -> int:
        return alert.matches.filter(notified_at__isnull=False).count()


class ExposureAlertFilters(Schema):
    state: Literal["", "proposed", "sent", "dismissed"] = ""
    q: str = Field("", max_length=100, description="Case reference or venue name")


# --- Venues ----------------------------------------------------------------------------------


@router.post("/venues", response={201: VenueOut}, auth=api_auth, summary="Register a venue")
def register_venue(request: HttpRequest, payload: VenueIn) -> Status:
    """A resident's session registers their own venue; operators and health officers register
    one for a business (then the contact email or phone is told of exposures)."""
    user = require_user(request)
    venue = services.register_venue(
        user,
        name=payload.name,
        kind=payload.kind,
        address=payload.address,
        contact_email=payload.contact_email,
        contact_phone=payload.contact_phone,
        district_id=payload.district_id,
    )
    return Status(201, venue)


class VenueImportIn(Schema):
    csv: str = Field(
        ...,
        min_length=1,
        max_length=5 * 1024 * 1024,
        description="CSV text with a header row: name, kind, address, district (code), contact_email, contact_phone",
    )
    dry_run: bool = Field(False, description="Check every row and save nothing")


class VenueImportRowOut(Schema):
    number: int = Field(..., description="Row number, counting from 1 after the header")
    name: str
    district: str
    result: str = Field(..., description="create, unchanged or rejected")
    errors: list[str]


class VenueImportOut(Schema):
    saved: bool
    dry_run: bool
    summary: str
    file_errors: list[str]
    rows: list[VenueImportRowOut]


@router.post(
    "/venues/import",
    response={200: VenueImportOut, 201: VenueImportOut, 422: VenueImportOut},
    auth=api_auth,
    summary="Register many venues from CSV (staff)",
)
def import_venues(request: HttpRequest, payload: VenueImportIn) -> Status:
    """All rows or none: 201 when saved, 200 for a clean dry run, 422 with the report of every
    row when any row (or the file) is refused."""
    user = require_roles(request, conf.VENUE_ROLES)
    report = services.import_venues(payload.csv, user, dry_run=payload.dry_run)
    body = VenueImportOut(
        saved=report.saved,
        dry_run=report.dry_run,
        summary=str(report.summary()),
        file_errors=[str(e) for e in report.file_errors],
        rows=[
            VenueImportRowOut(number=i.number, name=i.label, district=i.key, result=str(i.action), errors=i.errors)
            for i in report.items
        ],
    )
    return Status(201 if report.saved else 200 if report.ok else 422, body)


@router.get("/venues", response=list[VenueOut], auth=api_auth, summary="Venues (staff)")
@csv_export(VenueOut, filename="venues")
@paginate
def list_venues(request: HttpRequest, filters: Query[VenueFilters]) -> object:
    """Name, kind, address, district, SMS code and poster of each venue; no contact or owner,
    so reading the list is not a read of personal data."""
    require_roles(request, conf.VENUE_ROLES)
    return selectors.venues(filters.q, active=filters.active)


class VenueDetailOut(VenueOut):
    contact_email: str = Field(..., description="Told of exposures when there is no owner account")
    contact_phone: str = Field(..., description="E.164; texted about exposures when there is no owner account")

    shows_personal: ClassVar[frozenset[str]] = frozenset({"contact_email", "contact_phone"})


@router.get("/venues/{venue_id}", response=VenueDetailOut, auth=api_auth, summary="A venue, with its contacts")
def get_venue(request: HttpRequest, venue_id: int) -> Venue:
    """For its owner, or an operator or health officer; a staff read of its contacts is audited.
    Anyone else: 403 with the reason."""
    try:
        return services.managed_venue(require_user(request), venue_id, shown=VenueDetailOut.shows_personal)
    except Venue.DoesNotExist:
        raise Http404 from None


@router.patch("/venues/{venue_id}", response=VenueDetailOut, auth=api_auth, summary="Change a venue's details")
def update_venue(request: HttpRequest, venue_id: int, payload: VenuePatchIn) -> Venue:
    """The venue's owner, or an operator or health officer, changes its name, kind, address,
    district or contacts; only the fields sent change, and its posters keep working.
    Refused (422): the rules of registering (a bad email, a phone number with an extension, an
    unknown district...), and a venue without an owner left with neither email nor phone."""
    user = require_user(request)
    venue = get_object_or_404(Venue, pk=venue_id)
    changes = payload.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name != "district_id":
            changes[name] = ""  # a required field sent as null is then refused by name
    changed = services.update_venue(venue, user, **changes)
    services.audit_contact_read(changed, user, VenueDetailOut.shows_personal)  # the answer shows them
    return changed


@router.post("/venues/{venue_id}/reissue", response=VenueOut, auth=api_auth, summary="Reissue a venue's poster")
def reissue_poster(request: HttpRequest, venue_id: int) -> Venue:
    user = require_user(request)
    return services.reissue_poster(get_object_or_404(Venue, pk=venue_id), user)


# --- Check-in ------------------------------------------------------------------------------


@router.post("/check-ins", response={201: CheckInOut}, summary="Check in at a venue")
def check_in(request: HttpRequest, payload: CheckInIn) -> Status:
    """Public: with a signed-in session the person is checked in; otherwise ``contact`` is needed.
    Refused (422): a forged or replaced poster code, a future time, a double check-in."""
    person = api_user(request)
    made = services.check_in(
        payload.code,
        person=person if isinstance(person, User) else None,
        contact=payload.contact,
        at=payload.checked_in_at,
        language=translation.get_language(),
        source="api",
    )
    return Status(201, made)


@router.post("/check-outs", response=CheckInOut, summary="Check out")
def check_out(request: HttpRequest, payload: CheckOutIn) -> CheckIn:
    return services.check_out(payload.token, at=payload.checked_out_at)


@router.get("/my-check-ins", response=list[MyCheckInOut], auth=api_auth, summary="My check-ins")
@paginate
def my_check_ins(request: HttpRequest) -> object:
    return selectors.check_ins_of(require_user(request))


# --- Exposure alerts (health officers) ------------------------------------------------------


@router.get("/alerts", response=list[ExposureAlertOut], auth=api_auth, summary="Exposure alerts")
@paginate
def list_alerts(request: HttpRequest, filters: Query[ExposureAlertFilters]) -> object:
    require_roles(request, conf.ALERT_ROLES)
    return selectors.alerts(filters.state, filters.q)


@router.post(
    "/alerts", response={201: list[ExposureAlertOut]}, auth=api_auth, summary="Propose alerts from a case's visits"
)
def propose_alerts(request: HttpRequest, payload: ProposeIn) -> Status:
    officer = require_roles(request, conf.ALERT_ROLES)
    alerts = services.propose_exposure_alert(
        payload.case_ref,
        [{"venue_code": v.venue_code, "start": v.start, "end": v.end} for v in payload.visits],
        buffer_minutes=payload.buffer_minutes,
        proposed_by=officer,
    )
    return Status(201, alerts)


@router.get("/alerts/{alert_id}", response=ExposureAlertOut, auth=api_auth, summary="One exposure alert")
def get_alert(request: HttpRequest, alert_id: int) -> ExposureAlert:
    require_roles(request, conf.ALERT_ROLES)
    alert = get_object_or_404(ExposureAlert.objects.select_related("venue"), pk=alert_id)
    record_access(alert, ["case_ref", "matches"])
    return alert


@router.post("/alerts/{alert_id}/send", response=ExposureAlertOut, auth=api_auth, summary="Send a proposed alert")
def send_alert(request: HttpRequest, alert_id: int) -> ExposureAlert:
    officer = require_roles(request, conf.ALERT_ROLES)
    alert = get_object_or_404(ExposureAlert, pk=alert_id)
    return services.send_exposure_alert(alert, officer)
