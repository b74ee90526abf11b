"""Who sees and manages which things, alerts and rules: staff of the owning department and districts.

One helper for pages and API alike. Administrators cover everything; an operator or data
publisher role covers the things of its department (none: every department) in its districts (none: every
district). Things without a department are seen by every sensing role; things without a district
by every role of their department. Rules for one datastream follow its thing; rules for a whole
kind of thing reach every department, so only staff whose scope is the whole city manage them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from cityos.core.accounts.models import Role
from cityos.core.accounts.permissions import is_staff_member

# Staff who work with sensors; administrators always pass.
SENSING_ROLES: tuple[str, ...] = (Role.OPERATOR, Role.DATA_PUBLISHER)
MANAGE_ROLES: tuple[str, ...] = (Role.OPERATOR,)


@dataclass(frozen=True)
class Cover:
    """What one staff role covers: a department (None: all) and districts (empty: all)."""

    department_id: int | None
    district_ids: frozenset[int]


@dataclass(frozen=True)
class Scope:
    covers: tuple[Cover, ...]

    @property
    def everything(self) -> bool:
        return any(c.department_id is None and not c.district_ids for c in self.covers)

    @property
    def nothing(self) -> bool:
        return not self.covers

    def q(self, prefix: str = "") -> Q:
        """A filter on Thing (``prefix`` "" ) or on what points at one (e.g. "thing__")."""
        if self.everything:
            return Q()
        if self.nothing:
            return Q(pk__in=[])
        result = Q(pk__in=[])
        for cover in self.covers:
            part = Q()
            if cover.department_id is not None:
                part &= Q(**{f"{prefix}department_id": cover.department_id}) | Q(
                    **{f"{prefix}department__isnull": True}
                )
            if cover.district_ids:
                part &= Q(**{f"{prefix}district_id__in": sorted(cover.district_ids)}) | Q(
                    **{f"{prefix}district__isnull": True}
                )
            result |= part
        return result

    def covers_thing(self, department_id: int | None, district_id: int | None) -> bool:
        for cover in self.covers:
            if cover.department_id is not None and department_id not in (None, cover.department_id):
                continue
            if cover.district_ids and district_id is not None and district_id not in cover.district_ids:
                continue
            return True
        return False

    def covers_rule(self, datastream: Any | None) -> bool:
        """A datastream's rule: covered with its thing; a kind-wide rule: only by a whole-city scope."""
        if datastream is None:
            return self.everything
        return self.covers_thing(datastream.thing.department_id, datastream.thing.district_id)


def scope_of(user: Any, roles: tuple[str, ...] = SENSING_ROLES) -> Scope:
    """The things ``user`` may see (``roles``: SENSING_ROLES) or manage (MANAGE_ROLES)."""
    if not is_staff_member(user):
        return Scope(())
    wanted = {*roles, Role.ADMINISTRATOR}
    covers = []
    for staff_role in user.staff_roles.filter(role__in=wanted).prefetch_related("districts"):
        if staff_role.role == Role.ADMINISTRATOR:
            return Scope((Cover(None, frozenset()),))  # administrators see and manage every thing
        covers.append(Cover(staff_role.department_id, frozenset(d.pk for d in staff_role.districts.all())))
    return Scope(tuple(covers))


def visible_things_q(user: Any, prefix: str = "") -> Q:
    return scope_of(user).q(prefix)


def can_see_thing(user: Any, thing: Any) -> bool:
    return scope_of(user).covers_thing(thing.department_id, thing.district_id)


def can_manage_thing(user: Any, thing: Any) -> bool:
    return scope_of(user, MANAGE_ROLES).covers_thing(thing.department_id, thing.district_id)


def rules_q(user: Any) -> Q:
    """Rules ``user`` sees: those of datastreams in scope, and every rule for a kind of thing."""
    scope = scope_of(user)
    if scope.everything:
        return Q()
    if scope.nothing:
        return Q(pk__in=[])
    return Q(datastream__isnull=True) | scope.q("datastream__thing__")


def can_manage_rule(user: Any, *, datastream: Any | None) -> bool:
    """A datastream's rule: staff who manage its thing; a kind-wide rule: whole-city staff."""
    return scope_of(user, MANAGE_ROLES).covers_rule(datastream)
