from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.defaults import bad_request

from cityos.core.inputs import query_nul_key

# Paths a staff member may reach before the second factor: sign-in steps, language, assets.
# Only the sign-in steps of /accounts/: the staff pages there (people, tiles) need the factor too.
_OPEN_PREFIXES = (
    "/accounts/sign-in/",
    "/accounts/sign-out/",
    "/accounts/sign-up/",
    "/accounts/verify/",
    "/accounts/totp/",
    "/i18n/",
    "/language/",
    "/static/",
    "/healthz",
    "/metrics",
    "/api/",
    "/open311/",  # reads no session: a signed-in browser is any caller there (core.api.open311)
    "/sta/",  # SensorThings: such a session reads as anonymous and is refused writes, in JSON
)


class StaffSecondFactorMiddleware:
    """Staff sessions count only once a TOTP code has been verified (django-otp)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            return redirect(f"/accounts/verify/?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


# Interfaces that answer bad input in their own standard's format (problem+json, Open311,
# SensorThings) check for NUL themselves.
_OWN_ERROR_FORMAT = ("/api/", "/open311/", "/sta/")


class RefuseNulInQueryMiddleware:
    """A page's query string with a NUL character gets the site's 400 page. PostgreSQL cannot
    hold NUL, so a filter passing it to a query would be a server error; forms refuse it on the
    field already (Django's ProhibitNullCharactersValidator), filters read from the query do not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(_OWN_ERROR_FORMAT) and query_nul_key(request) is not None:
            return bad_request(request, SuspiciousOperation("NUL character in the query string"))
        return self.get_response(request)
