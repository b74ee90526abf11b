"""Every write to people and roles goes through here: validation, one transaction, events."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from cityos.core.accounts.models import Department, Language, PhoneConfirmation, Role, StaffRole, User
from cityos.core.accounts.phones import normalise_phone
from cityos.core.audit.context import current_actor
from cityos.core.audit.services import record_retention
from cityos.core.events import Event, publish
from cityos.core.ratelimit import contact_target, count_in_cache, hourly_count, over_target_limit


@dataclass(frozen=True, kw_only=True)
class ResidentSignedUp(Event):
    name = "accounts.resident_signed_up"
    user_id: int
    language: str


@dataclass(frozen=True, kw_only=True)
class ContactDetailsChanged(Event):
    """A person changed their own details (``fields``: those saved, e.g. ("email", "language"));
    a new phone number counts once its code is entered."""

    name = "accounts.contact_details_changed"
    user_id: int
    fields: tuple[str, ...]


def _new_username(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


def _check_contacts(
    errors: dict[str, list[ValidationError]],
    email: str,
    phone: str,
    *,
    language: str,
    email_taken: str,
    phone_taken: str,
    other_than: int | None = None,
) -> tuple[str, str | None]:
    """Checks a person's email, phone and language, adding an error per bad field to ``errors``.

    Returns the email (lower case) and the phone in E.164 (None when empty or malformed).
    ``other_than`` is the person being changed, whose own email and phone are not "taken".
    """
    others = User.objects.exclude(pk=other_than) if other_than is not None else User.objects.all()
    email = email.strip().lower()
    phone_e164: str | None = None
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(ValidationError(_("Enter a valid email address."), code="invalid"))
        else:
            if others.filter(email__iexact=email).exists():
                errors.setdefault("email", []).append(ValidationError(email_taken, code="taken"))
    if phone.strip():
        try:
            phone_e164 = normalise_phone(phone)
        except ValidationError as error:
            errors.setdefault("phone", []).append(error)
        else:
            if others.filter(phone=phone_e164).exists():
                errors.setdefault("phone", []).append(ValidationError(phone_taken, code="taken"))
    if language not in Language.values:
        errors.setdefault("language", []).append(
            ValidationError(_("Choose one of the listed languages."), code="invalid")
        )
    return email, phone_e164


def sign_up_resident(
    *,
    password: str,
    email: str = "",
    phone: str = "",
    language: str = Language.ENGLISH,
    first_name: str = "",
    last_name: str = "",
    district_id: int | None = None,
) -> User:
    """Create a resident account. Raises ValidationError with an entry per bad field."""
    errors: dict[str, list[ValidationError]] = {}
    if not email.strip() and not phone.strip():
        errors.setdefault("email", []).append(
            ValidationError(_("Give an email address or a phone number, so we can reach you."), code="required")
        )
    email, phone_e164 = _check_contacts(
        errors,
        email,
        phone,
        language=language,
        email_taken=_("An account with this email address already exists. Sign in instead."),
        phone_taken=_("An account with this phone number already exists. Sign in instead."),
    )
    candidate = User(email=email or None, phone=phone_e164, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, candidate)
    except ValidationError as error:
        errors.setdefault("password", []).extend(error.error_list)
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]

    with transaction.atomic():
        user = User(
            username=_new_username("r"),
            email=email or None,
            phone=phone_e164,
            language=language,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            district_id=district_id,
        )
        user.set_password(password)
        user.save()
        publish(ResidentSignedUp(user_id=user.pk, language=language))
    return user


def create_staff(
    *,
    username: str,
    password: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    roles: list[tuple[str, Department | None, list[int]]] | None = None,
    language: str = Language.ENGLISH,
) -> User:
    """Create a staff account with roles given as (role, department, district ids)."""
    with transaction.atomic():
        user = User(
            username=username,
            email=email.lower(),
            first_name=first_name,
            last_name=last_name,
            is_staff=True,
            language=language,
        )
        user.set_password(password)
        user.save()
        for role, department, district_ids in roles or []:
            if role not in Role.values:
                raise ValidationError({"roles": _("Unknown role: %(role)s") % {"role": role}})
            staff_role = StaffRole.objects.create(user=user, role=role, department=department)
            if district_ids:
                staff_role.districts.set(district_ids)
            # An administrator's is_superuser is set by the role's own save (accounts.signals).
    return user


def set_language(user: User, language: str) -> None:
    if language not in Language.values:
        raise ValidationError({"language": _("Choose one of the listed languages.")})
    with transaction.atomic():
        user.language = language
        user.save(update_fields=["language"])


def update_resident(
    resident: User,
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    language: str,
) -> User:
    """Change a resident's details (themselves, or staff on their behalf). All or nothing."""
    errors: dict[str, list[ValidationError]] = {}
    email, phone_e164 = _check_contacts(
        errors,
        email,
        phone,
        language=language,
        email_taken=_("Another account already uses this email address."),
        phone_taken=_("Another account already uses this phone number."),
        other_than=resident.pk,
    )
    if not email and not phone_e164:
        errors.setdefault("email", []).append(
            ValidationError(
                _("Keep an email address or a phone number, so the city can reach this person."), code="required"
            )
        )
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
    with transaction.atomic():
        resident.first_name = first_name.strip()
        resident.last_name = last_name.strip()
        resident.email = email or None
        resident.phone = phone_e164
        resident.language = language
        resident.save(update_fields=["first_name", "last_name", "email", "phone", "language"])
    return resident


