"""Every write of the check-in app (public facade): venues and their signed posters, check-ins,
retention, and exposure alerts from a case's visits.

Each write validates first, then changes the database in one transaction; events go out on commit.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import IntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cityos.checkin import conf, selectors
from cityos.checkin.events import CaseVisitsConfirmed, ExposureAlertProposed, ExposureAlertSent, VenueChanged
from cityos.checkin.models import (
    AlertState,
    CheckIn,
    CheckInSource,
    ContactChannel,
    ExposureAlert,
    ExposureMatch,
    Venue,
    VenueKind,
)
from cityos.core.accounts.models import Language, User
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.accounts.phones import normalise_phone
from cityos.core.audit.services import record_access
from cityos.core.events import publish
from cityos.core.geo.models import District
from cityos.core.geo.services import ImportAction, ImportReport, ItemReport
from cityos.core.inputs import clean_text

VENUE_SALT = "cityos.checkin.venue"
CHECKOUT_SALT = "cityos.checkin.checkout"
logger = logging.getLogger(__name__)
SHORT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on keypads
SHORT_CODE_LENGTH = 6
TEMPLATE_EXPOSED = "checkin_exposure"
TEMPLATE_VENUE_OWNER = "checkin_venue_exposure"
MAX_VISITS = 100


def _invalid(field: str, message: str | list[str], code: str) -> ValidationError:
    """A field's error that keeps its code, so callers (the SMS route, the API, tests) can tell
    errors apart without reading translated text."""
    messages = message if isinstance(message, list) else [message]
    return ValidationError({field: [ValidationError(m, code=code) for m in messages]})


def error_codes(error: ValidationError) -> set[str]:
    """Every code in ``error``, whichever shape it has."""
    if hasattr(error, "error_dict"):
        return {e.code or "" for errors in error.error_dict.values() for e in errors}
    return {e.code or "" for e in error.error_list}


# --- Signed venue codes ------------------------------------------------------------------


def venue_code(venue: Venue) -> str:
    """The code printed in a poster's QR: venue and poster version, signed with the SECRET_KEY."""
    return signing.Signer(salt=VENUE_SALT).sign(f"{venue.pk}.{venue.poster_version}")


def _unsign_venue_code(code: str) -> tuple[int, int]:
    try:
        value = signing.Signer(salt=VENUE_SALT).unsign(code.strip())
        venue_id, version = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError) as error:
        raise ValidationError(
            _("This poster code is not one the city issued. Scan the poster again or ask the venue for help."),
            code="forged",
        ) from error
    return venue_id, version


def venue_for_code(code: str, *, lock_visitor: str = "") -> Venue:
    """The venue of a poster's code; refuses forged codes, replaced posters and closed venues.

    With ``lock_visitor`` (inside a transaction), the same query takes the visitor's lock at this
    venue (see ``_lock_visitor``): the lock comes with the venue's row, before any later read.
    """
    venue_id, version = _unsign_venue_code(code)
    found = Venue.objects.filter(pk=venue_id)
    if lock_visitor and transaction.get_connection().vendor == "postgresql":
        key = _visitor_lock_key(venue_id, lock_visitor)
        found = found.annotate(
            _locked=RawSQL("(SELECT 1 FROM pg_advisory_xact_lock(%s))", (key,), output_field=IntegerField())
        )
    venue = found.first()
    if venue is None or not venue.is_active:
        raise ValidationError(_("This venue no longer takes check-ins."), code="closed")
    if version != venue.poster_version:
        raise ValidationError(
            _("This poster has been replaced and no longer works. Ask the venue for its new poster."),
            code="revoked",
        )
    return venue


def venue_for_reference(reference: str) -> Venue | None:
    """A venue from its SMS code or any of its posters' signed codes (old ones included), for
    health officers tracing a visit; None if nothing matches."""
    reference = (reference or "").strip()
    if not reference:
        return None
    if ":" in reference:
        try:
            venue_id, _version = _unsign_venue_code(reference)
        except ValidationError:
            return None
        return Venue.objects.filter(pk=venue_id).first()
    return Venue.objects.filter(short_code=reference.upper()).first()


def _new_short_code() -> str:
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _i in range(SHORT_CODE_LENGTH))
        if not Venue.objects.filter(short_code=code).exists():
            return code


# --- Contacts of anonymous check-ins -----------------------------------------------------


@dataclass(frozen=True)
class Contact:
    address: str  # an email address or an E.164 phone number
    channel: str


