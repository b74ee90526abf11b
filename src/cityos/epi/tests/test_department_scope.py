"""Epidemic data is entered by the health department (CITYOS_EPI_DEPARTMENT, default "health")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import staff_of

pytestmark = pytest.mark.django_db


def test_only_health_officers_of_the_health_department_or_none_enter_epidemic_data():
    assert verified_client(staff_of("social", Role.HEALTH_OFFICER)).get(reverse("epi:manage")).status_code == 403
    assert verified_client(staff_of("health", Role.HEALTH_OFFICER)).get(reverse("epi:manage")).status_code == 200
    assert verified_client(staff_of(None, Role.HEALTH_OFFICER)).get(reverse("epi:manage")).status_code == 200


def test_the_public_dashboard_tile_stays_for_every_department():
    assert verified_client(staff_of("water", Role.OPERATOR)).get(reverse("epi:tile")).status_code == 200
