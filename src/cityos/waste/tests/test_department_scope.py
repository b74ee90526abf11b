"""Waste collection is the waste department's work (CITYOS_WASTE_DEPARTMENT, default "waste"):
operators of another department, such as the demo's water operator, neither plan nor see reports."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.tests.factories import staff_of
from cityos.waste.tests.factories import BinFactory

pytestmark = pytest.mark.django_db

PLANNER_PAGES = ("waste:plans", "waste:bins", "waste:reports", "waste:fleet", "waste:results")
PLANNER_API = ("/api/v1/waste/bins", "/api/v1/waste/reports", "/api/v1/waste/vehicles", "/api/v1/waste/plans")


@pytest.fixture(autouse=True)
def waste_department() -> Department:
    return Department.objects.create(code="waste", name="Waste and Recycling", names={"es": "Residuos y Reciclaje"})


def test_the_water_operator_is_refused_every_planners_page_and_api_list():
    BinFactory(ref="corner-1")
    water = verified_client(staff_of("water", Role.OPERATOR))
    for name in PLANNER_PAGES:
        response = water.get(reverse(name))
        assert response.status_code == 403, name
        assert "Waste and Recycling" in response.content.decode()
    for path in PLANNER_API:
        response = water.get(path, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == 403, path
        assert "Residuos y Reciclaje" in response.json()["detail"]


def test_the_water_operators_menu_and_dashboard_leave_waste_out():
    html = verified_client(staff_of("water", Role.OPERATOR)).get(reverse("web:ops")).content.decode()
    for name in ("waste:plans", "waste:bins", "waste:reports", "waste:tile"):
        assert reverse(name) not in html, name


@pytest.mark.parametrize("department", ["waste", None], ids=["waste operator", "operator of no department"])
def test_waste_and_unscoped_operators_plan_collections(department):
    BinFactory(ref="corner-1")
    operator = verified_client(staff_of(department, Role.OPERATOR))
    for name in PLANNER_PAGES:
        assert operator.get(reverse(name)).status_code == 200, name
    for path in PLANNER_API:
        assert operator.get(path).status_code == 200, path
    assert reverse("waste:bins") in operator.get(reverse("web:ops")).content.decode()


def test_administrators_of_any_department_keep_everything():
    admin = verified_client(staff_of("it", Role.ADMINISTRATOR))
    for name in PLANNER_PAGES:
        assert admin.get(reverse(name)).status_code == 200, name


def test_crews_of_another_department_do_not_see_the_routes():
    assert verified_client(staff_of("service-desk", Role.SERVICE_AGENT)).get(reverse("waste:plans")).status_code == 403
    assert verified_client(staff_of("waste", Role.SERVICE_AGENT)).get(reverse("waste:plans")).status_code == 200


def test_a_city_names_its_own_sanitation_department():
    with override_settings(CITYOS_WASTE_DEPARTMENT="sanitation"):
        assert verified_client(staff_of("sanitation", Role.OPERATOR)).get(reverse("waste:bins")).status_code == 200
        assert verified_client(staff_of("waste", Role.OPERATOR)).get(reverse("waste:bins")).status_code == 403