def parse_contact(raw: str) -> Contact:
    """An email address or a phone number, normalised; a ValidationError says which is wrong."""
    raw = (raw or "").strip()
    if not raw:
        raise _invalid("contact", _("Enter a phone number or an email address for alerts."), "required")
    if "@" in raw:
        try:
            validate_email(raw)
        except ValidationError as error:
            raise _invalid("contact", _("Enter a valid email address, e.g. name@example.org."), "invalid") from error
        return Contact(raw.lower(), ContactChannel.EMAIL)
    try:
        return Contact(normalise_phone(raw), ContactChannel.SMS)
    except ValidationError as error:
        if error.code == "extension":
            raise _invalid(
                "contact",
                _("Give a phone number without an extension (text messages cannot reach one), or an email address."),
                "extension",
            ) from error
        raise _invalid(
            "contact", _("Enter a valid phone number, e.g. +1 415 555 0100, or an email address."), "invalid"
        ) from error


def _fernet() -> Fernet:
    return Fernet(conf.contact_key())


def encrypt_contact(address: str) -> str:
    return _fernet().encrypt(address.encode()).decode()


def decrypt_contact(token: str) -> str:
    """Only the alert service reads contacts back; nothing shows them to anyone."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def contact_digest(address: str) -> str:
    return hmac.new(conf.digest_key(), address.encode(), hashlib.sha256).hexdigest()


# --- Venues ------------------------------------------------------------------------------


def may_manage(user: User | None, venue: Venue) -> bool:
    """The venue's owner, or staff of the venue roles (an operator, a health officer)."""
    if user is None:
        return False
    return (venue.owner_id is not None and venue.owner_id == user.pk) or holds_any_role(user, conf.VENUE_ROLES)


# The personal data of a venue that its page and the API show: its contacts (never its owner).
CONTACT_FIELDS = ("contact_email", "contact_phone")


class NotVenueManager(PermissionDenied):
    """Neither the venue's owner nor staff of the venue roles (``may_manage``)."""


def managed_venue(by: User | None, venue_id: int, *, shown: Iterable[str] = ()) -> Venue:
    """The venue ``venue_id`` for someone who manages it, with their read of the contact fields
    a page or answer ``shown`` audited (``audit_contact_read``).

    Raises ``Venue.DoesNotExist`` when there is no such venue and ``NotVenueManager`` (a
    ``PermissionDenied``) when ``by`` may not manage it; each door answers them its own way
    (the pages 404 for both, so a venue's existence is not told; the API 404 and 403)."""
    venue = Venue.objects.select_related("district").get(pk=venue_id)
    if not may_manage(by, venue):
        raise NotVenueManager(_("Only the venue's owner, an operator or a health officer can see its details."))
    assert by is not None  # may_manage refuses no one else
    audit_contact_read(venue, by, shown)
    return venue


def audit_contact_read(venue: Venue, by: User, shown: Iterable[str] = CONTACT_FIELDS) -> None:
    """Record a staff read of the venue's contacts ``shown``, naming those it has; the owner
    reading their own is no read of someone else's data."""
    if venue.owner_id == by.pk:
        return
    read = sorted(name for name in shown if getattr(venue, name))
    if read:
        record_access(venue, read)


VENUE_FIELDS = ("name", "kind", "address", "district_id", "contact_email", "contact_phone")


