"""RFC 9457 problem details: the one shape of every error the API returns.

A problem is ``{"type", "title", "status", "detail", "instance"}`` sent as
``application/problem+json``; validation problems add ``errors``, a list of
``{"field": "body.email", "message": "...", "code": "..."}`` in the request's language.

Routers raise :class:`ApiProblem` (or ninja's ``HttpError``, Django's ``Http404``,
``PermissionDenied`` and ``ValidationError``); the handlers installed by
:func:`install_problem_handlers` turn each into a problem, so no router formats errors itself.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import ProhibitNullCharactersValidator
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from cityos.core.web.fields import OUT_OF_RANGE

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are URNs documented in the API description (see site.py); plain HTTP errors
# use "about:blank" as RFC 9457 recommends, with the status phrase as the title.
TYPE_BLANK = "about:blank"
TYPE_VALIDATION = "urn:cityos:problem:validation-error"
TYPE_RATE_LIMITED = "urn:cityos:problem:rate-limited"
TYPE_INVALID_TOKEN = "urn:cityos:problem:invalid-token"  # noqa: S105 - a problem type, not a secret
TYPE_INSUFFICIENT_SCOPE = "urn:cityos:problem:insufficient-scope"
TYPE_CSRF = "urn:cityos:problem:csrf-failed"
TYPE_MISSING_ROLE = "urn:cityos:problem:missing-role"


def status_title(status: int) -> str:
    """The HTTP status phrase, translated where a translation exists."""
    titles = {
        400: _("Bad request"),
        401: _("Not signed in"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        422: _("The request has invalid fields"),
        429: _("Too many requests"),
        500: _("Internal server error"),
        503: _("Service unavailable"),
    }
    if status in titles:
        return titles[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _("Error")


class ApiProblem(HttpError):
    """An error a router raises to answer with a problem; handled for every router alike."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        type: str = TYPE_BLANK,  # the RFC's name for the member
        title: str = "",
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail or title or status_title(status))
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str = "",
    *,
    type: str = TYPE_BLANK,
    title: str = "",
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": type,
        "title": str(title or status_title(status)),
        "status": status,
        "detail": str(detail or title or status_title(status)),
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        # A lone surrogate echoed from the input cannot be UTF-8: written as its JSON escape.
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False).encode("utf-8", "backslashreplace"),
        status=status,
        content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    if status == 401 and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Bearer realm="CityOS API"'
    return response