# --- A person's own details ----------------------------------------------------------------

TEMPLATE_PHONE_CODE = "accounts_phone_code"
# The text with the code, installed on first use and then the city's to edit (deleting it only
# brings it back: a new number cannot be confirmed without it).
PHONE_CODE_TEXTS = (
    (
        "en",
        "Your city account code",
        "{{ code }} is your code to confirm this phone number for your city account. It expires in "
        "{{ minutes }} minutes. Did not ask for it? Ignore this text.",
    ),
    (
        "zh-hant",
        "市政帳號驗證碼",
        "{{ code }} 是您確認此手機號碼的市政帳號驗證碼，{{ minutes }} 分鐘內有效。若非您本人申請，請忽略此簡訊。",  # noqa: RUF001
    ),
    (
        "es",
        "Tu código de la cuenta municipal",
        "{{ code }} es tu código para confirmar este número en tu cuenta municipal. Caduca en "
        "{{ minutes }} minutos. ¿No lo pediste? Ignora este mensaje.",
    ),
)
CODE_DIGITS = 6
CODE_VALID_FOR = timedelta(minutes=20)
CODE_TRIES = 5  # wrong codes before a new one must be sent
CODES_PER_HOUR = 5  # codes texted in an hour for one account, and to one number
PASSWORD_TRIES = 5  # wrong current passwords in PASSWORD_WINDOW before changes wait
PASSWORD_WINDOW = 15 * 60
# A code nobody entered is forgotten after this long, with the number it was sent to.
FORGET_UNCONFIRMED_AFTER = timedelta(days=1)
NAME_MAX = 150


@dataclass(frozen=True)
class DetailsChange:
    """What :func:`change_own_details` did: the fields saved now, and the new phone number that
    waits for its code (None when none waits) and whether a code was texted to it just now."""

    user: User
    changed: tuple[str, ...]
    phone_pending: str | None
    code_sent: bool


def pending_phone_change(user: User) -> PhoneConfirmation | None:
    return PhoneConfirmation.objects.filter(user=user).first()


def _code_hash(user: User, phone: str, code: str) -> str:
    # Bound to the person and the number: a code sent for one number cannot confirm another.
    return salted_hmac("cityos.accounts.phone-code", f"{user.pk}:{phone}:{code}", algorithm="sha256").hexdigest()


def _password_refusal(user: User, password: str) -> ValidationError | None:
    """Why ``password`` does not let ``user`` change how they are reached, or None when it does.

    An account without a usable password has nothing to ask for: its signed-in session is the
    proof. Wrong passwords are counted, so a session left open cannot be used to guess one."""
    if not user.has_usable_password():
        return None
    if not password:
        return ValidationError(
            _("Enter your current password to change your email address or phone number."), code="required"
        )
    key = f"cityos:contact-password:{user.pk}"
    if int(cache.get(key, 0)) >= PASSWORD_TRIES:
        return ValidationError(_("Too many wrong passwords. Wait 15 minutes, then try again."), code="throttled")
    if user.check_password(password):
        return None
    count_in_cache(key, PASSWORD_WINDOW)
    return ValidationError(_("That is not your current password."), code="wrong_password")


PHONE_CODE_SCOPE = "phone-code"