def _clean_venue(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[ValidationError]]]:
    """The given venue fields (any of ``VENUE_FIELDS``) cleaned, and each one's problems."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}

    def refuse(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    if "name" in values:
        name = cleaned["name"] = clean_text(values["name"] or "").strip()
        if not name:
            refuse("name", _("Give the venue's name."), "required")
        elif len(name) > 200:
            refuse("name", _("Keep the name under 200 characters."), "too_long")
    if "kind" in values:
        cleaned["kind"] = values["kind"]
        if values["kind"] not in VenueKind.values:
            refuse("kind", _("Choose one of the listed kinds."), "invalid")
    if "address" in values:
        address = cleaned["address"] = clean_text(values["address"] or "").strip()
        if len(address) > 300:
            refuse("address", _("Keep the address under 300 characters."), "too_long")
    if "contact_email" in values:
        email = cleaned["contact_email"] = (values["contact_email"] or "").strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                refuse("contact_email", _("Enter a valid email address, e.g. name@example.org."), "invalid")
    if "contact_phone" in values:
        phone = cleaned["contact_phone"] = (values["contact_phone"] or "").strip()
        if phone:
            try:
                cleaned["contact_phone"] = normalise_phone(phone)
            except ValidationError as error:
                if error.code == "extension":
                    refuse("contact_phone", error.messages[0], "extension")
                else:
                    refuse("contact_phone", _("Enter a valid phone number, e.g. +1 415 555 0100."), "invalid")
    if "district_id" in values:
        district_id = cleaned["district_id"] = values["district_id"]
        if district_id is not None and not District.objects.filter(pk=district_id).exists():
            refuse("district_id", _("There is no such district. Choose one from the list."), "invalid_district")
    return cleaned, errors


def _contact_missing() -> ValidationError:
    return ValidationError(
        _("Give an email address or a phone number so the venue can be told about an exposure."),
        code="required",
    )


def register_venue(
    registered_by: User,
    *,
    name: str,
    kind: str = VenueKind.OTHER,
    address: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    district_id: int | None = None,
    owner: User | None = None,
) -> Venue:
    """Register a venue. A resident becomes its owner; staff register it for someone else,
    who is then reached through the contact email or phone."""
    cleaned, errors = _clean_venue(
        {
            "name": name,
            "kind": kind,
            "address": address,
            "contact_email": contact_email,
            "contact_phone": contact_phone,
            "district_id": district_id,
        }
    )
    is_staff_registration = holds_any_role(registered_by, conf.VENUE_ROLES)
    if not is_staff_registration:
        owner = registered_by
    if owner is None and not cleaned["contact_email"] and not cleaned["contact_phone"]:
        errors.setdefault("contact_email", []).append(_contact_missing())
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
    with transaction.atomic():
        return Venue.objects.create(
            **cleaned,
            owner=owner,
            registered_by=registered_by,
            short_code=_new_short_code(),
        )


def update_venue(venue: Venue, by: User, **changes: Any) -> Venue:
    """Change a venue's details: only the fields given (any of ``VENUE_FIELDS``), with the rules
    of registering. A venue without an owner keeps an email or a phone to be told of exposures.

    The poster and its SMS code stay valid (they carry the venue's id, not its name). The change
    is audited by the audit log (contact values named, not copied); ``VenueChanged`` goes out on
    commit when anything changed.
    """
    if not may_manage(by, venue):
        raise PermissionDenied(_("Only the venue's owner, an operator or a health officer can change this venue."))
    unknown = set(changes) - set(VENUE_FIELDS)
    if unknown:
        raise TypeError(f"update_venue() got unexpected fields: {', '.join(sorted(unknown))}")
    cleaned, errors = _clean_venue(changes)
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
    with transaction.atomic():
        locked = Venue.objects.select_for_update().get(pk=venue.pk)
        email = cleaned.get("contact_email", locked.contact_email)
        phone = cleaned.get("contact_phone", locked.contact_phone)
        if locked.owner_id is None and not email and not phone:
            raise ValidationError({"contact_email": [_contact_missing()]})
        changed = sorted(f for f, value in cleaned.items() if getattr(locked, f) != value)
        if changed:
            for field in changed:
                setattr(locked, field, cleaned[field])
            locked.save(update_fields=[*changed, "updated_at"])
            publish(VenueChanged(venue_id=locked.pk, fields=changed))
    return locked


def reissue_poster(venue: Venue, by: User) -> Venue:
    """A new poster (and SMS code); every earlier poster of the venue stops working."""
    if not may_manage(by, venue):
        raise PermissionDenied(_("Only the venue's owner, an operator or a health officer can reissue its poster."))
    with transaction.atomic():
        locked = Venue.objects.select_for_update().get(pk=venue.pk)
        locked.poster_version += 1
        locked.short_code = _new_short_code()
        locked.save(update_fields=["poster_version", "short_code", "updated_at"])
    return locked


def set_venue_active(venue: Venue, by: User, *, active: bool) -> Venue:
    """Close a venue to check-ins (every poster fails) or open it again."""
    if not may_manage(by, venue):
        raise PermissionDenied(_("Only the venue's owner, an operator or a health officer can change this venue."))
    with transaction.atomic():
        venue.is_active = active
        venue.save(update_fields=["is_active", "updated_at"])
    return venue


# --- Check-ins ---------------------------------------------------------------------------


def _clean_time(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + conf.CLOCK_SKEW:
        raise _invalid("checked_in_at", _("The check-in time is in the future. Check in when you arrive."), "future")
    if at < now - timedelta(days=conf.retention_days()):
        raise _invalid(
            "checked_in_at",
            _("The check-in time is older than the %(days)d days check-ins are kept.")
            % {"days": conf.retention_days()},
            "too_old",
        )
    return at


def _language(language: str | None) -> str:
    return language if language in Language.values else Language.ENGLISH


def check_in(
    code: str,
    *,
    person: User | None = None,
    contact: str = "",
    at: datetime | None = None,
    language: str | None = None,
    source: str = CheckInSource.WEB,
    venue: Venue | None = None,
) -> CheckIn:
    """Check ``person`` (signed in) or an anonymous ``contact`` in at the poster's venue.

    Refuses a forged or replaced poster, a time in the future, and a second check-in at the same
    venue within the double check-in window (unless they checked out in between).
    """
    now = timezone.now()
    if person is not None and not person.is_authenticated:
        person = None
    # The contact is read first (its keyed hash names the visitor to lock), but a bad one is
    # reported after the poster and the time, as the form shows them in that order.
    parsed: Contact | None = None
    contact_error: ValidationError | None = None
    if person is None:
        try:
            parsed = parse_contact(contact)
        except ValidationError as error:
            contact_error = error
    visitor = ""
    if person is not None:
        visitor = f"user:{person.pk}"
    elif parsed is not None:
        visitor = f"contact:{contact_digest(parsed.address)}"
    window = conf.double_check_in_window()
    with transaction.atomic():
        # The repeat test and the insert must not interleave with a simultaneous request of the
        # same visitor at the same venue: the pair (venue, visitor) is locked for the transaction,
        # in the same statement that reads the venue (one round trip fewer per check-in).
        if venue is None:
            try:
                venue = venue_for_code(code, lock_visitor=visitor)
            except ValidationError as error:
                raise ValidationError({"code": error.error_list}) from error
        elif visitor:
            _lock_visitor(venue.pk, visitor)
        when = _clean_time(at, now)
        if contact_error is not None:
            raise contact_error
        fields: dict[str, Any] = {}
        if parsed is not None:
            digest = visitor.removeprefix("contact:")
            fields = {
                "contact_encrypted": encrypt_contact(parsed.address),
                "contact_channel": parsed.channel,
                "contact_digest": digest,
            }
            same_visitor = CheckIn.objects.filter(contact_digest=digest)
            language = _language(language)
        else:
            assert person is not None
            same_visitor = CheckIn.objects.filter(person=person)
            language = _language(language or person.language)
        repeat = same_visitor.filter(
            venue=venue,
            checked_in_at__gt=when - window,
            checked_in_at__lte=when + window,
            checked_out_at__isnull=True,
        )
        made = _insert_unless_repeat(
            repeat,
            venue=venue,
            person=person,
            language=language,
            source=source,
            checked_in_at=when,
            contact_encrypted=fields.get("contact_encrypted", ""),
            contact_channel=fields.get("contact_channel", ""),
            contact_digest=fields.get("contact_digest", ""),
        )
        if made is None:
            earlier = repeat.order_by("-checked_in_at").first()
            since = earlier.checked_in_at if earlier is not None else when
            raise _invalid(
                "code",
                _("You are already checked in at %(venue)s since %(time)s.")
                % {"venue": venue.name, "time": timezone.localtime(since).strftime("%H:%M")},
                "already_checked_in",
            )
        return made


def _insert_unless_repeat(
    repeat: QuerySet[CheckIn],
    *,
    venue: Venue,
    person: User | None,
    language: str,
    source: str,
    checked_in_at: datetime,
    contact_encrypted: str,
    contact_channel: str,
    contact_digest: str,
) -> CheckIn | None:
    """Insert the check-in unless ``repeat`` finds one, in one statement (one round trip fewer
    than a test then an insert); None when it was a repeat. The visitor lock is already held,
    and the statement's snapshot is taken after it, so it sees a simultaneous request's row."""
    connection = transaction.get_connection()
    values: dict[str, Any] = {
        "venue_id": venue.pk,
        "person_id": person.pk if person is not None else None,
        "contact_encrypted": contact_encrypted,
        "contact_channel": contact_channel,
        "contact_digest": contact_digest,
        "language": language,
        "source": source,
        "checked_in_at": connection.ops.adapt_datetimefield_value(checked_in_at),
    }
    repeat_sql, repeat_params = repeat.values("pk").query.sql_with_params()
    columns = ", ".join(connection.ops.quote_name(name) for name in values)
    placeholders = ", ".join(["%s"] * len(values))
    table = connection.ops.quote_name(CheckIn._meta.db_table)
    sql = (
        # Names come from the model; every value is bound.
        f"INSERT INTO {table} ({columns}) SELECT {placeholders} "
        f"WHERE NOT EXISTS ({repeat_sql}) RETURNING {connection.ops.quote_name('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values.values(), *repeat_params])
        row = cursor.fetchone()
    if row is None:
        return None
    made = CheckIn(
        pk=row[0],
        venue=venue,
        person=person,
        contact_encrypted=contact_encrypted,
        contact_channel=contact_channel,
        contact_digest=contact_digest,
        language=language,
        source=source,
        checked_in_at=checked_in_at,
    )
    made._state.adding = False
    made._state.db = connection.alias
    return made


def _visitor_lock_key(venue_id: int, visitor: str) -> int:
    digest = hashlib.blake2b(f"cityos.checkin:{venue_id}:{visitor}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_visitor(venue_id: int, visitor: str) -> None:
    """Serialise check-ins of one visitor at one venue until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of the pair (no row to
    create or clean up, so nothing about the visit outlives retention, and different visitors
    never wait for each other). SQLite: the transaction already holds the database's write lock
    from BEGIN (``transaction_mode`` IMMEDIATE in settings), so check and insert cannot interleave.
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_visitor_lock_key(venue_id, visitor)])


