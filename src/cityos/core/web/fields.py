"""Form fields every app uses: for dates, Django's kept to years a record can have; for free text
people type (names, addresses, notes), Django's without the bidi controls (``core.inputs``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cityos.core.inputs import clean_text

# Far enough either way for any real record, near enough that a day added or a time zone applied
# never leaves what Python and the database can hold. The API's schemas (core.api.schemas.Day)
# and the pages' own date filters use the same years and message.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)
OUT_OF_RANGE = _("Enter a date from 1900 to 2199.")


def day_in_range(value: date) -> bool:
    return EARLIEST_DAY <= value <= LATEST_DAY


def _check_day(value: date | None) -> None:
    if value is not None and not day_in_range(value):
        raise ValidationError(OUT_OF_RANGE, code="date_out_of_range")


class DayField(forms.DateField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators.append(_check_day)


class MomentField(forms.DateTimeField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators.append(lambda value: _check_day(value.date() if isinstance(value, datetime) else value))


class TextField(forms.CharField):
    """A CharField for free text people type: the bidi controls are removed before the value is
    stripped and checked (so a name of only controls is an empty one), as the API's ``Text`` does."""

    def to_python(self, value: Any) -> str | None:
        return super().to_python(clean_text(value) if isinstance(value, str) else value)
