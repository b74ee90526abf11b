"""Who may do what: staff roles, checked by views, API operations and services alike."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.http import HttpResponseClientRedirect

F = TypeVar("F", bound=Callable[..., HttpResponseBase])


def is_staff_member(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def holds_any_role(user: Any, roles: tuple[str, ...]) -> bool:
    if not is_staff_member(user):
        return False
    if not roles:
        return True
    names: set[str] = user.role_names()
    return "administrator" in names or bool(names & set(roles))


def districts_in_scope(user: Any, roles: tuple[str, ...]) -> frozenset[int] | None:
    """The districts ``user`` covers through ``roles`` (and administrator): None means the whole city.

    A role with no districts covers the whole city; staff without such a role cover nothing.
    """
    if not is_staff_member(user):
        return frozenset()
    covered: set[int] = set()
    wanted = {*roles, "administrator"}
    for staff_role in user.staff_roles.filter(role__in=wanted).prefetch_related("districts"):
        districts = {d.pk for d in staff_role.districts.all()}
        if not districts:
            return None
        covered |= districts
    return frozenset(covered)


def staff_required(*roles: str) -> Callable[[F], F]:
    """Staff with a verified second factor and, if given, one of ``roles`` (administrators pass)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                if request.headers.get("HX-Request"):
                    # A fragment polled after the session ended: send the page to sign-in (and back
                    # to it), rather than swap the sign-in form into the fragment's place.
                    page = urlsplit(request.headers.get("HX-Current-URL", ""))
                    back = (
                        page.path + (f"?{page.query}" if page.query else "") if page.path else request.get_full_path()
                    )
                    return HttpResponseClientRedirect(redirect_to_login(back).url)
                return redirect_to_login(request.get_full_path())
            if not holds_any_role(user, roles) or not user.is_verified():  # type: ignore[union-attr,attr-defined]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return cast(F, wrapper)

    return decorator
