"""Every write to people and roles goes through here: validation, one transaction, events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from cityos.core.accounts.models import Department, Language, Role, StaffRole, User
from cityos.core.accounts.phones import normalise_phone
from cityos.core.events import Event, publish


@dataclass(frozen=True, kw_only=True)
class ResidentSignedUp(Event):
    name = "accounts.resident_signed_up"
    user_id: int
    language: str


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
            if role == Role.ADMINISTRATOR:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
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
