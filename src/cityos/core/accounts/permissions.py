"""Who may do what: staff roles, checked by views, API operations and services alike.

A role counts where its department allows: a module's role lists (``module_roles``) count a role
that names no department or one of the departments the module declares (``DepartmentScope``);
administrators count everywhere. Districts narrow further where a module asks
(``districts_in_scope``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from cityos.core.accounts.models import Department, Role
from cityos.core.registry import registry

F = TypeVar("F", bound=Callable[..., HttpResponseBase])


def is_staff_member(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def owning_departments(role: str) -> frozenset[str] | None:
    """Codes of the departments in which ``role`` counts; None: every department.

    A plain role name counts in every department; a module's role (``module_roles``) in those its
    app declares. A module role whose scope nobody declared is a programming error, not an opening.
    """
    module = getattr(role, "module", None)
    if module is None:
        return None
    scope = registry.department_scopes.get(module)
    if scope is None:
        raise ImproperlyConfigured(f"No app declares the department scope {module!r} (registry.add_department_scope).")
    return scope.department_codes()


def _counts(held: str, department: str | None, wanted: str) -> bool:
    """A role held (in ``department``, None: every one) counts as ``wanted``."""
    if held != wanted:
        return False
    if department is None:
        return True
    owners = owning_departments(wanted)
    return owners is None or department in owners


def holds_any_role(user: Any, roles: tuple[str, ...]) -> bool:
    """Staff holding one of ``roles`` where its department counts (administrators pass; no roles: any staff)."""
    if not is_staff_member(user):
        return False
    if not roles:
        return True
    held: set[tuple[str, str | None]] = user.role_departments()
    if any(role == Role.ADMINISTRATOR for role, _department in held):
        return True
    return any(_counts(role, department, wanted) for wanted in roles for role, department in held)


def department_refusal(user: Any, roles: tuple[str, ...]) -> str:
    """Why ``user`` lacks ``roles`` when only a department stands in the way (they hold the role
    for another department), in the active language; "" otherwise."""
    if not is_staff_member(user) or holds_any_role(user, roles):
        return ""
    for wanted in roles:
        owners = owning_departments(wanted)
        if owners is not None and any(role == wanted for role, _department in user.role_departments()):
            label = Role(str(wanted)).label if str(wanted) in Role.values else wanted
            if not owners:  # the city's setting names no department (docs/platform.md)
                return _("Your role as %(role)s is for a department; this work is kept for staff of no department.") % {
                    "role": label
                }
            names = [d.display_name for d in Department.objects.filter(code__in=owners)] or sorted(owners)
            return _("Your role as %(role)s is for another department; this work belongs to %(departments)s.") % {
                "role": label,
                "departments": ", ".join(sorted(names)),
            }
    return ""


def districts_in_scope(user: Any, roles: tuple[str, ...]) -> frozenset[int] | None:
    """The districts ``user`` covers through ``roles`` (and administrator): None means the whole city.

    A role with no districts covers the whole city; staff without such a role cover nothing. Roles
    held for a department that ``roles`` do not count in (``owning_departments``) cover nothing.
    """
    if not is_staff_member(user):
        return frozenset()
    covered: set[int] = set()
    wanted = {*map(str, roles), Role.ADMINISTRATOR}
    staff_roles = user.staff_roles.filter(role__in=wanted).select_related("department").prefetch_related("districts")
    for staff_role in staff_roles:
        department = staff_role.department.code if staff_role.department else None
        if staff_role.role != Role.ADMINISTRATOR and not any(_counts(staff_role.role, department, w) for w in roles):
            continue
        districts = {d.pk for d in staff_role.districts.all()}
        if not districts:
            return None
        covered |= districts
    return frozenset(covered)


def staff_required(*roles: str) -> Callable[[F], F]:
    """Staff with a verified second factor and, if given, one of ``roles`` (administrators pass).

    Refused: 403, and the page says when the role is held, but for another department.
    """

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
                raise PermissionDenied(department_refusal(user, roles))
            return view(request, *args, **kwargs)

        return cast(F, wrapper)

    return decorator
