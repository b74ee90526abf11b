"""System checks of the department scope settings (docs/platform.md, "Department scope").

A code that names no department (a typo such as ``heath``, or ``Health`` for ``health``) shuts
that department out of a module without a word, so ``check``, ``migrate`` and the server's start
say so. The departments are data: before the first migration, or when the database cannot be
reached, there is nothing to compare with, and the check says nothing.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, router

from cityos.core.accounts.models import Department
from cityos.core.registry import registry

UNKNOWN_CODE = "cityos.W001"
NO_DEPARTMENT = "cityos.W002"
UNREADABLE = "cityos.E001"


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