def checkout_token(check_in: CheckIn) -> str:
    """Kept on the visitor's device so they can check out without an account."""
    return signing.Signer(salt=CHECKOUT_SALT).sign(str(check_in.pk))


def check_in_for_token(token: str) -> CheckIn:
    try:
        check_in_id = int(signing.Signer(salt=CHECKOUT_SALT).unsign((token or "").strip()))
    except (signing.BadSignature, ValueError) as error:
        raise _invalid("token", _("This check-out link is not valid."), "invalid") from error
    found = CheckIn.objects.select_related("venue").filter(pk=check_in_id).first()
    if found is None:
        raise _invalid(
            "token",
            _("This visit is no longer kept: check-ins are deleted after %(days)d days.")
            % {"days": conf.retention_days()},
            "gone",
        )
    return found


def check_out(token: str, *, at: datetime | None = None) -> CheckIn:
    """Record when the visitor left; checking out twice keeps the first time."""
    return _check_out(check_in_for_token(token), at)


def check_out_mine(person: User, check_in_id: int, *, at: datetime | None = None) -> CheckIn:
    """A signed-in resident checks out of one of their own visits (from "My visits"), with the
    rules of ``check_out``; another person's visit is not found."""
    found = CheckIn.objects.select_related("venue").filter(pk=check_in_id, person=person).first()
    if found is None:
        raise _invalid("check_in", _("This visit is not one of yours, or it is no longer kept."), "not_found")
    return _check_out(found, at)


