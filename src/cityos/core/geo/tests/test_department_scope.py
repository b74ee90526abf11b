"""Places are managed by operators of the departments that keep them (default: operations)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.tests.factories import staff_of
from cityos.core.geo.models import PlaceKind
from cityos.core.geo.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db
MANAGE = reverse("geo:manage")


@pytest.fixture(autouse=True)
def operations() -> Department:
    return Department.objects.create(code="operations", name="City Operations")


def test_an_operator_of_another_department_is_refused_the_staff_list_and_told_whose_it_is():
    water = verified_client(staff_of("water", Role.OPERATOR))
    response = water.get(MANAGE)
    assert response.status_code == 403
    assert "City Operations" in response.content.decode()
    assert water.get(reverse("geo:export-csv")).status_code == 403


def test_the_operations_department_unscoped_operators_and_administrators_manage_places():
    for person in (
        staff_of("operations", Role.OPERATOR),
        staff_of(None, Role.OPERATOR),
        staff_of("it", Role.ADMINISTRATOR),
    ):
        assert verified_client(person).get(MANAGE).status_code == 200


def test_the_menu_shows_places_only_to_those_who_manage_them():
    water = verified_client(staff_of("water", Role.OPERATOR)).get(reverse("web:ops"))
    assert MANAGE not in water.content.decode()
    operations = verified_client(staff_of("operations", Role.OPERATOR)).get(reverse("web:ops"))
    assert MANAGE in operations.content.decode()


def test_the_api_refuses_their_writes_with_a_problem_naming_the_department():
    place = PlaceFactory(name="Shelter", kind=PlaceKind.SHELTER)
    response = verified_client(staff_of("water", Role.OPERATOR)).delete(f"/api/v1/geo/places/{place.pk}")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert "City Operations" in response.json()["detail"]
    assert (
        verified_client(staff_of("operations", Role.OPERATOR)).delete(f"/api/v1/geo/places/{place.pk}").status_code
        == 204
    )


def test_a_withdrawn_place_stays_hidden_from_an_operator_of_another_department():
    gone = PlaceFactory(name="Old Shelter", kind=PlaceKind.SHELTER, is_active=False)
    assert (
        verified_client(staff_of("water", Role.OPERATOR)).get(reverse("geo:place", args=[gone.pk])).status_code == 404
    )
    assert verified_client(staff_of(None, Role.OPERATOR)).get(reverse("geo:place", args=[gone.pk])).status_code == 200