def is_problem(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith(PROBLEM_CONTENT_TYPE)


# --- Validation messages: pydantic's, in the request's language --------------------------------


_QUOTED_OR = re.compile(r"""(['"]) or (['"])""")


def _ctx(error: Mapping[str, Any], key: str) -> Any:
    return (error.get("ctx") or {}).get(key)


def translate_pydantic_error(error: Mapping[str, Any]) -> str:
    """A message for one pydantic error in the active language; pydantic's English otherwise."""
    kind = str(error.get("type", ""))
    original = str(error.get("msg", ""))
    limit: Any
    simple = {
        "missing": _("This field is required."),
        "string_type": _("Enter text."),
        "int_type": _("Enter a whole number."),
        "int_parsing": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "float_type": _("Enter a number."),
        "float_parsing": _("Enter a number."),
        "decimal_type": _("Enter a number."),
        "decimal_parsing": _("Enter a number."),
        "finite_number": _("Enter a finite number."),
        "bool_type": _("Enter true or false."),
        "bool_parsing": _("Enter true or false."),
        "date_type": _("Enter a valid date (YYYY-MM-DD)."),
        "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_inexact": _("Enter a date without a time."),
        "datetime_type": _("Enter a valid date and time (ISO 8601)."),
        "datetime_parsing": _("Enter a valid date and time (ISO 8601)."),
        "datetime_from_date_parsing": _("Enter a valid date and time (ISO 8601)."),
        "time_type": _("Enter a valid time (HH:MM)."),
        "time_parsing": _("Enter a valid time (HH:MM)."),
        "uuid_type": _("Enter a valid UUID."),
        "uuid_parsing": _("Enter a valid UUID."),
        "url_type": _("Enter a valid URL."),
        "url_parsing": _("Enter a valid URL."),
        "url_scheme": _("Enter a valid URL."),
        "email": _("Enter a valid email address."),
        "date_out_of_range": str(OUT_OF_RANGE),  # the forms' message: one wording, one translation
        "list_type": _("Enter a list."),
        "dict_type": _("Enter an object."),
        "model_type": _("Enter an object."),
        "model_attributes_type": _("Enter an object."),
        "json_invalid": _("The request body is not valid JSON."),
        "json_type": _("The request body is not valid JSON."),
        "extra_forbidden": _("This field is not allowed."),
        "string_unicode": _("Enter valid text."),
        "string_sub_type": _("Enter text."),
        "none_required": _("This field must be empty."),
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_too_long" and (limit := _ctx(error, "max_length")) is not None:
        return ngettext("Use at most %(limit)d character.", "Use at most %(limit)d characters.", int(limit)) % {
            "limit": int(limit)
        }
    if kind == "string_too_short" and (limit := _ctx(error, "min_length")) is not None:
        return ngettext("Use at least %(limit)d character.", "Use at least %(limit)d characters.", int(limit)) % {
            "limit": int(limit)
        }
    if kind == "too_long" and (limit := _ctx(error, "max_length")) is not None:
        return ngettext("Give at most %(limit)d item.", "Give at most %(limit)d items.", int(limit)) % {
            "limit": int(limit)
        }
    if kind == "too_short" and (limit := _ctx(error, "min_length")) is not None:
        return ngettext("Give at least %(limit)d item.", "Give at least %(limit)d items.", int(limit)) % {
            "limit": int(limit)
        }
    bounds = {
        "greater_than": ("gt", _("Enter a number greater than %(limit)s.")),
        "greater_than_equal": ("ge", _("Enter a number greater than or equal to %(limit)s.")),
        "less_than": ("lt", _("Enter a number less than %(limit)s.")),
        "less_than_equal": ("le", _("Enter a number less than or equal to %(limit)s.")),
    }
    if kind in bounds:
        key, message = bounds[kind]
        if (limit := _ctx(error, key)) is not None:
            return message % {"limit": limit}
    if kind in {"enum", "literal_error"}:
        # pydantic joins the last two choices with an English " or " ('a', 'b' or 'c'): a plain
        # list reads the same in every language.
        expected = _QUOTED_OR.sub(r"\1, \2", str(_ctx(error, "expected") or ""))
        return _("Choose one of: %(choices)s.") % {"choices": expected} if expected else _("Choose a listed value.")
    if kind == "string_pattern_mismatch":
        # The pattern is what the schema publishes (OpenAPI "pattern"): a client can match it.
        if pattern := _ctx(error, "pattern"):
            return _("Use the expected format: %(pattern)s") % {"pattern": pattern}
        return _("Use the expected format.")
    return original or _("This value is not valid.")


def field_name(loc: Iterable[Any]) -> str:
    """``("body", "email")`` -> ``"body.email"`` (see CityNinjaAPI for how the location is built)."""
    return ".".join(str(p) for p in loc)


def validation_errors(exc: NinjaValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors:
        loc = error.get("loc") or ()
        if not isinstance(loc, list | tuple):
            loc = (loc,)
        errors.append(
            {"field": field_name(loc), "message": translate_pydantic_error(error), "code": error.get("type", "invalid")}
        )
    return errors


def django_validation_errors(exc: DjangoValidationError, location: str = "body") -> list[dict[str, Any]]:
    """Field errors from a service's ValidationError, named like request fields (``body.email``)."""
    errors: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for name, field_errors in exc.error_dict.items():
            field = location if name == "__all__" else f"{location}.{name}"
            for error in field_errors:
                for message in error.messages:
                    errors.append({"field": field, "message": message, "code": error.code or "invalid"})
    else:
        for error in exc.error_list:
            for message in error.messages:
                errors.append({"field": location, "message": message, "code": error.code or "invalid"})
    return errors


def validation_problem(request: HttpRequest, errors: list[dict[str, Any]]) -> HttpResponse:
    # Every FieldError has a code (the OpenAPI document says so), even where a router forgot one.
    errors = [{"code": "invalid", **error} for error in errors]
    fields = sorted({e["field"] for e in errors})
    detail = ngettext(
        "Check this field and try again: %(fields)s.",
        "Check these fields and try again: %(fields)s.",
        len(fields),
    ) % {"fields": ", ".join(fields)}
    return problem_response(request, 422, detail, type=TYPE_VALIDATION, errors=errors)


# --- Exception handlers, installed on the one NinjaAPI -------------------------------------


def _on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return validation_problem(request, validation_errors(exc))


def _on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return validation_problem(request, django_validation_errors(exc))


def _on_api_problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    if exc.errors is not None and exc.status_code == 422:
        return validation_problem(request, exc.errors)
    return problem_response(
        request, exc.status_code, exc.detail, type=exc.type, title=exc.title, errors=exc.errors, headers=exc.headers
    )


def _on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    headers = {"Retry-After": str(max(1, round(exc.wait)))} if exc.wait is not None else {}
    return problem_response(
        request,
        429,
        _("This client sent too many requests. Wait before trying again."),
        type=TYPE_RATE_LIMITED,
        headers=headers,
    )


def _on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(request, 401, _("Sign in, or send a valid API token as 'Authorization: Bearer <token>'."))


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 403 and "CSRF" in exc.message:
        return problem_response(
            request, 403, _("The CSRF token is missing or wrong. Send the X-CSRFToken header."), type=TYPE_CSRF
        )
    # ninja's own messages are terse English; routers' messages are their own (translated) words.
    ninja_messages = {
        "Cannot parse request body": _(
            "The request body could not be read. Send JSON with Content-Type: application/json."
        ),
        "Unauthorized": _("Sign in, or send a valid API token as 'Authorization: Bearer <token>'."),
        "Forbidden": _("You do not have permission to do this."),
    }
    return problem_response(request, exc.status_code, ninja_messages.get(exc.message, exc.message))


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, 404, _("Nothing exists at this address."))


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    # A service's refusal says who may do it ("Only the venue's owner or city staff…"): kept.
    return problem_response(request, 403, str(exc) or _("You do not have permission to do this."))


def _on_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A number too big for the database, or a NUL character PostgreSQL cannot store, reached a
    # query: the client's input, not our crash. Still logged: the schema should have refused it.
    logger.warning("API input out of range for the database", extra={"path": request.path}, exc_info=exc)
    if "(0x00)" in str(exc):  # PostgreSQL: "text fields cannot contain NUL (0x00) bytes"
        return problem_response(request, 400, str(ProhibitNullCharactersValidator.message))
    return problem_response(request, 400, _("A number in the request is too large or too small."))


def _on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Django refuses a body past DATA_UPLOAD_MAX_MEMORY_SIZE (or too many fields) when the view
    # first reads it: the client's doing, so a 413, never a 500.
    return problem_response(request, 413, _("The request is larger than this server accepts."))


def _on_bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    # A form body Django cannot parse (no boundary, cut off): read by a session's CSRF check or an
    # operation that takes a form, before any schema sees it. The client's doing, never a 500.
    return problem_response(
        request,
        400,
        _("The request body could not be read. Send the fields form-encoded (%(type)s).")
        % {"type": "multipart/form-data"},
    )


def _on_body_already_read(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
    # A session's CSRF check read a form body (multipart) before a JSON operation could: the
    # client sent a form where JSON is expected.
    return problem_response(
        request, 400, _("The request body could not be read. Send JSON with Content-Type: application/json.")
    )


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API request failed", extra={"path": request.path, "method": request.method})
    return server_error(request)


def server_error(request: HttpRequest) -> HttpResponse:
    # Never the traceback: it would leak code and data to any client.
    return problem_response(request, 500, _("Something went wrong on our side. It has been logged; try again later."))


HANDLERS: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
    (NinjaValidationError, _on_validation_error),
    (DjangoValidationError, _on_django_validation_error),
    (ApiProblem, _on_api_problem),
    (Throttled, _on_throttled),
    (AuthenticationError, _on_authentication_error),
    (HttpError, _on_http_error),
    (Http404, _on_not_found),
    (PermissionDenied, _on_permission_denied),
    (RequestDataTooBig, _on_too_big),
    (TooManyFieldsSent, _on_too_big),
    (TooManyFilesSent, _on_too_big),
    (MultiPartParserError, _on_bad_multipart),
    (RawPostDataException, _on_body_already_read),
    (OverflowError, _on_out_of_range),
    (DataError, _on_out_of_range),
    (Exception, _on_unexpected),
]


def install_problem_handlers(api: NinjaAPI) -> None:
    # ninja picks the handler of the nearest class in the exception's MRO.
    for exception_class, handler in HANDLERS:
        api.add_exception_handler(exception_class, handler)