def _check_out(found: CheckIn, at: datetime | None) -> CheckIn:
    now = timezone.now()
    when = at or now
    if when > now + conf.CLOCK_SKEW:
        raise _invalid("checked_out_at", _("The check-out time is in the future."), "future")
    if when < found.checked_in_at:
        raise _invalid("checked_out_at", _("The check-out time is before the check-in time."), "before_check_in")
    if found.checked_out_at is not None:
        return found
    with transaction.atomic():
        # Locked and read again, so of two check-outs at once the first time is kept too.
        locked = CheckIn.objects.select_for_update(of=("self",)).filter(pk=found.pk).first()
        if locked is None:  # deleted by retention meanwhile
            raise _invalid(
                "token",
                _("This visit is no longer kept: check-ins are deleted after %(days)d days.")
                % {"days": conf.retention_days()},
                "gone",
            )
        if locked.checked_out_at is None:
            locked.checked_out_at = when
            locked.save(update_fields=["checked_out_at"])
        found.checked_out_at = locked.checked_out_at
    return found


# --- SMS route ---------------------------------------------------------------------------

# A text's optional first word, and the language it is written in ("": any), which the reply
# (and a later exposure text) uses for a sender without an account.
SMS_PREFIXES = {
    "IN": "",
    "CHECKIN": "",
    "CHECK-IN": "",
    "ENTRAR": Language.SPANISH,
    "REGISTRO": Language.SPANISH,
    "登記": Language.TRADITIONAL_CHINESE,
    "簽到": Language.TRADITIONAL_CHINESE,
}


@dataclass(frozen=True)
class SmsOutcome:
    action: str  # "checked_in" | "already_checked_in" | "unknown_code" | "invalid_sender"
    language: str
    venue_name: str = ""
    check_in_id: int | None = None


def sms_check_in(sender: str, text: str) -> SmsOutcome:
    """A text of a venue's SMS code (optionally after IN) to the city number checks the sender in.

    A sender whose number belongs to an account is checked in as that person, in their language;
    anyone else as an anonymous contact (their number, encrypted).
    """
    words = whole = (text or "").strip().upper()
    keyword_language = ""
    for prefix, prefix_language in SMS_PREFIXES.items():
        # "登記GRG39W" needs no space after a Chinese keyword; a Latin one needs one ("INDIA…").
        if words.startswith(prefix) and (not prefix.isascii() or words[len(prefix) : len(prefix) + 1].isspace()):
            words, keyword_language = words[len(prefix) :], prefix_language
            break
    # Typed as read off a poster: "EV4 YZR", "ev4yzr." are the code EV4YZR.
    code = "".join(ch for ch in words if ch.isascii() and ch.isalnum())
    try:
        phone = normalise_phone(sender)
    except ValidationError:
        return SmsOutcome("invalid_sender", _language(keyword_language))
    person = User.objects.filter(phone=phone, is_active=True).first()
    language = _language(person.language if person else keyword_language)
    # A code that itself begins with a keyword, typed with a space ("IN K3Z7W2"), is still found.
    candidates = [c for c in (code, "".join(ch for ch in whole if ch.isascii() and ch.isalnum())) if c]
    venue = Venue.objects.filter(short_code__in=candidates, is_active=True).order_by("pk").first()
    if venue is None:
        return SmsOutcome("unknown_code", language)
    try:
        made = check_in(
            "", person=person, contact="" if person else phone, language=language, source=CheckInSource.SMS, venue=venue
        )
    except ValidationError as error:
        if "already_checked_in" in error_codes(error):
            return SmsOutcome("already_checked_in", language, venue.name)
        raise
    return SmsOutcome("checked_in", language, venue.name, made.pk)


