"""The one NinjaAPI instance. Routers come from the registry, so a new domain app's API
appears under /api/v1/<prefix>/ without this file changing.

Every router mounted here gets, without doing anything: optional authentication (token or
session, see :mod:`cityos.core.api.auth`), per-client rate limits with X-RateLimit-* headers,
RFC 9457 problem+json for every error (also 404 for unknown paths, 405, 500), translated
validation messages, the audit actor set for the request, and the pagination class.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import wraps
from typing import Any, ForwardRef

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import ValidationError, ValidationErrorContext
from ninja.openapi.docs import Swagger
from ninja.openapi.views import openapi_view
from ninja.signature.details import ViewSignature

from cityos import __version__
from cityos.core.api.auth import AnonymousAuth, optional_auth
from cityos.core.api.models import ApiToken
from cityos.core.api.problems import (
    PROBLEM_CONTENT_TYPE,
    install_problem_handlers,
    is_problem,
    problem_response,
    server_error,
)
from cityos.core.api.schemas import Problem, ValidationProblem
from cityos.core.api.throttling import add_rate_limit_headers, default_throttles
from cityos.core.audit.context import acting_as, current_actor
from cityos.core.registry import registry

logger = logging.getLogger(__name__)

DESCRIPTION = """The open API of CityOS.

**Authentication.** Public operations need none. Others take a browser session (unsafe methods
also need the `X-CSRFToken` header) or an API token made by city staff at `/api-tokens/`, sent as
`Authorization: Bearer <token>`. A token acts as its owner, narrowed by its scopes
(`read`, `write`, `<module>:read`, `<module>:write`).

**Errors** are RFC 9457 `application/problem+json`: `type`, `title`, `status`, `detail`,
`instance`; a 422 adds `errors`, a list of `{field, message, code}` in the language asked for
with `Accept-Language` (en, zh-hant, es). Problem types: `about:blank` (the HTTP status says it
all), `urn:cityos:problem:validation-error`, `urn:cityos:problem:rate-limited`,
`urn:cityos:problem:invalid-token`, `urn:cityos:problem:insufficient-scope`,
`urn:cityos:problem:csrf-failed`, `urn:cityos:problem:missing-role`.

**Lists** take `limit` and `offset` and answer `{count, next, previous, results}` with absolute
links; many also take `format=csv`. A paged GeoJSON list (`geo/places`) takes the same `limit`
and `offset` and stays a FeatureCollection with OGC API - Features' `numberMatched`,
`numberReturned` and `links` (`rel` `next`/`prev`, also in a `Link` header).

**Cross-origin.** Browser apps on other sites may call this API (and `/sta/`, `/open311/v2/`)
from any origin the city allows, without credentials: a cookie never counts across origins, so
send a token in `Authorization`.

