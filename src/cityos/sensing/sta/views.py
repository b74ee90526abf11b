"""The SensorThings API v1.1 over HTTP: one dispatcher that resolves the resource path.

Plain Django views answering the standard's JSON (and its error shape), so existing
SensorThings clients work unchanged. Writes are delegated to :mod:`cityos.sensing.services`.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from django.db import DatabaseError, models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.utils import check_csrf

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import is_staff_member
from cityos.core.api import scopes
from cityos.core.api.selectors import token_for_secret
from cityos.core.api.services import note_token_used
from cityos.core.audit.context import Actor, acting_as, current_actor
from cityos.sensing import conf, services
from cityos.sensing.models import PublishGrant
from cityos.sensing.sta.dataarray import create_from_data_array
from cityos.sensing.sta.errors import Forbidden, NotFound, StaError, Unauthorized
from cityos.sensing.sta.options import Options, parse_options
from cityos.sensing.sta.privacy import Visibility, reading
from cityos.sensing.sta.render import Renderer
from cityos.sensing.sta.result_format import data_array_response
from cityos.sensing.sta.schema import BY_PLURAL, ENTITY_TYPES, EntityType, Nav, property_value

logger = logging.getLogger(__name__)

SCOPE_MODULE = "sensing"  # tokens need the "sensing:write" (or "write") scope to change data
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
]
SEGMENT = re.compile(r"^(?P<name>[A-Za-z$]+)(?:\((?P<id>\d+|'\d+')\))?$")


def error_response(error: StaError) -> JsonResponse:
    response = JsonResponse(error.as_json(), status=error.code)
    if error.code == 401:
        response["WWW-Authenticate"] = 'Bearer realm="CityOS SensorThings API"'
    return response


def sign_in_needed() -> Unauthorized:
    return Unauthorized(_("Sign in as staff, or send an API token as 'Authorization: Bearer <token>'."))


def no_entity(type_name: str, pk: object) -> NotFound:
    """The 404 of an id that names nothing (or nothing the reader may see)."""
    return NotFound(services.no_entity_message(type_name, pk))


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("sta-root")).rstrip("/")


def caller(request: HttpRequest) -> User | None:
    """The token's owner or the signed-in person (staff only after TOTP); None when anonymous.

    A token comes as ``Authorization: Bearer <token>`` or as the password of HTTP Basic.
    """
    header = request.headers.get("Authorization", "")
    secret = None
    if header.lower().startswith("bearer "):
        secret = header[7:].strip()
    elif header.lower().startswith("basic "):
        # Clients that only speak Basic (FROST's, QGIS) send the token as the password.
        try:
            secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            raise Unauthorized(_("The Basic credentials are not valid base64 of 'name:token'.")) from None
    if secret is not None:
        token = token_for_secret(secret)
        if token is None or not token.is_active or not is_staff_member(token.owner):
            raise Unauthorized(_("This API token is not valid: it is unknown, expired or revoked."))
        if not scopes.allows(token.scopes, SCOPE_MODULE, request.method or "GET"):
            needed = scopes.needed_scope(SCOPE_MODULE, request.method or "GET")
            raise Forbidden(_("This token lacks the scope '%(scope)s'.") % {"scope": needed})
        note_token_used(token)
        setattr(request, VIA_ATTRIBUTE, token.name)
        if request.method not in scopes.SAFE_METHODS:  # grants limit writes only: reads skip the query
            grants = set(PublishGrant.objects.filter(token=token).values_list("datastream_id", flat=True))
            setattr(request, GRANTS_ATTRIBUTE, grants or None)
        return token.owner
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if user.is_staff and not user.is_verified():  # type: ignore[attr-defined]
        # Between password and second factor a staff session counts for nothing: reads are an
        # anonymous reader's, writes are refused in this API's own format (not the 2FA page).
        if request.method in scopes.SAFE_METHODS:
            return None
        raise Unauthorized(_("Finish signing in with your second factor (/accounts/verify/), or send an API token."))
    if request.method not in scopes.SAFE_METHODS and check_csrf(request) is not None:
        raise Forbidden(_("The CSRF token is missing or wrong. Send the X-CSRFToken header."))
    return user  # type: ignore[return-value]


GRANTS_ATTRIBUTE = "sensing_publish_grants"
VIA_ATTRIBUTE = "sensing_via"  # the name of the API token the caller used


def actor_of(request: HttpRequest, user: User | None) -> Actor:
    """The audit actor of an API request: the token's owner "via token <name>", or the person."""
    actor = current_actor()
    if user is None:
        return actor
    token_name = getattr(request, VIA_ATTRIBUTE, None)
    label = f"{user.get_username()} via token {token_name}" if token_name else user.get_username()
    return replace(actor, user_id=user.pk, label=label, channel="api")