# --- Retention ---------------------------------------------------------------------------


def apply_retention(now: datetime | None = None) -> int:
    """Delete check-ins older than the retention period, and the contacts copied into alerts."""
    from cityos.core.audit.services import record_retention

    now = now or timezone.now()
    days = conf.retention_days()
    cutoff = now - timedelta(days=days)
    with transaction.atomic():
        deleted, _by_model = CheckIn.objects.filter(checked_in_at__lt=cutoff).delete()
        wiped = (
            ExposureMatch.objects.filter(checked_in_at__lt=cutoff)
            .exclude(contact_encrypted="")
            .update(contact_encrypted="")
        )
        if deleted:
            record_retention("checkin.CheckIn", deleted, f"{deleted} check-ins older than {days} days deleted")
        if wiped:
            record_retention(
                "checkin.ExposureMatch", wiped, f"Contacts of {wiped} exposed people older than {days} days removed"
            )
    return deleted


# --- Exposure alerts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    venue: Venue
    start: datetime
    end: datetime


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        parsed: datetime | None = value
    else:
        try:
            parsed = parse_datetime(str(value or "").strip())
        except ValueError:
            parsed = None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


# What clean_visits allows, for the health app that checks a case's visits before they come here.
MAX_VISIT_LENGTH = timedelta(hours=24)
CLOCK_SKEW = conf.CLOCK_SKEW


def clean_visits(visits: Sequence[Mapping[str, Any]]) -> list[Visit]:
    """Validate a case's visits; every problem is named with the visit's number."""
    if not isinstance(visits, Sequence) or isinstance(visits, str) or not visits:
        raise _invalid("visits", _("Give at least one visit: a venue, a start and an end."), "required")
    if len(visits) > MAX_VISITS:
        raise _invalid("visits", _("Give at most %(most)d visits at once.") % {"most": MAX_VISITS}, "too_many")
    now = timezone.now()
    problems: list[ValidationError] = []
    cleaned: list[Visit] = []
    for number, visit in enumerate(visits, start=1):
        if not isinstance(visit, Mapping):
            problems.append(ValidationError(_("Visit %(n)d: give a venue, a start and an end.") % {"n": number}))
            continue
        venue = venue_for_reference(str(visit.get("venue_code") or ""))
        start, end = _parse_time(visit.get("start")), _parse_time(visit.get("end"))
        if venue is None:
            problems.append(ValidationError(_("Visit %(n)d: no venue has this code.") % {"n": number}, code="venue"))
        if start is None or end is None:
            problems.append(
                ValidationError(
                    _("Visit %(n)d: give the start and end as date and time, e.g. 2026-03-14T18:30.") % {"n": number},
                    code="time",
                )
            )
        elif end <= start:
            problems.append(
                ValidationError(_("Visit %(n)d ends before it starts.") % {"n": number}, code="ends_before_start")
            )
        elif start > now + conf.CLOCK_SKEW or end > now + conf.CLOCK_SKEW:
            # A visit still going on is proposed once it has ended: matched against a time to
            # come, it would keep finding people and tell a venue a window that has not happened.
            problems.append(ValidationError(_("Visit %(n)d is in the future.") % {"n": number}, code="future"))
        elif end - start > MAX_VISIT_LENGTH:
            problems.append(
                ValidationError(
                    _("Visit %(n)d lasts more than a day: give each day at the venue as its own visit.")
                    % {"n": number},
                    code="too_long",
                )
            )
        if venue is not None and start is not None and end is not None and end > start:
            cleaned.append(Visit(venue, start, end))
    if problems:
        raise ValidationError({"visits": problems})
    return cleaned


def _require_health_role(user: User | None) -> None:
    if user is not None and not holds_any_role(user, conf.ALERT_ROLES):
        raise PermissionDenied(_("Only health officers can work with exposure alerts."))


def _recipient_key(check_in: CheckIn) -> str:
    return f"user:{check_in.person_id}" if check_in.person_id else f"contact:{check_in.contact_digest}"


