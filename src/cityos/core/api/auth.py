"""Who is calling the API: browser sessions (with CSRF on unsafe methods) and machine tokens.

Routers choose per router or per operation::

    from cityos.core.api.auth import api_auth, require_roles

    router = Router(auth=api_auth)               # every operation needs a token or a session

    @router.post("/alerts", auth=api_auth)       # or one operation
    def raise_alert(request, payload: AlertIn):
        user = require_roles(request, "operator")  # 401/403 problem unless allowed
        ...

Without ``auth=`` an operation is public, yet the caller is still recognised
(``optional_auth``, the API's default): a valid token or session makes ``request.user`` that
person, for rate limits, audit and optional personalisation; a bad token is refused (401)
rather than silently ignored.

A token request acts as the token's owner: ``request.user`` is the owner, ``request.auth``
the :class:`ApiToken`, and the audit actor is the owner "via token <name>" on channel "api".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from cityos.core.accounts.models import Role, User
from cityos.core.accounts.permissions import as_roles, department_refusal, holds_any_role, is_staff_member
from cityos.core.api import scopes
from cityos.core.api.models import ApiToken
from cityos.core.api.problems import (
    TYPE_CSRF,
    TYPE_INSUFFICIENT_SCOPE,
    TYPE_INVALID_TOKEN,
    TYPE_MISSING_ROLE,
    ApiProblem,
)
from cityos.core.api.selectors import token_for_secret
from cityos.core.api.services import note_token_used
from cityos.core.registry import Roles, role_names

API_ROOT = "/api/v1/"


def api_module(request: HttpRequest) -> str:
    """The router prefix a request is addressed to (``geo`` for /api/v1/geo/places), or ''."""
    path = request.path
    if not path.startswith(API_ROOT):
        return ""
    return path[len(API_ROOT) :].split("/", 1)[0]


def _verified() -> bool:
    return True


class TokenAuth(HttpBearer):
    """``Authorization: Bearer cos_…``: a token created by staff at /api-tokens/."""

    openapi_description = "An API token created by staff at /api-tokens/, sent as 'Authorization: Bearer <token>'."

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = token_for_secret(token.strip())
        if api_token is None or not api_token.is_active or not is_staff_member(api_token.owner):
            raise ApiProblem(
                401,
                _("This API token is not valid: it is unknown, expired or revoked."),
                type=TYPE_INVALID_TOKEN,
                headers={"WWW-Authenticate": 'Bearer realm="CityOS API", error="invalid_token"'},
            )
        module, method = api_module(request), request.method or "GET"
        if not scopes.allows(api_token.scopes, module, method):
            raise ApiProblem(
                403,
                _("This token lacks the scope '%(scope)s'.") % {"scope": scopes.needed_scope(module, method)},
                type=TYPE_INSUFFICIENT_SCOPE,
                headers={"WWW-Authenticate": 'Bearer realm="CityOS API", error="insufficient_scope"'},
            )
        note_token_used(api_token)
        owner = api_token.owner
        # Code written for sessions asks django-otp whether the second factor was passed; a token
        # stands in for it (it was made by verified staff and is a long random secret).
        owner.is_verified = _verified  # type: ignore[attr-defined]
        request.user = owner
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token


class SessionAuth(APIKeyCookie):
    """A signed-in browser session. Unsafe methods need Django's CSRF token (X-CSRFToken header).

    Staff sessions count only after the TOTP step, as on the pages.
    """

    param_name = "sessionid"
    openapi_description = "A signed-in browser session; unsafe methods also need the X-CSRFToken header."

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # no session: nothing to protect from CSRF, another method may apply
        if user.is_staff and not user.is_verified():
            request.user = AnonymousUser()
            return None
        if (
            request.method not in scopes.SAFE_METHODS
            and not getattr(request, "_ninja_csrf_exempt", False)
            and check_csrf(request) is not None
        ):
            raise ApiProblem(403, _("The CSRF token is missing or wrong. Send the X-CSRFToken header."), type=TYPE_CSRF)
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user: User = request.user  # type: ignore[assignment]
        return user


class AnonymousAuth:
    """Lets an operation through without credentials; last in ``optional_auth``.

    The OpenAPI schema shows it as ``{}`` (authentication optional), see ``site.py``.
    """

    openapi_security_schema: dict[str, Any] = {}

    def __call__(self, request: HttpRequest) -> AnonymousUser:
        return AnonymousUser()


token_auth = TokenAuth()
session_auth = SessionAuth()
api_auth = [token_auth, session_auth]
optional_auth = [token_auth, session_auth, AnonymousAuth()]


def api_user(request: HttpRequest) -> User | AnonymousUser:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user  # type: ignore[no-any-return]
    return AnonymousUser()


def require_user(request: HttpRequest) -> User:
    """The signed-in person or token owner; a 401 problem otherwise."""
    user = api_user(request)
    if not isinstance(user, User):
        raise ApiProblem(401, _("Sign in, or send a valid API token as 'Authorization: Bearer <token>'."))
    return user


def require_roles(request: HttpRequest, *roles: str | Roles) -> User:
    """A staff member holding one of ``roles`` (administrators pass; no roles: any staff): role
    names, or one role list whole: a module's roles (``require_roles(request, conf.PLANNER_ROLES)``)
    or a tuple of names.

    Raises a 401 problem without credentials and a 403 problem without the role: when the role is
    held, but for a department the module does not count, the problem says whose work it is and
    what to ask for, instead of naming the roles.
    """
    user = require_user(request)
    wanted = as_roles(roles)
    if not holds_any_role(user, wanted):
        if role_names(wanted):
            detail = department_refusal(user, wanted) or _("This needs one of these staff roles: %(roles)s.") % {
                "roles": ", ".join(_role_label(name) for name in role_names(wanted))
            }
        else:
            detail = _("This is for city staff only.")
        raise ApiProblem(403, detail, type=TYPE_MISSING_ROLE)
    return user


def _role_label(name: str) -> str:
    """A role as staff know it, in their language ("Health officer"), not its code."""
    return str(Role(name).label) if name in Role.values else name
