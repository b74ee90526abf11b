"""A module's roles keep their module: department scope is explicit and fails closed.

``module_roles("waste", "operator")`` is a ``ScopedRoles`` value, not a tuple of names. Every check
takes it whole; nothing turns it back into plain names (which would count in every department)
without saying so, and a module that declares its departments may not ask for its roles by name.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from cityos.core.accounts.checks import PLAIN_ROLES, check_module_roles, opens_every_department
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.permissions import (
    as_roles,
    department_refusal,
    districts_in_scope,
    holds_any_role,
    staff_required,
)
from cityos.core.accounts.tests.factories import staff_of
from cityos.core.geo.conf import PLACE_ROLES
from cityos.core.notifications.selectors import Segment, segment_members
from cityos.core.registry import NavItem, ScopedRoles, module_roles, registry, role_names

pytestmark = pytest.mark.django_db

# The functions that check roles, and the argument (by position) that holds the roles.
ROLE_CHECKS = {
    "holds_any_role": 1,
    "districts_in_scope": 1,
    "department_refusal": 1,
    "require_any_role": 1,
    "owning_departments": 0,
    "staff_required": 0,
    "require_roles": 1,
}


# --- The value ------------------------------------------------------------------------------


def test_module_roles_are_a_value_that_names_its_module():
    roles = module_roles("waste", Role.OPERATOR, "service_agent", "operator")
    assert roles == ScopedRoles("waste", ("operator", "service_agent"))
    assert role_names(roles) == ("operator", "service_agent")
    assert type(roles.roles[0]) is str  # the choice became its plain value


def test_a_modules_roles_cannot_be_unpacked_into_plain_names():
    with pytest.raises(TypeError):
        staff_required(*PLACE_ROLES)  # type: ignore[misc]
    with pytest.raises(TypeError):
        tuple(PLACE_ROLES)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        "operator" in PLACE_ROLES  # type: ignore[operator]  # noqa: B015


def test_text_made_of_a_modules_roles_is_no_roles_name_so_it_opens_nothing():
    operator = staff_of(None, Role.OPERATOR)
    assert not holds_any_role(operator, (str(PLACE_ROLES),))
    assert not holds_any_role(operator, (f"{PLACE_ROLES}",))


def test_a_check_refuses_a_bare_name_or_a_modules_roles_inside_a_tuple():
    operator = staff_of("operations", Role.OPERATOR)
    with pytest.raises(TypeError):
        holds_any_role(operator, "operator")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        holds_any_role(operator, (PLACE_ROLES,))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        staff_required(PLACE_ROLES, "administrator")
    with pytest.raises(TypeError):
        districts_in_scope(operator, (PLACE_ROLES,))  # type: ignore[arg-type]


def test_a_module_has_at_least_one_role_and_a_key():
    with pytest.raises(ValueError, match="at least one"):
        module_roles("waste")
    with pytest.raises(ValueError, match="key"):
        module_roles("", "operator")


def test_views_and_the_api_take_a_role_list_whole_or_names():
    assert as_roles((PLACE_ROLES,)) is PLACE_ROLES
    assert as_roles(((Role.OPERATOR, Role.DATA_PUBLISHER),)) == (Role.OPERATOR, Role.DATA_PUBLISHER)
    assert as_roles(("administrator",)) == ("administrator",)
    assert as_roles(()) == ()


# --- Behaviour is as before for correct uses ---------------------------------------------------


def test_scoped_and_plain_role_lists_count_as_they_always_did():
    water = staff_of("water", Role.OPERATOR)
    assert not holds_any_role(water, PLACE_ROLES)
    assert holds_any_role(water, (Role.OPERATOR,))
    assert holds_any_role(staff_of("operations", Role.OPERATOR), PLACE_ROLES)
    assert holds_any_role(staff_of(None, Role.OPERATOR), PLACE_ROLES)


def test_a_scope_no_app_declares_stays_a_programming_error_for_everyone():
    for person in (staff_of("water", Role.OPERATOR), staff_of("it", Role.ADMINISTRATOR)):
        with pytest.raises(ImproperlyConfigured, match="nowhere"):
            holds_any_role(person, module_roles("nowhere", Role.OPERATOR))


def test_a_broadcast_to_a_modules_roles_reaches_only_its_departments_and_keeps_its_module_when_stored():
    Department.objects.create(code="health", name="Public Health")
    ours, theirs = staff_of("health", Role.HEALTH_OFFICER), staff_of("water", Role.HEALTH_OFFICER)
    # Messages are the work of City Operations and Public Health (CITYOS_MESSAGES_DEPARTMENT).
    segment = Segment(audience="staff", roles=module_roles("messages", Role.HEALTH_OFFICER))
    assert list(segment_members(segment)) == [ours]
    stored = Segment.from_dict(segment.as_dict())
    assert stored == segment and stored.as_dict()["roles_module"] == "messages"
    # Roles by name (a person composing a message) reach every department, as before.
    assert set(segment_members(Segment(audience="staff", roles=(Role.HEALTH_OFFICER,)))) == {ours, theirs}


def test_department_refusal_is_only_for_a_modules_roles():
    water = staff_of("water", Role.OPERATOR)
    assert department_refusal(water, PLACE_ROLES)
    assert department_refusal(staff_of("water", Role.CASEWORKER), (Role.OPERATOR,)) == ""


# --- Every module that declares its departments asks for its roles as its own --------------------


def _scoped_app_modules() -> list[str]:
    """Every module (tests aside) of the apps that declare a department scope, imported."""
    names = []
    for app_name in sorted(set(registry.scope_apps.values())):
        package = importlib.import_module(app_name)
        names.append(app_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app_name}."):
            if ".tests" in info.name or ".migrations" in info.name or info.name.endswith(".urls"):
                continue
            names.append(info.name)
    return names


def test_every_app_that_declares_departments_is_known_to_the_registry():
    assert set(registry.scope_apps) == set(registry.department_scopes)
    assert registry.scope_apps["places"] == "cityos.core.geo"
    assert registry.scope_apps["people"] == "cityos.core.accounts"


@pytest.mark.parametrize("module_name", _scoped_app_modules())
def test_every_role_constant_of_a_scoped_app_is_its_modules_roles(module_name):
    module = importlib.import_module(module_name)
    for attribute, value in vars(module).items():
        if not attribute.endswith("_ROLES") or not isinstance(value, tuple | ScopedRoles):
            continue
        if isinstance(value, ScopedRoles):
            assert value.module in registry.department_scopes, f"{module_name}.{attribute}: {value.module!r}"
        else:  # by name only where that opens nothing: administrators count everywhere
            assert not opens_every_department(value), f"{module_name}.{attribute} = {value!r} counts every department"


def _literal_roles(node: ast.expr) -> bool:
    """Role names written out where a check asks for roles: a string or a tuple of them, or
    ``*roles`` (which would unpack a module's roles and raise). ``"administrator"`` opens nothing."""
    if isinstance(node, ast.Starred):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value != Role.ADMINISTRATOR
    if isinstance(node, ast.Attribute) and node.attr in Role.names:  # Role.OPERATOR
        return node.attr != "ADMINISTRATOR"
    if isinstance(node, ast.Tuple | ast.List):
        return any(_literal_roles(item) for item in node.elts)
    return False


@pytest.mark.parametrize("module_name", _scoped_app_modules())
def test_no_role_check_of_a_scoped_app_names_its_roles_in_place(module_name):
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(), spec.origin)
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
        name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
        if name not in ROLE_CHECKS:
            continue
        first = ROLE_CHECKS[name]
        # staff_required and require_roles take names one by one; the others one role list.
        given = call.args[first:] if name in ("staff_required", "require_roles") else call.args[first : first + 1]
        assert not any(_literal_roles(arg) for arg in given), f"{module_name}:{call.lineno} {ast.unparse(call)}"


