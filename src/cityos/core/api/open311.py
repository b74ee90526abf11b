"""Open311 GeoReport v2 at ``/open311/v2/``: the city's services residents and other systems may
send requests to, and the state of those requests, for any 311 app or aggregator.

The core serves the standard (formats, parameters, errors, discovery); each domain that takes
requests registers an :class:`~cityos.core.registry.Open311Provider` with its services, how to
store a request and how to find requests. Request ids are ``<prefix>-<the domain's id>``.

XML is the standard's required format and JSON is offered too, chosen by the path's extension.
Errors are a list of ``{code, description}`` in the caller's language (``Accept-Language``),
including a query or body Django will not parse (too many fields, too big, broken, not UTF-8),
a method an address does not take (405, with ``Allow``) and an address that is not one of the
standard's (404, in the format its extension names, JSON when it names none the server offers).
Posting needs no key: like the city's own forms, submissions count against the domain's hourly
limit per address. Descriptions residents wrote are not published in the public lists; they and
addresses are kept without the bidi controls (``core.inputs.clean_text``), as the forms keep them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.core.validators import ProhibitNullCharactersValidator, validate_email
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import path, re_path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt

from cityos.core.audit.context import acting_as, current_actor
from cityos.core.inputs import clean_text
from cityos.core.ratelimit import over_hourly_limit
from cityos.core.registry import (
    Open311Attribute,
    Open311Provider,
    Open311Query,
    Open311Request,
    Open311Service,
    Open311Submission,
    registry,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_DESCRIPTION = 4000
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)  # the standard's default window and the longest a query may span
FORMATS = {"json": "application/json", "xml": "text/xml"}
# Errors for an address whose extension names no format offered here (JSON says so most plainly).
FALLBACK_FORMAT = "json"
SAFE_METHODS = ("GET", "HEAD")
FORM = "application/x-www-form-urlencoded"
# What Django raises when it will not (or cannot) parse a request's query or body.
UNREADABLE = (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    BadRequest,
    MultiPartParserError,
    UnreadablePostError,
)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MAX_ANSWER = 250  # characters of one attribute's answer
# When this endpoint's behaviour last changed (the discovery document's changeset).
CHANGESET = datetime(2026, 11, 26, tzinfo=UTC)
# Dates outside these years are refused rather than overflowing date arithmetic.
YEARS = (1970, 2999)
# Asked by id, a request is found whenever it was made, whatever its state or service (the ids
# themselves are each provider's, filled in per provider).
BY_ID = Open311Query(
    None, frozenset(), datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC), frozenset(), MAX_RESULTS
)


class Open311Error(Exception):
    def __init__(self, status: int, descriptions: Iterable[str], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.descriptions = list(descriptions)
        self.headers = dict(headers or {})


# --- Output ---------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Characters XML 1.0 cannot carry (e.g. a control character echoed back in an error) are
    # dropped, so every answer stays well-formed for the clients that parse it.
    return NOT_XML.sub("", str(value))


def _w3(moment: datetime | None) -> str | None:
    """W3C date-time with the zone (the standard requires one)."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment is not None else None


def _element(parent: ElementTree.Element, name: str, value: Any) -> None:
    child = ElementTree.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _element(child, key, item)
    elif isinstance(value, list):
        singular = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
        for item in value:
            _element(child, singular.get(name, "item"), item)
    else:
        child.text = _text(value)


def _respond(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]] | dict[str, Any], status: int = 200
) -> HttpResponse:
    """``rows`` as JSON (a list, or one object) or as XML under ``<root>`` with one ``<item>`` each."""
    if fmt == "json":
        return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})
    top = ElementTree.Element(root)
    if isinstance(rows, list):
        for row in rows:
            _element(top, item, row)
    else:
        for key, value in rows.items():
            _element(top, key, value)
    body = ElementTree.tostring(top, encoding="unicode")
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + body, content_type="text/xml; charset=utf-8", status=status
    )