def publish_limit(request: HttpRequest) -> set[int] | None:
    """The datastreams the request's token may publish to, when PublishGrants limit it (after caller())."""
    limit = getattr(request, GRANTS_ATTRIBUTE, None)
    return set(limit) if limit is not None else None


def only_publishing(limit: set[int]) -> Forbidden:
    granted = ", ".join(f"Datastreams({pk})" for pk in sorted(limit))
    return Forbidden(
        _("This token may only create Observations of %(datastreams)s; it may change nothing else.")
        % {"datastreams": granted}
    )


@dataclass
class Target:
    """What a resource path names."""

    entity_type: EntityType
    queryset: QuerySet[Any]
    single: bool
    links: dict[str, models.Model] = field(default_factory=dict)
    property: str = ""
    raw_value: bool = False
    ref: bool = False
    entity_id: int | None = None


def _inverse(nav: Nav) -> str:
    """The name of the link back from the navigation's target to its source."""
    target = ENTITY_TYPES[nav.target]
    return next(name for name, back in target.navs.items() if back.accessor == nav.lookup)


MAX_ID = 2**63 - 1  # the largest id a database column holds


def _entity_id(text: str, entity_type: EntityType) -> int:
    pk = int(text.strip("'"))
    if pk > MAX_ID:
        raise no_entity(entity_type.name, pk)
    return pk


def resolve(path: str, visibility: Visibility | None = None) -> Target:
    """What ``path`` names, of what ``visibility``'s reader may see (404 for the rest)."""
    segments = [s for s in path.strip("/").split("/") if s]
    first = SEGMENT.match(segments[0]) if segments else None
    if first is None or first["name"] not in BY_PLURAL:
        raise NotFound(
            _("There is no resource %(name)s; see the service root for them.")
            % {"name": repr(segments[0] if segments else "")}
        )
    entity_type = BY_PLURAL[first["name"]]
    queryset: QuerySet[Any] = entity_type.model._default_manager.all()
    if visibility is not None:
        queryset = visibility.restrict(entity_type.name, queryset)
    target = Target(entity_type, queryset, single=False)
    if first["id"]:
        target.entity_id = _entity_id(first["id"], entity_type)
        target.queryset, target.single = queryset.filter(pk=target.entity_id), True
    for position, segment in enumerate(segments[1:], start=1):
        last = position == len(segments) - 1
        if segment == "$ref":
            if not last or target.property:
                raise StaError(_("$ref comes last, after an entity or a collection."))
            target.ref = True
            continue
        if segment == "$value":
            if not last or not target.property:
                raise StaError(_("$value comes last, after a property."))
            target.raw_value = True
            continue
        match = SEGMENT.match(segment)
        if match is None or target.property:
            raise NotFound(_("The path segment %(segment)s names nothing.") % {"segment": repr(segment)})
        name = match["name"]
        if name in target.entity_type.navs:
            if not target.single:
                raise StaError(
                    _("%(name)s can only follow one entity, e.g. %(example)s.")
                    % {"name": name, "example": f"{target.entity_type.plural}(1)/{name}"}
                )
            nav = target.entity_type.navs[name]
            nav_type = ENTITY_TYPES[nav.target]
            parent = target.queryset.first()
            if parent is None:
                raise no_entity(target.entity_type.name, target.entity_id)
            related = nav_type.model._default_manager.filter(**{nav.lookup: parent.pk})
            if visibility is not None:
                related = visibility.restrict(nav_type.name, related)
            target = Target(nav_type, related, single=not nav.many, links={_inverse(nav): parent})
            if match["id"]:
                if not nav.many:
                    raise StaError(_("%(name)s is a single entity; it takes no id.") % {"name": name})
                target.entity_id = _entity_id(match["id"], nav_type)
                target.queryset, target.single = related.filter(pk=target.entity_id), True
        elif name in target.entity_type.props and target.single and not match["id"]:
            target.property = name
        else:
            raise NotFound(
                _("%(type)s has no property or link %(name)s.") % {"type": target.entity_type.name, "name": repr(name)}
            )
    return target