def propose_exposure_alert(
    case_ref: str,
    visits: Sequence[Mapping[str, Any]],
    buffer_minutes: int | None = None,
    proposed_by: User | None = None,
) -> list[ExposureAlert]:
    """Match a confirmed case's visits against check-ins and propose one alert per visit.

    ``proposed_by`` is the health officer (checked), or None for the platform reacting to the
    health app's event. Proposing the same visit again returns the existing alert, with any new
    matches added while it is still proposed.
    """
    _require_health_role(proposed_by)
    case_ref = (case_ref or "").strip()
    if not case_ref or len(case_ref) > 64:
        raise _invalid("case_ref", _("Give the case reference (at most 64 characters)."), "invalid")
    buffer = conf.buffer_minutes() if buffer_minutes is None else buffer_minutes
    if not isinstance(buffer, int) or not 0 <= buffer <= 24 * 60:
        raise _invalid("buffer_minutes", _("The buffer must be 0 to 1440 minutes."), "invalid")
    cleaned = clean_visits(visits)
    matches = selectors.exposed_check_ins([(v.venue.pk, v.start, v.end) for v in cleaned], buffer_minutes=buffer)
    alerts: list[ExposureAlert] = []
    with transaction.atomic():
        for index, visit in enumerate(cleaned):
            alert, _created = ExposureAlert.objects.get_or_create(
                case_ref=case_ref,
                venue=visit.venue,
                visit_start=visit.start,
                visit_end=visit.end,
                defaults={"buffer_minutes": buffer, "proposed_by": proposed_by},
            )
            if alert.state == AlertState.PROPOSED:
                known = set(alert.matches.values_list("recipient_key", flat=True))
                new: list[ExposureMatch] = []
                for found in matches[index]:
                    key = _recipient_key(found)
                    if key in known:
                        continue
                    known.add(key)
                    new.append(
                        ExposureMatch(
                            alert=alert,
                            check_in=found,
                            person_id=found.person_id,
                            contact_encrypted=found.contact_encrypted,
                            contact_channel=found.contact_channel,
                            recipient_key=key,
                            language=found.language,
                            checked_in_at=found.checked_in_at,
                        )
                    )
                ExposureMatch.objects.bulk_create(new)
            alerts.append(alert)
            publish(
                ExposureAlertProposed(alert_id=alert.pk, venue_id=visit.venue.pk, match_count=alert.matches.count())
            )
    return alerts