def _errors(fmt: str, error: Open311Error) -> HttpResponse:
    rows = [{"code": error.status, "description": d} for d in error.descriptions]
    response = _respond(fmt, "errors", "error", rows, status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        # A resource in no format offered here does not exist: the standard's 404.
        message = _("There is no “%(format)s” format here: end the address with .xml or .json.")
        raise Open311Error(404, [message % {"format": fmt[:20]}])
    return fmt


def _unreadable(request: HttpRequest, error: Exception) -> Open311Error:
    """Django's refusal to parse the query or body, as the standard's error (Django's own answer
    would be its HTML error page, which no GeoReport client can read)."""
    if isinstance(error, SuspiciousOperation):
        # Still logged where Django logs it, for whoever watches for abuse.
        logging.getLogger(f"django.security.{type(error).__name__}").warning("%s", error, extra={"request": request})
    if isinstance(error, RequestDataTooBig):
        return Open311Error(413, [_("The request is larger than this server accepts.")])
    if isinstance(error, TooManyFieldsSent):
        most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        message = ngettext(
            "The request has more than %(max)d parameter.", "The request has more than %(max)d parameters.", most
        )
        return Open311Error(400, [message % {"max": most}])
    if isinstance(error, TooManyFilesSent):
        most = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        message = ngettext("The request has more than %(max)d file.", "The request has more than %(max)d files.", most)
        return Open311Error(400, [message % {"max": most}])
    if isinstance(error, BadRequest):  # Django's only one here: a form declared in another charset
        return Open311Error(400, [_not_utf8()])
    return Open311Error(
        400, [_("The request body could not be read. Send the fields form-encoded (%(type)s).") % {"type": FORM}]
    )


def _not_utf8() -> str:
    return _("The request is not valid UTF-8. Send the fields form-encoded in UTF-8.")


def _query_params(request: HttpRequest) -> QueryDict:
    """The query's parameters, refused when they are not UTF-8 (Django puts U+FFFD in place of
    what it cannot decode, so `service_code=%FF` would quietly match nothing)."""
    try:
        params = request.GET
    except UNREADABLE as error:
        raise _unreadable(request, error) from error
    if any("\ufffd" in text for name, values in params.lists() for text in (name, *values)):
        # WSGI hands the query over as Latin-1 text: its bytes, then %-escapes, must be UTF-8.
        raw = request.META.get("QUERY_STRING", "").encode("iso-8859-1", errors="replace")
        try:
            parse_qsl(raw.decode(), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as error:
            raise Open311Error(400, [_not_utf8()]) from error
    return params


def _form(request: HttpRequest) -> QueryDict:
    """The posted fields, refused in the standard's format when Django will not parse them or
    when they are not UTF-8 (Django would otherwise guess, or quietly put U+FFFD in their place)."""
    try:
        data = request.POST
        body = request.body if request.content_type == FORM else None
    except UNREADABLE as error:
        raise _unreadable(request, error) from error
    replaced = any("\ufffd" in text for name, values in data.lists() for text in (name, *values))
    if body is not None:
        try:
            if replaced or not body.isascii():
                # Raw bytes and %-escapes alike must decode; a U+FFFD the client meant is kept.
                parse_qsl(body.decode(), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as error:
            raise Open311Error(400, [_not_utf8()]) from error
    elif replaced:
        # Multipart parts Django could not decode; their bytes are gone, so it cannot tell a
        # U+FFFD the client meant (rare enough to ask for it form-encoded).
        raise Open311Error(400, [_not_utf8()])
    return data


def _served_jurisdictions() -> tuple[str, ...]:
    """The jurisdiction ids this endpoint answers to: the base URL's host, then the configured ones."""
    host = urlsplit(settings.CITYOS_BASE_URL).hostname or ""
    configured = [j.strip() for j in settings.CITYOS_OPEN311_JURISDICTIONS.split(",")]
    return tuple(dict.fromkeys(j for j in (host, *configured) if j))


def _check_jurisdiction(request: HttpRequest, params: QueryDict) -> None:
    """One city per endpoint: ``jurisdiction_id`` may be left out (the standard needs it only where
    an endpoint serves several), but one naming another city is the standard's 404, so that an
    app set up for that city does not file its residents' requests here."""
    asked = params.getlist("jurisdiction_id")
    if request.method == "POST":
        asked += _form(request).getlist("jurisdiction_id")
    served = _served_jurisdictions()
    known = {j.casefold() for j in served}
    for value in asked:
        if value.strip() and value.strip().casefold() not in known:
            message = _("This endpoint does not serve the jurisdiction “%(asked)s”; it serves: %(served)s.") % {
                "asked": value.strip()[:60],
                "served": ", ".join(served),
            }
            raise Open311Error(404, [message])


def _method_not_allowed(request: HttpRequest, allowed: tuple[str, ...]) -> Open311Error:
    listed = ", ".join(allowed)
    message = _("This address does not take %(method)s, only %(allowed)s.") % {
        "method": (request.method or "")[:20],
        "allowed": listed,
    }
    return Open311Error(405, [message], headers={"Allow": listed})


def _answer(*methods: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve a view on GET and HEAD (and ``methods``), turning Open311Error, a wrong format and a
    wrong method into the standard's error list, in the format asked for."""
    allowed = (*SAFE_METHODS, *methods)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        # Other systems call without a session, and nothing here reads one; exempt on every
        # address so a wrong method gets its 405 rather than the site's CSRF page. Being exempt,
        # a signed-in browser's cookie must count for nothing: whatever is audited here is the
        # anonymous caller's, never that of staff whose browser a page made post here.
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            shown = fmt if fmt in FORMATS else FALLBACK_FORMAT
            try:
                _format(fmt)  # an address that does not exist comes before its methods
                if request.method not in allowed:
                    raise _method_not_allowed(request, allowed)
                # Parsed up front, so every endpoint refuses a query Django will not parse alike;
                # then one naming another city.
                _check_jurisdiction(request, _query_params(request))
                with acting_as(replace(current_actor(), user_id=None, label="anonymous", channel="api")):
                    return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return _errors(shown, error)

        return wrapped

    return decorate


# --- Services -------------------------------------------------------------------------------


def _services() -> list[tuple[Open311Provider, Open311Service]]:
    return [(provider, service) for provider in registry.open311.values() for service in provider.services]


def _service(code: str) -> tuple[Open311Provider, Open311Service]:
    for provider, service in _services():
        if service.code == code:
            return provider, service
    raise Open311Error(404, [_("There is no service “%(code)s”.") % {"code": code[:60]}])


def _service_row(service: Open311Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": str(service.name),
        "description": str(service.description),
        "metadata": bool(service.attributes),
        "type": "realtime",
        "keywords": ",".join(service.keywords),
        "group": str(service.group),
    }


@_answer()
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Where this city's GeoReport v2 lives, for apps that find endpoints themselves."""
    url = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "xml"})).rsplit("/", 1)[0]
    row = {
        "changeset": _w3(CHANGESET),
        "contact": getattr(settings, "CITYOS_CONTACT", "") or settings.CITYOS_BASE_URL,
        "key_service": _("No key is needed."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": _w3(CHANGESET),
                "type": "production",
                "formats": list(FORMATS.values()),
            }
        ],
    }
    return _respond(fmt, "discovery", "", row)


