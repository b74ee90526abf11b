"""Shared schema pieces: the problem documents and field types with translated errors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from cityos.core.inputs import clean_text
from cityos.core.web.fields import OUT_OF_RANGE, day_in_range


class FieldError(Schema):
    field: str = Field(description="Where the bad value is, e.g. 'body.email' or 'query.limit'.")
    message: str = Field(description="What is wrong and how to fix it, in the request's language.")
    code: str = Field(description="A stable code, e.g. 'missing', 'string_too_long', 'email'.")


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem; 'about:blank' for plain HTTP errors.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request that failed.")


class ValidationProblem(Problem):
    errors: list[FieldError]


def _valid_email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        # The type is the error code in the problem; its message is translated there.
        raise PydanticCustomError("email", "Enter a valid email address.") from None
    return value


# An email address checked like Django's forms check it (pydantic's EmailStr needs another library).
Email = Annotated[str, Field(max_length=254, json_schema_extra={"format": "email"}), AfterValidator(_valid_email)]


def _day_in_range(value: date) -> date:
    if not day_in_range(value):  # the same years as the forms; problems.py translates the message
        raise PydanticCustomError("date_out_of_range", str(OUT_OF_RANGE))
    return value


def _moment_in_range(value: datetime) -> datetime:
    _day_in_range(value.date())
    return value


Day = Annotated[date, AfterValidator(_day_in_range)]
Moment = Annotated[datetime, AfterValidator(_moment_in_range)]


def _clean_text(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value  # anything else: str's own error


# Free text people type (a name, an address, a note), without the bidi controls, as the forms'
# TextField; cleaned before its lengths and pattern are checked. With constraints, the marker comes
# after them: ``Annotated[str, Field(max_length=200), CLEAN_TEXT]`` (``| None`` for an optional
# one). Before them, or with a ``Field`` on an optional ``Text``, pydantic checks the lengths as a
# list's (error "too_long", not "string_too_long"), and the API's codes and messages change.
CLEAN_TEXT = BeforeValidator(_clean_text)
Text = Annotated[str, CLEAN_TEXT]