def next_link(request: HttpRequest, options: Options) -> str:
    params = request.GET.copy()
    params["$top"] = str(options.page_size())
    params["$skip"] = str(options.skip + options.page_size())
    return request.build_absolute_uri(request.path) + "?" + params.urlencode(safe="$()/',")


def read(request: HttpRequest, target: Target, visibility: Visibility | None = None) -> HttpResponse:
    """The answer to a GET; the private entities it shows are noted in ``visibility`` (for the audit)."""
    visibility = visibility or Visibility()
    renderer = visibility.renderer(base_url(request))
    options = parse_options(target.entity_type, request.GET)
    visibility.restrict_expands(options)
    if options.result_format:  # $resultFormat=dataArray: Observations as tables per Datastream
        if visibility.audits and not (target.single or target.ref):
            end = options.skip + options.page_size()
            shown = options.apply(target.queryset).values_list("pk", flat=True)[options.skip : end]
            visibility.note_rows(target.entity_type, list(shown), sorted(options.select or target.entity_type.props))
        return data_array_response(
            target.entity_type,
            target.queryset,
            options,
            base=renderer.base,
            collection=not (target.single or target.ref),
            next_link=lambda: next_link(request, options),
        )
    if target.single:
        obj = target.queryset.first()
        if obj is None:
            raise NotFound(_("There is no such %(type)s.") % {"type": target.entity_type.name})
        if target.property:
            value = property_value(target.entity_type, target.property, obj)
            visibility.note(target.entity_type, obj, {target.property: value})
            if target.raw_value:
                text = value if isinstance(value, str) else json.dumps(value)
                return HttpResponse(text, content_type="text/plain; charset=utf-8")
            return JsonResponse({target.property: value}, json_dumps_params={"ensure_ascii": False})
        if target.ref:
            return JsonResponse({"@iot.selfLink": renderer.self_link(target.entity_type, obj.pk)})
        return JsonResponse(
            renderer.entity(target.entity_type, obj, options), json_dumps_params={"ensure_ascii": False}
        )
    queryset = options.apply(target.queryset)
    page, more, count = renderer.page(queryset, options)
    body: dict[str, Any] = {}
    if count is not None:
        body["@iot.count"] = count
    if target.ref:
        body["value"] = [{"@iot.selfLink": renderer.self_link(target.entity_type, obj.pk)} for obj in page]
    else:
        body["value"] = [renderer.entity(target.entity_type, obj, options) for obj in page]
    if more:
        body["@iot.nextLink"] = next_link(request, options)
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def json_body(request: HttpRequest) -> Any:
    try:
        data = orjson.loads(request.body or b"null")  # several times json's speed on large dataArrays
    except orjson.JSONDecodeError as error:
        raise StaError(_("The body is not valid JSON: %(error)s") % {"error": error}) from None
    services.refuse_nul(request.body, data)
    return data


