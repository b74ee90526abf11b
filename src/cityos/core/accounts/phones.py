"""Phone numbers are stored in E.164; people type them the way they are used to."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def default_region() -> str:
    return getattr(settings, "CITYOS_PHONE_REGION", "US")


def normalise_phone(raw: str) -> str:
    """Return ``raw`` in E.164, or raise ValidationError saying what is wrong.

    An extension ("ext. 89", "x89") is refused: the library reads it and E.164 drops it, so the
    number kept would not be the one given, and a text message cannot reach an extension."""
    try:
        number = phonenumbers.parse(raw, default_region())
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
