"""The 403 page and the API's 403 problem: one message per refusal.

Refused only because the role is held for another department, staff are told whose work it is and
to ask an administrator for a role in that department, and nothing else. Refused for lacking the
role, they get the general advice to ask for the role.
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.tests.factories import staff_of

pytestmark = pytest.mark.django_db

GENERAL = "Your role does not include this page."
ASK_FOR_THE_DEPARTMENT = "ask an administrator for a role in that department"


@pytest.fixture(autouse=True)
def operations() -> Department:
    return Department.objects.create(
        code="operations", name="City Operations", names={"es": "Operaciones Municipales", "zh-hant": "市政營運處"}
    )


def test_a_department_refusal_names_the_department_and_what_to_ask_for_and_nothing_else():
    response = verified_client(staff_of("water", Role.OPERATOR)).get(reverse("geo:manage"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your role as Operator is for another department; this work belongs to City Operations." in page
    assert ASK_FOR_THE_DEPARTMENT in page
    assert GENERAL not in page


def test_a_refusal_for_lacking_the_role_keeps_the_general_advice():
    response = verified_client(staff_of("operations", Role.CASEWORKER)).get(reverse("geo:manage"))
    page = response.content.decode()
    assert response.status_code == 403
    assert GENERAL in page and "ask an administrator to add the role to your account" in page
    assert "another department" not in page


def test_work_of_several_departments_asks_for_a_role_in_one_of_them():
    # Messages are the work of City Operations and Public Health (CITYOS_MESSAGES_DEPARTMENT).
    Department.objects.create(code="health", name="Public Health")
    page = verified_client(staff_of("water", Role.OPERATOR)).get(reverse("notifications:list")).content.decode()
    assert "this work belongs to City Operations, Public Health." in page
    assert "ask an administrator for a role in one of these departments" in page
    assert GENERAL not in page


def test_work_kept_for_staff_of_no_department_asks_for_the_role_without_one():
    with override_settings(CITYOS_PLACES_DEPARTMENT=""):
        page = verified_client(staff_of("operations", Role.OPERATOR)).get(reverse("geo:manage")).content.decode()
    assert "kept for staff of no department" in page and "the role without a department" in page
    assert GENERAL not in page


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("es", "Operaciones Municipales"),
        ("zh-hant", "市政營運處"),
    ],
)
def test_the_department_refusal_is_in_the_staff_members_language(language, said):
    client = verified_client(staff_of("water", Role.OPERATOR))
    page = client.get(reverse("geo:manage"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert said in page
    assert ASK_FOR_THE_DEPARTMENT not in page  # translated, not left in English


# --- The API: the problem's detail is the one message ------------------------------------------


def test_the_api_problem_of_a_department_refusal_says_whose_work_it_is_and_what_to_ask_for():
    response = verified_client(staff_of("water", Role.OPERATOR)).delete("/api/v1/geo/places/1")
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "this work belongs to City Operations" in detail and ASK_FOR_THE_DEPARTMENT in detail
    assert "This needs one of these staff roles" not in detail


def test_the_api_problem_of_a_missing_role_names_the_roles_as_staff_know_them():
    client = verified_client(staff_of("operations", Role.CASEWORKER))
    response = client.delete("/api/v1/geo/places/1")
    assert response.status_code == 403
    assert response.json()["detail"] == "This needs one of these staff roles: Operator, Administrator."
    spanish = client.delete("/api/v1/geo/places/1", headers={"accept-language": "es"}).json()["detail"]
    assert "operator" not in spanish and "administrator" not in spanish