def write(request: HttpRequest, target: Target, user: User | None) -> HttpResponse:
    if user is None:
        raise sign_in_needed()
    if target.property or target.ref:
        raise StaError(_("Change a property through its entity (PATCH the entity); $ref links are not writable here."))
    method = request.method
    renderer = Renderer(base_url(request))
    limit = publish_limit(request)
    if limit is not None and (method != "POST" or target.single or target.entity_type.name != "Observation"):
        raise only_publishing(limit)
    if method == "POST":
        if target.single:
            raise StaError(_("POST creates entities in a collection, e.g. /Things; to change one, use PATCH."))
        obj = services.create_entity(
            target.entity_type.name, json_body(request), user=user, links=target.links, only_datastreams=limit
        )
        response = JsonResponse(
            renderer.entity(target.entity_type, obj, Options(target.entity_type)),
            status=201,
            json_dumps_params={"ensure_ascii": False},
        )
        response["Location"] = renderer.self_link(target.entity_type, obj.pk)
        return response
    if not target.single:
        raise StaError(
            _("%(method)s needs one entity, e.g. %(example)s.")
            % {"method": method, "example": f"/{target.entity_type.plural}(1)"}
        )
    current = target.queryset.first()
    if current is None:
        raise NotFound(_("There is no such %(type)s.") % {"type": target.entity_type.name})
    if method == "DELETE":
        services.delete_entity(target.entity_type.name, current.pk, user=user)
        return HttpResponse(status=200)
    if request.content_type == "application/json-patch+json":
        raise StaError(_("JSON Patch is not supported; send the changed members as a JSON object."), code=415)
    obj = services.update_entity(
        target.entity_type.name, current.pk, json_body(request), user=user, replace=method == "PUT"
    )
    return JsonResponse(
        renderer.entity(target.entity_type, obj, Options(target.entity_type)), json_dumps_params={"ensure_ascii": False}
    )


@csrf_exempt
def service_root(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return error_response(StaError(_("The service root is read-only."), code=405))
    base = base_url(request)
    return JsonResponse(
        {
            "value": [{"name": t.plural, "url": f"{base}/{t.plural}"} for t in ENTITY_TYPES.values()],
            "serverSettings": {"conformance": CONFORMANCE},
        }
    )


def _answer(request: HttpRequest, path: str, user: User | None) -> HttpResponse:
    if path.strip("/") == "CreateObservations":
        if request.method != "POST":
            raise StaError(_("CreateObservations takes a POST."), code=405)
        if user is None:
            raise sign_in_needed()
        with reading(Visibility.of(user)):  # a private datastream the writer may not see is not there
            links = create_from_data_array(
                json_body(request), user=user, base=base_url(request), only_datastreams=publish_limit(request)
            )
        return HttpResponse(orjson.dumps(links), status=201, content_type="application/json")
    if request.method in ("GET", "HEAD") and user is None and not conf.public_reads():
        raise Unauthorized(_("Reading this API needs a signed-in session or an API token."))
    visibility = Visibility.of(user)  # private Things: hidden from those their roles do not cover
    with reading(visibility):
        target = resolve(path, visibility)
        if request.method in ("GET", "HEAD"):
            with transaction.atomic():  # a query the database refuses rolls back only itself
                response = read(request, target, visibility)
            visibility.record(f"SensorThings API {request.method} {request.get_full_path()}")
            return response
        if request.method in ("POST", "PATCH", "PUT", "DELETE"):
            return write(request, target, user)
    raise StaError(_("The method %(method)s is not supported.") % {"method": request.method}, code=405)


@csrf_exempt
def resource(request: HttpRequest, path: str) -> HttpResponse:
    try:
        user = caller(request)
        with acting_as(actor_of(request, user)):
            return _answer(request, path, user)
    except StaError as error:
        return error_response(error)
    except OverflowError:  # a number no database column holds, which no check before caught
        return error_response(
            StaError(
                _("A number in this request is beyond what the database holds (%(largest)s).") % {"largest": MAX_ID}
            )
        )
    except DatabaseError:
        # The database's own words name tables and values: they go to the log, not the client.
        logger.warning("SensorThings request the database refused: %s %s", request.method, request.path, exc_info=True)
        return error_response(StaError(_("The database could not evaluate this request; check its values and filter.")))