# --- The system check says so at start-up -------------------------------------------------------


def test_the_platform_as_shipped_passes_the_check():
    assert check_module_roles() == []
    assert not [m for m in run_checks() if m.id == PLAIN_ROLES]


def test_the_check_errs_on_a_menu_entry_of_a_scoped_module_that_asks_for_roles_by_name(monkeypatch):
    monkeypatch.setitem(
        registry.nav,
        "ops:places-by-name",
        NavItem("places-by-name", "Places", "geo:manage", "ops", roles=("operator",)),
    )
    (error,) = check_module_roles()
    assert error.id == PLAIN_ROLES and "'places-by-name'" in error.msg and "module_roles" in error.hint


def test_the_check_errs_on_a_role_constant_of_a_scoped_module_by_name(monkeypatch):
    from cityos.core.geo import conf

    monkeypatch.setattr(conf, "SURVEYOR_ROLES", ("operator",), raising=False)
    (error,) = check_module_roles()
    assert "cityos.core.geo.conf.SURVEYOR_ROLES" in error.msg


def test_the_check_leaves_modules_of_no_department_scope_alone(monkeypatch):
    # The audit log is for administrators only, and declares no department scope.
    assert apps.get_app_config("audit").name not in registry.scope_apps.values()
    monkeypatch.setitem(
        registry.nav, "ops:audit-by-name", NavItem("audit-by-name", "Log", "audit:log", "ops", roles=("operator",))
    )
    assert check_module_roles() == []


@override_settings(CITYOS_PLACES_DEPARTMENT="*")
def test_every_department_is_a_setting_not_a_plain_role_list():
    assert holds_any_role(staff_of("parks", Role.OPERATOR), PLACE_ROLES)
