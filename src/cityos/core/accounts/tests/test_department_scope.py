"""Department scope: a module's roles count for staff of the departments it declares, or of none."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from cityos.conftest import verified_client
from cityos.core.accounts.checks import NO_DEPARTMENT, UNKNOWN_CODE, UNREADABLE, check_department_scopes
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.permissions import department_refusal, districts_in_scope, holds_any_role
from cityos.core.accounts.staff_views import PEOPLE_ROLES
from cityos.core.accounts.tests.factories import ResidentFactory, staff_of
from cityos.core.geo.conf import PLACE_ROLES
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications.conf import MESSAGING_ROLES
from cityos.core.registry import module_roles

pytestmark = pytest.mark.django_db


def test_a_modules_roles_count_for_its_departments_and_for_staff_of_no_department():
    # Places are kept by the operations department (CITYOS_PLACES_DEPARTMENT, default "operations").
    assert holds_any_role(staff_of("operations", Role.OPERATOR), PLACE_ROLES)
    assert holds_any_role(staff_of(None, Role.OPERATOR), PLACE_ROLES)
    assert not holds_any_role(staff_of("water", Role.OPERATOR), PLACE_ROLES)


def test_administrators_count_everywhere_whatever_their_department():
    assert holds_any_role(staff_of("it", Role.ADMINISTRATOR), PLACE_ROLES)
    assert districts_in_scope(staff_of("it", Role.ADMINISTRATOR), MESSAGING_ROLES) is None


def test_a_plain_role_list_counts_every_department_as_before():
    assert holds_any_role(staff_of("water", Role.OPERATOR), (Role.OPERATOR,))


def test_one_role_of_the_right_department_is_enough():
    person = staff_of("water", Role.OPERATOR)
    person.staff_roles.create(role=Role.OPERATOR, department=Department.objects.create(code="operations", name="Ops"))
    assert holds_any_role(person, PLACE_ROLES)


def test_the_city_names_the_departments_in_the_setting():
    water = staff_of("water", Role.OPERATOR)
    with override_settings(CITYOS_PLACES_DEPARTMENT="roads, water"):
        assert holds_any_role(water, PLACE_ROLES)
    with override_settings(CITYOS_PLACES_DEPARTMENT="*"):
        assert holds_any_role(staff_of("parks", Role.OPERATOR), PLACE_ROLES)


def test_districts_come_only_from_roles_of_the_modules_departments():
    north, south = DistrictFactory(code="north"), DistrictFactory(code="south")
    person = staff_of("operations", Role.OPERATOR, districts=[north])
    water = Department.objects.create(code="water", name="Water")
    person.staff_roles.create(role=Role.OPERATOR, department=water).districts.set([south])
    assert districts_in_scope(person, MESSAGING_ROLES) == frozenset({north.pk})
    # A water operator's city-wide role does not make them city-wide for messages.
    assert districts_in_scope(staff_of("water", Role.OPERATOR), MESSAGING_ROLES) == frozenset()


def test_the_refusal_names_the_departments_whose_work_it_is_in_the_readers_language():
    Department.objects.create(code="operations", name="City Operations", names={"es": "Operaciones Municipales"})
    water = staff_of("water", Role.OPERATOR)
    assert "City Operations" in department_refusal(water, PLACE_ROLES)
    with translation.override("es"):
        assert "Operaciones Municipales" in department_refusal(water, PLACE_ROLES)
    # Nothing to say about someone who lacks the role altogether, or who holds it where it counts.
    assert department_refusal(staff_of("water", Role.CASEWORKER), PLACE_ROLES) == ""
    assert department_refusal(staff_of(None, Role.OPERATOR), PLACE_ROLES) == ""


def test_roles_of_a_scope_no_app_declares_are_a_programming_error_not_an_opening():
    with pytest.raises(ImproperlyConfigured, match="nowhere"):
        holds_any_role(staff_of("water", Role.OPERATOR), module_roles("nowhere", Role.OPERATOR))


# --- An empty setting shuts the door; only "*" opens every department ----------------------


@pytest.mark.parametrize("blank", ["", " ", ",", " , ", [], ()])
def test_a_blank_setting_counts_no_department_not_every_department(blank):
    health = staff_of("health", Role.OPERATOR)
    with override_settings(CITYOS_PLACES_DEPARTMENT=blank):
        assert not holds_any_role(health, PLACE_ROLES)
        assert not holds_any_role(staff_of("water", Role.OPERATOR), PLACE_ROLES)
        # Staff of no department and administrators still do the work.
        assert holds_any_role(staff_of(None, Role.OPERATOR), PLACE_ROLES)
        assert holds_any_role(staff_of("it", Role.ADMINISTRATOR), PLACE_ROLES)
        assert "no department" in department_refusal(health, PLACE_ROLES)


@pytest.mark.parametrize("blank", ["", " ", ","])
def test_a_blank_environment_variable_counts_no_department(monkeypatch, blank):
    monkeypatch.setenv("CITYOS_PLACES_DEPARTMENT", blank)
    assert not holds_any_role(staff_of("operations", Role.OPERATOR), PLACE_ROLES)
    monkeypatch.setenv("CITYOS_PLACES_DEPARTMENT", "*")
    assert holds_any_role(staff_of("water", Role.OPERATOR), PLACE_ROLES)


def test_django_settings_may_list_the_codes():
    with override_settings(CITYOS_PLACES_DEPARTMENT=["roads", " water "]):
        assert holds_any_role(staff_of("water", Role.OPERATOR), PLACE_ROLES)
        assert not holds_any_role(staff_of("operations", Role.OPERATOR), PLACE_ROLES)
    with override_settings(CITYOS_PLACES_DEPARTMENT=("*",)):
        assert holds_any_role(staff_of("parks", Role.OPERATOR), PLACE_ROLES)
    with override_settings(CITYOS_PLACES_DEPARTMENT=3), pytest.raises(ImproperlyConfigured):
        holds_any_role(staff_of("parks", Role.OPERATOR), PLACE_ROLES)


# --- The system check names codes that match no department -----------------------------------


def _said(**settings) -> dict[str, list[str]]:
    with override_settings(**settings):
        found: dict[str, list[str]] = {}
        for message in check_department_scopes():
            found.setdefault(message.id, []).append(message.msg + " " + (message.hint or ""))
        return found


def test_the_check_warns_of_a_code_no_department_has_and_suggests_the_one_meant():
    for code in ("operations", "health", "waste", "environment", "housing", "social"):
        Department.objects.create(code=code, name=code.title())
    assert _said() == {}
    said = _said(CITYOS_HEALTH_DEPARTMENT="heath", CITYOS_EPI_DEPARTMENT="Health", CITYOS_WASTE_DEPARTMENT="*")
    assert set(said) == {UNKNOWN_CODE}
    (typo,) = [m for m in said[UNKNOWN_CODE] if "CITYOS_HEALTH_DEPARTMENT" in m]
    (capital,) = [m for m in said[UNKNOWN_CODE] if "CITYOS_EPI_DEPARTMENT" in m]
    assert "'heath'" in typo and "'health'?" in typo
    assert "'Health'" in capital and "'health'?" in capital
    with override_settings(CITYOS_HEALTH_DEPARTMENT="heath"):  # registered: `check` and the server say it
        assert any(message.id == UNKNOWN_CODE for message in run_checks())


def test_the_check_warns_of_a_blank_setting_and_errs_on_an_unreadable_one():
    Department.objects.create(code="operations", name="City Operations")
    said = _said(CITYOS_PLACES_DEPARTMENT=" , ", CITYOS_MESSAGES_DEPARTMENT=7)
    assert any("CITYOS_PLACES_DEPARTMENT" in m for m in said[NO_DEPARTMENT])
    assert any("CITYOS_MESSAGES_DEPARTMENT" in m for m in said[UNREADABLE])


def test_the_check_says_nothing_of_codes_before_the_city_has_departments():
    assert UNKNOWN_CODE not in _said(CITYOS_HEALTH_DEPARTMENT="heath")


def test_the_check_says_nothing_when_the_departments_table_is_not_there_yet(monkeypatch):
    # As before the first migration: `migrate` runs the checks before it makes any table.
    Department.objects.create(code="health", name="Public Health")
    monkeypatch.setattr(type(connection.introspection), "table_names", lambda self, cursor=None: [])
    assert UNKNOWN_CODE not in _said(CITYOS_HEALTH_DEPARTMENT="heath")


def test_the_check_says_nothing_when_the_database_cannot_be_reached(monkeypatch):
    Department.objects.create(code="health", name="Public Health")

    def unreachable(self, cursor=None):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(type(connection.introspection), "table_names", unreachable)
    assert UNKNOWN_CODE not in _said(CITYOS_HEALTH_DEPARTMENT="heath")


# --- People search: every department's people-facing roles, unless the city narrows it --------


def test_people_search_counts_every_departments_roles_by_default():
    resident = ResidentFactory()
    for department in ("social", "health", "service-desk"):
        assert holds_any_role(staff_of(department, Role.CASEWORKER), PEOPLE_ROLES)
    client = verified_client(staff_of("water", Role.SERVICE_AGENT))
    assert client.get(reverse("accounts:people")).status_code == 200
    assert client.get(reverse("accounts:person", args=[resident.pk])).status_code == 200


def test_a_city_narrows_people_search_to_its_departments():
    resident = ResidentFactory(first_name="Wei", email="wei@example.org")
    Department.objects.create(code="service-desk", name="Resident Services")
    health = verified_client(staff_of("health", Role.HEALTH_OFFICER))
    desk_agent = staff_of(None, Role.SERVICE_AGENT)
    desk_agent.staff_roles.update(department=Department.objects.get(code="service-desk"))
    desk = verified_client(desk_agent)
    person = reverse("accounts:person", args=[resident.pk])
    change = {"first_name": "X", "last_name": "", "email": "x@example.org", "phone": "", "language": "es"}
    with override_settings(CITYOS_PEOPLE_DEPARTMENT="service-desk,social"):
        refused = health.get(reverse("accounts:people"), {"q": "Wei"})
        assert refused.status_code == 403 and "Resident Services" in refused.content.decode()
        assert health.post(person, {"reason": "Checking an address"}).status_code == 403
        assert health.post(person, change).status_code == 403
        assert reverse("accounts:people") not in health.get(reverse("web:ops")).content.decode()
        assert "Wei" in desk.get(reverse("accounts:people"), {"q": "Wei"}).content.decode()
        assert reverse("accounts:people") in desk.get(reverse("web:ops")).content.decode()
    resident.refresh_from_db()
    assert resident.email == "wei@example.org" and resident.first_name == "Wei"