def _window_context(alert: ExposureAlert) -> dict[str, str]:
    start, end = timezone.localtime(alert.visit_start), timezone.localtime(alert.visit_end)
    return {
        "venue": alert.venue.name,
        "date": start.strftime("%Y-%m-%d"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }


def _notify_owner(alert: ExposureAlert, context: Mapping[str, str], sent_by: User | None) -> bool:
    """The venue's owner learns that an exposure happened, never who was there."""
    from cityos.core.notifications.services import send_to_address, send_to_person

    venue = alert.venue
    if venue.owner is not None and venue.owner.is_active:
        send_to_person(venue.owner, TEMPLATE_VENUE_OWNER, context, created_by=sent_by)
        return True
    if venue.contact_email:
        send_to_address(venue.contact_email, "email", TEMPLATE_VENUE_OWNER, context, created_by=sent_by)
        return True
    if venue.contact_phone:
        send_to_address(venue.contact_phone, "sms", TEMPLATE_VENUE_OWNER, context, created_by=sent_by)
        return True
    return False


def send_exposure_alert(alert: ExposureAlert, sent_by: User) -> ExposureAlert:
    """Send a proposed alert: each exposed person once per case, in their language, on their
    channel; then tell the venue. Sending again does nothing."""
    from cityos.core.notifications.services import send_to_address, send_to_person

    _require_health_role(sent_by)
    if sent_by is None:
        raise PermissionDenied(_("Only health officers can work with exposure alerts."))
    with transaction.atomic():
        alert = ExposureAlert.objects.select_for_update(of=("self",)).select_related("venue__owner").get(pk=alert.pk)
        if alert.state == AlertState.SENT:
            return alert
        if alert.state == AlertState.DISMISSED:
            raise _invalid("state", _("This alert was dismissed and cannot be sent."), "dismissed")
        now = timezone.now()
        context = _window_context(alert)
        already = set(
            ExposureMatch.objects.filter(alert__case_ref=alert.case_ref, notified_at__isnull=False).values_list(
                "recipient_key", flat=True
            )
        )
        notified = 0
        for match in alert.matches.select_related("person").filter(notified_at__isnull=True):
            if match.recipient_key in already:
                continue
            already.add(match.recipient_key)
            if match.person is not None:
                message = send_to_person(match.person, TEMPLATE_EXPOSED, context, created_by=sent_by)
            else:
                address = decrypt_contact(match.contact_encrypted)
                if not address:
                    continue
                message = send_to_address(
                    address,
                    match.contact_channel,
                    TEMPLATE_EXPOSED,
                    context,
                    language=_language(match.language),
                    created_by=sent_by,
                )
            match.message_id = message.pk
            match.notified_at = now
            match.save(update_fields=["message_id", "notified_at"])
            notified += 1
        alert.owner_notified = _notify_owner(alert, context, sent_by)
        alert.state = AlertState.SENT
        alert.sent_by = sent_by
        alert.sent_at = now
        alert.save(update_fields=["state", "sent_by", "sent_at", "owner_notified"])
        publish(ExposureAlertSent(alert_id=alert.pk, venue_id=alert.venue_id, notified_count=notified))
    return alert


def dismiss_exposure_alert(alert: ExposureAlert, by: User) -> ExposureAlert:
    """A health officer decides a proposed alert should not go out."""
    _require_health_role(by)
    with transaction.atomic():
        alert = ExposureAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.state != AlertState.PROPOSED:
            raise _invalid("state", _("Only a proposed alert can be dismissed."), "not_proposed")
        alert.state = AlertState.DISMISSED
        alert.save(update_fields=["state"])
    return alert


def on_case_visits_confirmed(event: CaseVisitsConfirmed) -> None:
    """The health app confirmed a case's visits: propose alerts for the health officer to review."""
    officer = User.objects.filter(pk=event.confirmed_by_user_id).first()
    if officer is not None and not holds_any_role(officer, conf.ALERT_ROLES):
        officer = None
    try:
        propose_exposure_alert(event.case_ref, event.visits, proposed_by=officer)
    except IntegrityError:
        pass  # a concurrent delivery of the same event proposed them first
    except ValidationError as error:  # the health app checks visits alike; said, not raised
        logger.warning("case visits not proposed", extra={"case": event.case_ref, "why": error.messages})


def venue_codes(venues: Iterable[Venue]) -> dict[int, str]:
    return {v.pk: venue_code(v) for v in venues}


# --- bulk registration from the city's business register -----------------------------------
VENUE_COLUMNS = ("name", "kind", "address", "district", "contact_email", "contact_phone")


def import_venues(source: bytes | str, by: User, *, dry_run: bool = False) -> ImportReport:
    """Registers every row of a CSV file of venues, or none: a report says what each row became.

    Columns: name, kind, address, district (code), contact_email, contact_phone (a header row
    names them; kind and district may be empty). A row naming a venue already registered at the
    same address is left unchanged, so the same file can be uploaded again after a fix.
    """
    report = ImportReport(dry_run=dry_run)
    text = source.decode("utf-8-sig", errors="strict") if isinstance(source, bytes) else source
    if "\x00" in text:  # the csv module reads it, PostgreSQL cannot store it
        report.file_errors.append(str(ProhibitNullCharactersValidator.message))
        return report
    # newline="" lets the csv module handle quoted line breaks and \r\n itself; a stray \r in an
    # unquoted field is a broken file, said so, not a server error.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        # Column names as written by hand ("name, kind"): each row is read by the trimmed name.
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = list(reader)
    except csv.Error as error:
        report.file_errors.append(_("The file is not valid CSV (%(problem)s).") % {"problem": error})
        return report
    missing = [c for c in ("name",) if c not in header]
    unknown = [h for h in header if h and h not in VENUE_COLUMNS]
    if missing or unknown or not rows:
        if missing:
            report.file_errors.append(_("The file needs a header row with a %(column)s column.") % {"column": "name"})
        if unknown:
            report.file_errors.append(
                _("Unknown columns: %(unknown)s. The columns are: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(VENUE_COLUMNS)}
            )
        if not rows and not missing:
            report.file_errors.append(_("The file has no rows."))
        return report
    districts = {d.code: d.pk for d in District.objects.all()}
    with transaction.atomic():
        for number, row in enumerate(rows, start=1):
            values = {k: clean_text(row.get(k) or "").strip() for k in VENUE_COLUMNS}
            item = ItemReport(number=number, key=values["district"], label=values["name"])
            report.items.append(item)
            kind = values["kind"] or VenueKind.OTHER
            district_id = None
            if values["district"]:
                district_id = districts.get(values["district"])
                if district_id is None:
                    item.errors.append(_("There is no district with code %(code)s.") % {"code": values["district"]})
                    continue
            if Venue.objects.filter(name=values["name"], address=values["address"]).exists():
                item.action = ImportAction.UNCHANGED
                continue
            try:
                with transaction.atomic():
                    register_venue(
                        by,
                        name=values["name"],
                        kind=kind,
                        address=values["address"],
                        contact_email=values["contact_email"],
                        contact_phone=values["contact_phone"],
                        district_id=district_id,
                    )
            except ValidationError as error:
                item.errors.extend(str(m) for messages in error.message_dict.values() for m in messages)
            else:
                item.action = ImportAction.CREATE
        report.saved = report.ok and not dry_run
        if not report.saved:
            transaction.set_rollback(True)
    return report
