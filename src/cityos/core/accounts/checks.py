"""System checks of department scope (docs/platform.md, "Department scope").

A code that names no department (a typo such as ``heath``, or ``Health`` for ``health``) shuts
that department out of a module without a word, so ``check``, ``migrate`` and the server's start
say so. The departments are data: before the first migration, or when the database cannot be
reached, there is nothing to compare with, and the check says nothing.

A module that declares its departments must also ask for its roles as its own (``module_roles``)
wherever it checks them: a plain role name there counts in every department, which opens the
module's work to all of them. ``check_module_roles`` finds that in the module's menu entries,
tiles, pages and role constants.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, router
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import NoReverseMatch, Resolver404

from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.permissions import REQUIRED_ROLES
from cityos.core.registry import Roles, ScopedRoles, registry, role_names

UNKNOWN_CODE = "cityos.W001"
NO_DEPARTMENT = "cityos.W002"
UNREADABLE = "cityos.E001"
PLAIN_ROLES = "cityos.E002"


def _known_codes() -> set[str] | None:
    """The departments' codes; None when their table cannot be read (not migrated, no database)."""
    alias = router.db_for_read(Department)
    try:
        connection = connections[alias]
        with connection.cursor() as cursor:
            if Department._meta.db_table not in connection.introspection.table_names(cursor):
                return None
        return set(Department.objects.using(alias).values_list("code", flat=True))
    except DatabaseError:  # OperationalError (unreachable), ProgrammingError (half-migrated)
        return None


def check_department_scopes(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    configured: dict[str, frozenset[str]] = {}
    for scope in sorted(registry.department_scopes.values(), key=lambda s: s.setting):
        try:
            codes = scope.department_codes()
        except ImproperlyConfigured as error:
            problems.append(checks.Error(str(error), id=UNREADABLE))
            continue
        if codes is None:  # "*": every department
            continue
        if not codes:
            problems.append(
                checks.Warning(
                    f"{scope.setting} names no department: only staff roles of no department and "
                    f"administrators do the {scope.key} module's work.",
                    hint="Name the departments' codes, or * for every department.",
                    id=NO_DEPARTMENT,
                )
            )
        configured[scope.setting] = codes
    if not any(configured.values()):
        return problems
    known = _known_codes()
    if not known:  # no table yet, or a city that has set up no departments: every role is of none
        return problems
    for setting, codes in configured.items():
        unset = getattr(settings, setting, None) is None and setting not in os.environ
        for code in sorted(codes - known):
            near = difflib.get_close_matches(code.lower(), sorted(known), n=1)
            problems.append(
                checks.Warning(
                    f"{setting}{' (by default)' if unset else ''} names the department {code!r}, which "
                    "does not exist: the staff of the department meant do not count there.",
                    hint=f"Did you mean {near[0]!r}?"
                    if near
                    else f"Create the department, or set {setting} to the codes of the city's departments "
                    "(codes are case-sensitive).",
                    id=UNKNOWN_CODE,
                )
            )
    return problems


def opens_every_department(roles: Roles) -> bool:
    """Role names that count in every department: a plain list naming more than administrators
    (who count everywhere anyway) and an empty list (any staff) do not."""
    return not isinstance(roles, ScopedRoles) and any(role != Role.ADMINISTRATOR for role in role_names(roles))


def _view_module(url_name: str) -> str | None:
    try:
        return resolve(reverse(url_name)).func.__module__
    except (NoReverseMatch, Resolver404):  # a link with arguments: its page is checked itself
        return None


def _pages(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _pages(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def role_uses() -> Iterator[tuple[str, Roles, str]]:
    """Every role list the platform knows of: (what, the roles, the module that uses them)."""
    for nav in registry.nav.values():
        if nav.roles and (module := _view_module(nav.url_name)):
            yield f"the menu entry {nav.key!r}", nav.roles, module
    for tile in registry.tiles.values():
        if tile.roles and (module := _view_module(tile.url_name)):
            yield f"the dashboard tile {tile.key!r}", tile.roles, module
    for route, view in _pages(get_resolver().url_patterns):
        roles = getattr(view, REQUIRED_ROLES, None)
        if roles is not None:
            yield f"the page /{route} ({view.__module__}.{view.__name__})", roles, view.__module__
    for name, loaded in list(sys.modules.items()):
        if not name.startswith("cityos.") or ".tests" in name or loaded is None:
            continue
        for attribute, value in list(vars(loaded).items()):
            if attribute.endswith("_ROLES") and isinstance(value, tuple | ScopedRoles):
                yield f"{name}.{attribute}", value, name


def check_module_roles(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    scoped_apps = set(registry.scope_apps.values())
    problems: list[checks.CheckMessage] = []
    for what, roles, module in role_uses():
        app = apps.get_containing_app_config(module)
        if app is None or app.name not in scoped_apps:
            continue
        try:
            plain = opens_every_department(roles)
        except TypeError as error:
            problems.append(checks.Error(f"{what}: {error}", id=PLAIN_ROLES))
            continue
        if plain:
            problems.append(
                checks.Error(
                    f"{what} asks for the roles {', '.join(role_names(roles))} by name: in {app.label}, which "
                    "declares the departments that do its work, they would count in every department.",
                    hint=f"Use the module's roles, made with module_roles(...) in {app.name}.conf.",
                    id=PLAIN_ROLES,
                )
            )
    return problems
