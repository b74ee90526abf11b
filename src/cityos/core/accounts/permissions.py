"""Who may do what: staff roles, checked by views, API operations and services alike.

A role counts where its department allows: a module's roles (``module_roles``, a
:class:`~cityos.core.registry.ScopedRoles`) count a role that names no department or one of the
departments the module declares (``DepartmentScope``); a plain tuple of role names counts every
department; administrators count everywhere. Districts narrow further where a module asks
(``districts_in_scope``). Every check takes either kind whole: a module's roles cannot be unpacked
into names (``*roles`` raises), so they cannot lose their module on the way.
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
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

from cityos.core.accounts.models import Department, Role
from cityos.core.registry import Roles, ScopedRoles, registry, role_names

F = TypeVar("F", bound=Callable[..., HttpResponseBase])


class DepartmentRefused(PermissionDenied):
    """Refused only because the role is held for another department; the message says whose work
    it is and what to ask for (the 403 page and the API show it alone)."""


def is_staff_member(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def as_roles(given: tuple[str | Roles, ...]) -> Roles:
    """The roles handed to ``staff_required(...)`` or ``require_roles(request, ...)``: role names,
    or one role list whole (a module's roles, or a tuple of names). A module's roles mixed with
    anything else would lose their scope, so that is refused."""
    if len(given) == 1 and not isinstance(given[0], str):
        role_names(given[0])  # refuses a module's roles inside a tuple
        return given[0]
    names = tuple(role for role in given if isinstance(role, str))
    if len(names) != len(given):
        raise TypeError(f"Pass a module's roles alone, e.g. staff_required(conf.PLANNER_ROLES), not {given!r}.")
    return names


def owning_departments(roles: Roles) -> frozenset[str] | None:
    """Codes of the departments in which ``roles`` count; None: every department.

    Plain role names count in every department; a module's roles (``module_roles``) in those its
    app declares. A module whose scope nobody declared is a programming error, not an opening.
    """
    role_names(roles)  # a bare string, or a module's roles inside a tuple, is refused here
    if not isinstance(roles, ScopedRoles):
        return None
    scope = registry.department_scopes.get(roles.module)
    if scope is None:
        raise ImproperlyConfigured(
            f"No app declares the department scope {roles.module!r} (registry.add_department_scope)."
        )
    return scope.department_codes()


def _counts(department: str | None, owners: frozenset[str] | None) -> bool:
    """A role held in ``department`` (None: every one) counts where ``owners`` do the work."""
    return department is None or owners is None or department in owners


def holds_any_role(user: Any, roles: Roles) -> bool:
    """Staff holding one of ``roles`` where its department counts (administrators pass; no roles: any staff)."""
    if not is_staff_member(user):
        return False
    names = role_names(roles)
    if not names:
        return True
    owners = owning_departments(roles)
    held: set[tuple[str, str | None]] = user.role_departments()
    if any(role == Role.ADMINISTRATOR for role, _department in held):
        return True
    return any(role in names and _counts(department, owners) for role, department in held)


def department_refusal(user: Any, roles: Roles) -> str:
    """Why ``user`` lacks ``roles`` when only a department stands in the way (they hold the role
    for another department) and what to ask for, in the active language; "" otherwise."""
    if not isinstance(roles, ScopedRoles) or not is_staff_member(user) or holds_any_role(user, roles):
        return ""
    owners = owning_departments(roles)
    held = {role for role, _department in user.role_departments()}
    wanted = next((role for role in roles.roles if role in held), None)
    if wanted is None or owners is None:
        return ""
    label = Role(wanted).label if wanted in Role.values else wanted
    if not owners:  # the city's setting names no department (docs/platform.md)
        return _(
            "Your role as %(role)s is for a department, and this work is kept for staff of no department. "
            "If you need it for your work, ask an administrator for the role without a department."
        ) % {"role": label}
    names = sorted({d.display_name for d in Department.objects.filter(code__in=owners)} or owners)
    return ngettext(
        "Your role as %(role)s is for another department; this work belongs to %(departments)s. "
        "If you need it for your work, ask an administrator for a role in that department.",
        "Your role as %(role)s is for another department; this work belongs to %(departments)s. "
        "If you need it for your work, ask an administrator for a role in one of these departments.",
        len(names),
    ) % {"role": label, "departments": ", ".join(names)}


def refusal(user: Any, roles: Roles, otherwise: str = "") -> PermissionDenied:
    """The refusal for ``user`` lacking ``roles``: :class:`DepartmentRefused` when only the
    department stands in the way, else ``PermissionDenied(otherwise)``."""
    reason = department_refusal(user, roles)
    return DepartmentRefused(reason) if reason else PermissionDenied(otherwise)


def require_any_role(user: Any, roles: Roles, otherwise: str) -> None:
    """For services: nothing when ``user`` holds one of ``roles`` where they count; the refusal
    (``refusal``) otherwise, ``otherwise`` saying who may."""
    if not holds_any_role(user, roles):
        raise refusal(user, roles, otherwise)


def districts_in_scope(user: Any, roles: Roles) -> frozenset[int] | None:
    """The districts ``user`` covers through ``roles`` (and administrator): None means the whole city.

    A role with no districts covers the whole city; staff without such a role cover nothing. Roles
    held for a department that ``roles`` do not count in (``owning_departments``) cover nothing.
    """
    if not is_staff_member(user):
        return frozenset()
    names = role_names(roles)
    owners = owning_departments(roles)
    covered: set[int] = set()
    wanted = {*names, Role.ADMINISTRATOR}
    staff_roles = user.staff_roles.filter(role__in=wanted).select_related("department").prefetch_related("districts")
    for staff_role in staff_roles:
        department = staff_role.department.code if staff_role.department else None
        if staff_role.role != Role.ADMINISTRATOR and not _counts(department, owners):
            continue
        districts = {d.pk for d in staff_role.districts.all()}
        if not districts:
            return None
        covered |= districts
    return frozenset(covered)


# The attribute of a view made by ``staff_required`` that holds the roles it asks for.
REQUIRED_ROLES = "cityos_required_roles"


def staff_required(*roles: str | Roles) -> Callable[[F], F]:
    """Staff with a verified second factor and, if given, one of ``roles`` (administrators pass):
    role names (``staff_required("administrator")``), or one role list whole: a module's roles
    (``staff_required(conf.PLANNER_ROLES)``) or a tuple of names.

    Refused: 403; when the role is held, but for another department, the page says whose work it is.
    """
    wanted = as_roles(roles)

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
            if not holds_any_role(user, wanted) or not user.is_verified():  # type: ignore[union-attr,attr-defined]
                raise refusal(user, wanted)
            return view(request, *args, **kwargs)

        # Read by the system check that holds a module's pages to its department scope.
        wrapper.__dict__[REQUIRED_ROLES] = wanted
        return cast(F, wrapper)

    return decorator
