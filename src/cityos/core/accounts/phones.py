"""Phone numbers are stored in E.164; people type them the way they are used to.

Every phone field reads what was typed through :func:`normalise_phone` (or, for a field that
takes either, :func:`normalise_email_or_phone`): full-width digits, plus signs, spaces, hyphens
and brackets, as Chinese and Japanese input methods type them, are read as their ASCII forms."""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


def default_region() -> str:
    return getattr(settings, "CITYOS_PHONE_REGION", "US")


def phone_text(raw: str) -> str:
    """``raw`` in NFKC: full-width digits and signs (U+FF01-FF5E) and the ideographic space are their
    ASCII forms. Other scripts' digits (Arabic-Indic, Devanagari) are no compatibility forms: the
    phone library reads them itself."""
    return unicodedata.normalize("NFKC", raw).strip()


def phone_digits(raw: str) -> str:
    """The digits of ``raw`` as ASCII, in any script and width, e.g. to find a stored number by part
    of it."""
    return "".join(str(unicodedata.decimal(ch)) for ch in phone_text(raw) if unicodedata.decimal(ch, None) is not None)


def normalise_phone(raw: str) -> str:
    """Return ``raw`` in E.164, or raise ValidationError saying what is wrong.

    An extension ("ext. 89", "x89") is refused: the library reads it and E.164 drops it, so the
    number kept would not be the one given, and a text message cannot reach an extension."""
    try:
        number = phonenumbers.parse(phone_text(raw), default_region())
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("Enter a phone number such as +1 415 555 0100."), code="invalid_phone") from error
    if number.extension:
        raise ValidationError(
            _("Give a phone number without an extension: text messages cannot reach an extension."),
            code="extension",
        )
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This is not a valid phone number. Check the digits and the country code."), code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(identifier: str) -> bool:
    return "@" not in identifier and any(ch.isdigit() for ch in identifier)


def normalise_email_or_phone(raw: str) -> str:
    """An email address (lower-cased) or a phone number (E.164) as one field takes either; ""
    for nothing. A ValidationError says which was expected and what is wrong with it."""
    raw = raw.strip()
    if not raw:
        return ""
    if "@" in raw:
        address = raw.lower()
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                _("Enter a valid email address, e.g. name@example.org, or a phone number."), code="invalid_email"
            ) from None
        return address
    try:
        return normalise_phone(raw)
    except ValidationError as error:
        if error.code == "extension":
            raise
        raise ValidationError(
            _("Enter a phone number, e.g. +1 415 555 0100, or an email address."), code="invalid_phone"
        ) from error