def _text_code(user: User, phone: str, language: str) -> str:
    """Text a new code to ``phone`` (queued, sent once the caller's transaction commits); returns
    the code. Raises ValidationError on ``phone`` when the number texted STOP to the city."""
    from cityos.core.notifications import services as notifications
    from cityos.core.notifications.models import MessageState

    # Counted for the account and for the number (a keyed hash: no number in the cache), so neither
    # many accounts nor one can make the city text a number again and again; and, as texts cost
    # the city money, per client address and for the whole city (no paid SMS cannon).
    address = current_actor().ip or "unknown"
    if (
        hourly_count(PHONE_CODE_SCOPE, f"user:{user.pk}") > CODES_PER_HOUR
        or over_target_limit(PHONE_CODE_SCOPE, [contact_target(phone)], CODES_PER_HOUR)
        or hourly_count(PHONE_CODE_SCOPE, f"addr:{address}") > settings.CITYOS_PHONE_CODES_PER_ADDRESS_PER_HOUR
        or hourly_count(PHONE_CODE_SCOPE, "city") > settings.CITYOS_PHONE_CODES_PER_HOUR
    ):
        raise ValidationError(
            {"phone": ValidationError(_("We have sent too many codes. Try again in an hour."), code="throttled")}
        )
    notifications.install_templates(
        (TEMPLATE_PHONE_CODE, "", lang, subject, body) for lang, subject, body in PHONE_CODE_TEXTS
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    message = notifications.send_to_address(
        phone, "sms", TEMPLATE_PHONE_CODE, {"code": code, "minutes": minutes}, language=language
    )
    if message.state == MessageState.SUPPRESSED:
        raise ValidationError(
            {
                "phone": ValidationError(
                    _(
                        "This number asked the city to send it no texts. "
                        "Text START from it to the city, then try again."
                    ),
                    code="opted_out",
                )
            }
        )
    return code


def _ask_for_code(user: User, phone: str) -> None:
    """Text a code to ``phone`` and keep it waiting for ``user`` (inside the caller's transaction)."""
    code = _text_code(user, phone, user.language)
    PhoneConfirmation.objects.update_or_create(
        user=user,
        defaults={"phone": phone, "code_hash": _code_hash(user, phone, code), "sent_at": timezone.now(), "attempts": 0},
    )


def change_own_details(
    user: User,
    *,
    current_password: str = "",
    email: str | None = None,
    phone: str | None = None,
    language: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> DetailsChange:
    """A person changes their own details; None leaves a detail as it is. All or nothing.

    Name and language change at once; so does the email address, and a phone number removed
    (while an email address remains). A changed email or phone needs ``current_password`` (when
    the account has one). A new phone number is texted a code and waits for it
    (:func:`confirm_phone`): until then the account keeps its old number and the city's texts go
    there. The waiting number given again texts a new code; the account's own number given again
    withdraws the waiting one. Raises ValidationError with an entry per bad field; a number or
    address another account uses is refused without saying whose.
    """
    errors: dict[str, list[ValidationError]] = {}
    new_language = user.language if language is None else language
    new_email, phone_e164 = _check_contacts(
        errors,
        "" if email is None else email,
        "" if phone is None else phone,
        language=new_language,
        email_taken=_("Another account already uses this email address."),
        phone_taken=_("Another account already uses this phone number."),
        other_than=user.pk,
    )
    names = {"first_name": first_name, "last_name": last_name}
    for field, value in names.items():
        if value is not None and len(value.strip()) > NAME_MAX:
            errors.setdefault(field, []).append(
                ValidationError(_("Use at most %(most)d characters.") % {"most": NAME_MAX}, code="max_length")
            )
    pending = pending_phone_change(user)
    # How the person is reached changes (a wrong value too, for the password's sake): that needs
    # the password. Giving the account's own number again only withdraws a waiting one.
    email_differs = email is not None and email.strip().lower() != (user.email or "")
    phone_differs = phone is not None and ("phone" in errors or phone_e164 != user.phone)
    removes_phone = phone_differs and "phone" not in errors and phone_e164 is None
    asks_for_code = phone_differs and "phone" not in errors and phone_e164 is not None
    withdraws = phone is not None and phone_e164 is not None and phone_e164 == user.phone and pending is not None

    kept_email = new_email if email is not None else (user.email or "")
    kept_phone = None if removes_phone else user.phone
    if not user.is_staff and not kept_email and not kept_phone and "email" not in errors:
        message = (
            _("Keep your email address until your new phone number is confirmed.")
            if asks_for_code
            else _("Keep an email address or a phone number, so the city can reach you.")
        )
        errors.setdefault("email", []).append(ValidationError(message, code="required"))
    if email_differs or phone_differs:
        refusal = _password_refusal(user, current_password)
        if refusal is not None:
            errors.setdefault("current_password", []).append(refusal)
            # Without the password, whether an address has an account is nobody's business.
            for field in ("email", "phone"):
                kept = [error for error in errors.get(field, []) if error.code != "taken"]
                if kept:
                    errors[field] = kept
                else:
                    errors.pop(field, None)
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]

    changed: list[str] = []
    for field, value in names.items():
        if value is not None and value.strip() != getattr(user, field):
            setattr(user, field, value.strip())
            changed.append(field)
    if new_language != user.language:
        user.language = new_language
        changed.append("language")
    if email_differs:
        user.email = new_email or None
        changed.append("email")
    if removes_phone:
        user.phone = None
        changed.append("phone")
    try:
        with transaction.atomic():
            if changed:
                user.save(update_fields=changed)
                publish(ContactDetailsChanged(user_id=user.pk, fields=tuple(changed)))
            if removes_phone or withdraws:
                PhoneConfirmation.objects.filter(user=user).delete()
            if asks_for_code:
                assert phone_e164 is not None
                _ask_for_code(user, phone_e164)
    except IntegrityError:
        # Another account took the address between the check and the save.
        user.refresh_from_db()
        raise ValidationError(
            {"email": ValidationError(_("Another account already uses this email address."), code="taken")}
        ) from None
    except ValidationError:
        user.refresh_from_db()  # nothing was saved: the object says so too
        raise
    waiting = (
        phone_e164 if asks_for_code else (None if removes_phone or withdraws or pending is None else pending.phone)
    )
    return DetailsChange(user=user, changed=tuple(changed), phone_pending=waiting, code_sent=asks_for_code)


def resend_phone_code(user: User) -> PhoneConfirmation:
    """Text a new code to the number waiting for one (the old code stops working)."""
    pending = pending_phone_change(user)
    if pending is None:
        raise ValidationError({"code": ValidationError(_("No new phone number is waiting for a code."), code="none")})
    with transaction.atomic():
        _ask_for_code(user, pending.phone)
    return PhoneConfirmation.objects.get(user=user)


def forget_unconfirmed_phones() -> int:
    """Retention: numbers whose code nobody entered for FORGET_UNCONFIRMED_AFTER are forgotten
    (an hourly job). Returns how many."""
    cutoff = timezone.now() - FORGET_UNCONFIRMED_AFTER
    with transaction.atomic():
        forgotten, _by_model = PhoneConfirmation.objects.filter(sent_at__lt=cutoff).delete()
        if forgotten:
            record_retention(
                "accounts.PhoneConfirmation",
                forgotten,
                f"{forgotten} phone numbers never confirmed forgotten after a day",
            )
    return forgotten


def cancel_phone_change(user: User) -> None:
    """Forget the number waiting for its code; the account keeps the one it has."""
    with transaction.atomic():
        PhoneConfirmation.objects.filter(user=user).delete()


def confirm_phone(user: User, code: str) -> User:
    """The code texted to the waiting number was entered: the account uses that number from now on.

    Digits are read in any width (NFKC) with spaces and hyphens ignored. A wrong code counts; after
    CODE_TRIES of them, or CODE_VALID_FOR after it was sent, only a new code works."""
    typed = "".join(ch for ch in unicodedata.normalize("NFKC", code) if not ch.isspace() and ch != "-")
    if not (len(typed) == CODE_DIGITS and typed.isascii() and typed.isdigit()):
        raise ValidationError({"code": ValidationError(_("Enter the 6 digits from the text message."), code="invalid")})
    refusal: ValidationError | None = None
    with transaction.atomic():
        pending = PhoneConfirmation.objects.select_for_update().filter(user=user).first()
        if pending is None:
            refusal = ValidationError(_("No new phone number is waiting for a code."), code="none")
        elif timezone.now() - pending.sent_at > CODE_VALID_FOR:
            refusal = ValidationError(_("This code has expired. Send a new code."), code="expired")
        elif pending.attempts >= CODE_TRIES:
            refusal = ValidationError(_("Too many wrong codes. Send a new code."), code="throttled")
        elif not constant_time_compare(pending.code_hash, _code_hash(user, pending.phone, typed)):
            pending.attempts += 1
            pending.save(update_fields=["attempts"])  # kept: the refusal is raised after commit
            refusal = ValidationError(_("That code is not right. Check the text message and try again."), code="wrong")
        elif User.objects.exclude(pk=user.pk).filter(phone=pending.phone).exists():
            pending.delete()
            refusal = ValidationError(_("Another account already uses this phone number."), code="taken")
        else:
            previous = user.phone
            try:
                with transaction.atomic():  # a savepoint: a number taken this very moment
                    user.phone = pending.phone
                    user.save(update_fields=["phone"])
            except IntegrityError:
                user.phone = previous
                refusal = ValidationError(_("Another account already uses this phone number."), code="taken")
            pending.delete()
            if refusal is None:
                publish(ContactDetailsChanged(user_id=user.pk, fields=("phone",)))
    if refusal is not None:
        raise ValidationError({"code": refusal})
    return user