@_answer()
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every kind of request the city takes."""
    return _respond(fmt, "services", "service", [_service_row(s) for _p, s in _services()])


@_answer()
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The questions a service asks with each request."""
    _provider, service = _service(code)
    attributes = [
        {
            "variable": True,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": str(a.datatype_description),
            "order": order,
            "description": str(a.description),
            "values": [{"key": key, "name": str(name)} for key, name in a.values],
        }
        for order, a in enumerate(service.attributes, start=1)
    ]
    return _respond(fmt, "service_definition", "", {"service_code": service.code, "attributes": attributes})


# --- Requests -------------------------------------------------------------------------------


def _coordinate(data: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        raise Open311Error(
            400, [_("%(name)s must be a number from %(low)g to %(high)g.") % {"name": name, "low": low, "high": high}]
        )
    return value


def _submission(data: Mapping[str, str], service: Open311Service) -> Open311Submission:
    problems: list[str] = []
    try:
        lat = _coordinate(data, "lat", -90, 90)
        lon = _coordinate(data, "long", -180, 180)
    except Open311Error as error:
        problems += error.descriptions
        lat = lon = None
    # Free text residents typed is kept without the bidi controls, as the city's forms keep it.
    address = clean_text(data.get("address_string") or "").strip()[:250]
    if (lat is None) != (lon is None):
        problems.append(_("Give both lat and long, or neither."))
    elif lat is None and not address and not problems:
        problems.append(_("Say where: give lat and long, or address_string."))
    description = clean_text(data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        problems.append(
            _("The description may be at most %(max)d characters (it has %(n)d).")
            % {"max": MAX_DESCRIPTION, "n": len(description)}
        )
    email = (data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("email: enter a valid email address."))
    answers = {a.code: (data.get(f"attribute[{a.code}]") or "").strip() for a in service.attributes}
    for attribute in service.attributes:
        problem = _answer_problem(attribute, answers[attribute.code])
        if problem:
            problems.append(problem)
    if problems:
        raise Open311Error(400, problems)
    return Open311Submission(
        service_code=service.code,
        lat=lat,
        long=lon,
        address=address,
        description=description,
        attributes={k: v for k, v in answers.items() if v},
        phone=(data.get("phone") or "").strip()[:32],
        email=email,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        media_url=(data.get("media_url") or "").strip(),
    )


def _answer_problem(attribute: Open311Attribute, answer: str) -> str | None:
    """What is wrong with one attribute's answer, checked against its datatype, or None."""
    name = f"attribute[{attribute.code}]"
    if not answer:
        return _("%(name)s is required.") % {"name": name} if attribute.required else None
    if len(answer) > MAX_ANSWER:
        return _("%(name)s may be at most %(max)d characters.") % {"name": name, "max": MAX_ANSWER}
    if attribute.datatype == "singlevaluelist" and answer not in {key for key, _label in attribute.values}:
        keys = ", ".join(key for key, _label in attribute.values)
        return _("%(name)s must be one of: %(keys)s.") % {"name": name, "keys": keys}
    if attribute.datatype == "number":
        try:
            float(answer)
        except ValueError:
            return _("%(name)s must be a number.") % {"name": name}
    if attribute.datatype == "datetime" and _parsed_datetime(answer) is None:
        return _("%(name)s must be a date and time such as 2026-11-01T00:00:00Z.") % {"name": name}
    return None


def _refusal(error: ValidationError) -> Open311Error:
    if hasattr(error, "error_dict"):
        return Open311Error(400, [f"{field}: {m}" for field, messages in error.message_dict.items() for m in messages])
    return Open311Error(400, error.messages)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = _form(request)
    if any("\x00" in value for _name, values in data.lists() for value in values):
        # PostgreSQL cannot store it; Django's own (translated) message says what is wrong.
        raise Open311Error(400, [str(ProhibitNullCharactersValidator.message)])
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, [_("service_code is required.")])
    provider, service = _service(code)
    submission = _submission(data, service)
    if over_hourly_limit(request, provider.limit_scope, provider.limit_per_hour()):
        message = _("Too many requests from this address. Please try again in an hour.")
        raise Open311Error(429, [message], headers={"Retry-After": "3600"})
    try:
        receipt = provider.submit(submission)
    except ValidationError as error:
        raise _refusal(error) from error
    row = {
        "service_request_id": f"{provider.prefix}-{receipt.id}",
        "service_notice": receipt.notice,
        "account_id": None,
    }
    return _respond(fmt, "service_requests", "request", [row], status=201)


def _parsed_datetime(raw: str) -> datetime | None:
    """A W3C date-time (local time when it has no zone) within ``YEARS``, or None."""
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        return None
    if parsed is None or not YEARS[0] <= parsed.year <= YEARS[1]:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _when(data: Mapping[str, str], name: str) -> datetime | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    parsed = _parsed_datetime(raw)
    if parsed is None:
        raise Open311Error(400, [_("%(name)s must be a date and time such as 2026-11-01T00:00:00Z.") % {"name": name}])
    return parsed


def _split_ids(raw: str) -> dict[str, tuple[str, ...]]:
    """``prefix-id`` tokens by provider; ids a provider could not have made are dropped."""
    wanted: dict[str, list[str]] = {}
    for token in filter(None, (t.strip() for t in raw.split(",")[:MAX_RESULTS])):
        prefix, _sep, local = token.rpartition("-")
        if prefix in registry.open311 and local and len(local) <= 64:
            wanted.setdefault(prefix, []).append(local)
    return {k: tuple(v) for k, v in wanted.items()}


def _query(data: Mapping[str, str]) -> tuple[dict[str, tuple[str, ...]] | None, Open311Query]:
    ids = (data.get("service_request_id") or "").strip()
    if ids:
        # Asked by id: the other filters do not apply (the standard).
        return _split_ids(ids), BY_ID
    statuses = frozenset(s.strip().lower() for s in (data.get("status") or "").split(",") if s.strip())
    if statuses - {"open", "closed"}:
        raise Open311Error(400, [_("status may be open, closed or both (comma separated).")])
    codes = frozenset(c.strip() for c in (data.get("service_code") or "").split(",") if c.strip())
    end = _when(data, "end_date")
    start = _when(data, "start_date")
    end = end or ((start + MAX_SPAN) if start else timezone.now())
    start = start or (end - MAX_SPAN)
    if start > end:
        raise Open311Error(400, [_("start_date must be before end_date.")])
    if end - start > MAX_SPAN:
        raise Open311Error(400, [_("start_date and end_date may be at most 90 days apart.")])
    return None, Open311Query(None, codes, start, end, statuses, MAX_RESULTS)


def _request_row(provider: Open311Provider, found: Open311Request, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "service_request_id": f"{provider.prefix}-{found.id}",
        "status": found.status,
        "status_notes": found.status_notes,
        "service_name": names.get(found.service_code, ""),
        "service_code": found.service_code,
        "description": found.description,
        "agency_responsible": found.agency_responsible,
        "service_notice": "",
        "requested_datetime": _w3(found.requested),
        "updated_datetime": _w3(found.updated),
        "expected_datetime": _w3(found.expected),
        "address": found.address,
        "address_id": None,
        "zipcode": None,
        "lat": found.lat,
        "long": found.long,
        "media_url": None,
    }


def _find(wanted: dict[str, tuple[str, ...]] | None, query: Open311Query) -> list[dict[str, Any]]:
    names = {s.code: str(s.name) for _p, s in _services()}
    rows: list[tuple[datetime, dict[str, Any]]] = []
    for prefix, provider in registry.open311.items():
        if wanted is not None:
            if prefix not in wanted:
                continue
            asked = replace(query, ids=wanted[prefix])
        else:
            asked = query
        rows += [(found.requested, _request_row(provider, found, names)) for found in provider.find(asked)]
    rows.sort(key=lambda pair: pair[0], reverse=True)
    return [row for _when_, row in rows[:MAX_RESULTS]]


@_answer("POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST: send a request (form-encoded, as the standard says). GET: find requests."""
    if request.method == "POST":
        return _create(request, fmt)
    wanted, query = _query(_query_params(request))
    return _respond(fmt, "service_requests", "request", _find(wanted, query))


@_answer()
def one_request(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    """One request's state (a list of one, as the standard answers)."""
    wanted = _split_ids(request_id) if "," not in request_id else {}
    found = _find(wanted, BY_ID)[:1] if wanted else []
    if not found:
        raise Open311Error(404, [_("There is no request “%(id)s”.") % {"id": request_id[:60]}])
    return _respond(fmt, "service_requests", "request", found)


@csrf_exempt  # as the endpoints: a POST here gets the 404, not the site's CSRF page
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other address under the endpoint: the standard's 404 (not the site's HTML page), in
    the format its extension names."""
    _stem, dot, extension = rest.rpartition(".")
    fmt = extension if dot and extension in FORMATS else FALLBACK_FORMAT
    message = _(
        "There is nothing at this address. The addresses here are discovery, services, "
        "services/<service_code>, requests and requests/<service_request_id>, each ending in .xml or .json."
    )
    return _errors(fmt, Open311Error(404, [message]))


app_name = "open311"
urlpatterns = [
    path("discovery.<str:fmt>", discovery, name="discovery"),
    path("services.<str:fmt>", services, name="services"),
    path("services/<str:code>.<str:fmt>", service_definition, name="service"),
    path("requests.<str:fmt>", requests, name="requests"),
    path("requests/<str:request_id>.<str:fmt>", one_request, name="request"),
    # Last: whatever the patterns above do not match, newlines in the path included.
    re_path(r"^(?P<rest>[\s\S]*)\Z", not_found, name="not-found"),
]
