"""`cityos demo` builds the same believable city from the same seed."""

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role, StaffRole, User
from cityos.core.geo.models import District, Place
from cityos.core.web.management.commands.demo import build_demo_city

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[list[tuple[str, str]], list[tuple[str, float, float]], list[str]]:
    return (
        list(District.objects.order_by("code").values_list("code", "name")),
        list(Place.objects.order_by("name").values_list("name", "lat", "lon")),
        list(User.objects.order_by("username").values_list("username", flat=True)),
    )


def test_the_demo_city_has_districts_places_residents_and_staff_of_every_role():
    logins = build_demo_city(seed=7, residents=40, say=lambda _text: None)
    assert District.objects.count() >= 6
    assert Place.objects.values("kind").distinct().count() >= 8
    assert User.objects.residents().count() >= 40
    assert set(StaffRole.objects.values_list("role", flat=True)) == set(Role.values)
    assert any(what == "resident" for _u, _p, what in logins)


def test_the_same_seed_builds_the_same_city():
    build_demo_city(seed=7, residents=20, say=lambda _text: None)
    first = snapshot()
    User.objects.all().delete()
    Place.objects.all().delete()
    District.objects.all().delete()
    build_demo_city(seed=7, residents=20, say=lambda _text: None)
    assert snapshot() == first