**Rate limits** are per client (address, token or person); responses carry `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `X-RateLimit-Reset`; a 429 carries `Retry-After`.
"""

_ERROR_RESPONSES: dict[str, Any] = {
    "422": {
        "description": "Invalid fields (RFC 9457 problem with field errors)",
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/ValidationProblem"}}},
    },
    "default": {
        "description": "An error (RFC 9457 problem)",
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
}
GEOJSON_CONTENT_TYPE = "application/geo+json"  # RFC 7946
_HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _actor_for_request(request: HttpRequest) -> Any:
    """The audit actor of an API request: the token's owner "via token <name>", or the person."""
    actor = current_actor()
    auth = getattr(request, "auth", None)
    user = getattr(request, "user", None)
    if isinstance(auth, ApiToken):
        label = f"{auth.owner.get_username()} via token {auth.name}"
        return replace(actor, user_id=auth.owner_id, label=label, channel="api")
    if user is not None and user.is_authenticated:
        return replace(actor, user_id=user.pk, label=user.get_username(), channel="api")
    return replace(actor, user_id=None, label="anonymous", channel="api")


def _act_as_caller(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Runs an operation (after authentication) with the caller as the audit actor."""
    if iscoroutinefunction(view_func):

        @wraps(view_func)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            with acting_as(_actor_for_request(request)):
                return await view_func(request, *args, **kwargs)

        return async_wrapper

    @wraps(view_func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        with acting_as(_actor_for_request(request)):
            return view_func(request, *args, **kwargs)

    return wrapper


def _finish_response(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    if response.status_code == 405 and not is_problem(response):  # type: ignore[arg-type]
        allowed = response.get("Allow", "")
        detail = _("This address accepts only: %(methods)s.") % {"methods": allowed} if allowed else ""
        response = problem_response(request, 405, detail, headers={"Allow": allowed} if allowed else None)
    elif response.status_code == 404 and not is_problem(response):  # type: ignore[arg-type]
        response = problem_response(request, 404, "")
    add_rate_limit_headers(request, response)
    return response


def _with_problems(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wraps a URL's view: errors outside an operation (405, crashes in checks) become problems."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Exception:
            logger.exception("API request failed", extra={"path": request.path, "method": request.method})
            return server_error(request)
        return _finish_response(request, response)

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # sessions check CSRF in SessionAuth
    return wrapper


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any /api/v1/ path that names no operation."""
    response = problem_response(request, 404, "")
    return response


not_found.csrf_exempt = True  # type: ignore[attr-defined]


class CityNinjaAPI(NinjaAPI):
    """NinjaAPI with the platform's conventions (problems, auth, throttles, audit) built in."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("auth", optional_auth)
        kwargs.setdefault("throttle", default_throttles())
        super().__init__(**kwargs)
        install_problem_handlers(self)
        self.add_decorator(_act_as_caller, mode="operation")

    def set_default_exception_handlers(self) -> None:
        # Replaced wholesale by install_problem_handlers (called in __init__).
        pass

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        wrapped: list[URLResolver | URLPattern] = [
            URLPattern(p.pattern, _with_problems(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in patterns
        ]
        wrapped.append(re_path(r"^.*$", not_found, name="not-found"))
        return wrapped, app_name, namespace

    def validation_error_from_error_contexts(self, error_contexts: list[ValidationErrorContext]) -> ValidationError:
        """Locations name the request field (``body.email``), not the view's parameter."""
        errors = super().validation_error_from_error_contexts(error_contexts).errors
        single_body_params = {
            getattr(context.model, "__read_from_single_attr__", None)
            for context in error_contexts
            if context.model.__ninja_param_source__ == "body"
        } - {None}
        for error in errors:
            loc = tuple(error.get("loc") or ())
            if len(loc) > 2 and loc[0] == "body" and loc[1] in single_body_params:
                error["loc"] = (loc[0], *loc[2:])
        return ValidationError(errors)

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        validation = ValidationProblem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(validation.pop("$defs", {}))
        schemas["ValidationProblem"] = validation
        optional = AnonymousAuth.__name__
        components.get("securitySchemes", {}).pop(optional, None)
        for path_item in schema.get("paths", {}).values():
            for method, operation in path_item.items():
                if method not in _HTTP_METHODS:
                    continue
                # ninja keys declared responses by int (422), ours are strings ("422"): as JSON
                # both become "422", a duplicate key that OpenAPI tools refuse.
                responses = {str(code): answer for code, answer in operation.get("responses", {}).items()}
                for status, response in _ERROR_RESPONSES.items():
                    declared = responses.setdefault(str(status), response)
                    if declared is not response:
                        # An operation's own 422 body (e.g. an import's report) is one answer; a
                        # request ninja cannot read still gets the validation problem.
                        content = declared.setdefault("content", {})
                        content.setdefault(PROBLEM_CONTENT_TYPE, response["content"][PROBLEM_CONTENT_TYPE])
                for answer in responses.values():
                    _geojson_only(answer.get("content"))
                if _exports_csv(operation) and "200" in responses:
                    responses["200"].setdefault("content", {}).setdefault("text/csv", {"schema": {"type": "string"}})
                operation["responses"] = responses
                if "security" in operation:
                    # Optional authentication is an empty requirement in OpenAPI.
                    operation["security"] = [{} if optional in s else s for s in operation["security"]]
        return schema


def _geojson_only(content: dict[str, Any] | None) -> None:
    """A body documented as GeoJSON is answered as ``application/geo+json`` only: ninja also lists
    the ``response=`` schema as ``application/json``, which those operations never send."""
    if content and GEOJSON_CONTENT_TYPE in content and "application/json" in content:
        plain = content.pop("application/json")
        geojson = content[GEOJSON_CONTENT_TYPE]
        if "schema" in plain:
            geojson.setdefault("schema", plain["schema"])


def _exports_csv(operation: dict[str, Any]) -> bool:
    """Whether the operation takes ``?format=csv`` (pagination's ``@csv_export``)."""
    return any(
        parameter.get("in") == "query"
        and parameter.get("name") == "format"
        and "csv" in parameter.get("schema", {}).get("enum", [])
        for parameter in operation.get("parameters", [])
    )


def _has_unresolved_types(operation: Any) -> bool:
    return any(
        isinstance(annotation, ForwardRef | str)
        for model in operation.models
        for annotation in getattr(model, "__annotations__", {}).values()
    )


def resolve_postponed_annotations(router: Router) -> None:
    """Re-read the parameters of operations whose types ninja could not resolve.

    In a module with ``from __future__ import annotations``, a decorator such as ninja's
    ``@paginate`` hides the view's module, so ninja evaluates ``Query[Filters]`` in the
    decorator's globals and fails. The original function's globals know the names.
    """
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            if not _has_unresolved_types(operation):
                continue
            view = operation.view_func
            try:
                view.__signature__ = inspect.signature(inspect.unwrap(view), eval_str=True)  # type: ignore[attr-defined]
            except (NameError, TypeError, AttributeError):
                continue  # leave it as ninja saw it; the OpenAPI test will name it
            operation.signature = ViewSignature(operation.path, view)
            operation.models = operation.signature.models
    for _prefix, child, *_rest in router._routers:
        resolve_postponed_annotations(child)


class _Swagger(Swagger):
    """ninja's Swagger UI from its static files, on a page that declares its language."""

    template = "api/swagger.html"


def build_api(routers: Iterable[Any] = ()) -> CityNinjaAPI:
    """A configured API; ``routers`` are ApiRouter entries (the registry's, in production)."""
    new_api = CityNinjaAPI(
        title="CityOS API",
        version=__version__,
        description=DESCRIPTION,
        urls_namespace="api",
        docs=_Swagger(settings={"persistAuthorization": True}),
        docs_url="/docs",
    )

    @new_api.get("/", tags=["meta"], summary="API index", url_name="index")
    def index(request: HttpRequest) -> dict[str, object]:
        return {"version": __version__, "modules": sorted(registry.api_routers)}

    for entry in sorted(routers, key=lambda e: e.prefix):
        resolve_postponed_annotations(entry.router)
        new_api.add_router(f"/{entry.prefix}/", entry.router, tags=list(entry.tags) or [entry.prefix])
    return new_api


api = build_api(registry.api_routers.values())


def api_docs(request: HttpRequest) -> HttpResponse:
    """Interactive OpenAPI documentation at /api/docs (Swagger UI served from ninja's static files)."""
    return openapi_view(request, api)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document as plain JSON data (for tests and tools)."""
    data: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema(), default=str))
    return data
