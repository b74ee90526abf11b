"""Homes and traps are the work of the environment, housing and social departments
(CITYOS_MONITORING_DEPARTMENT, default "environment,housing,social") or of staff of no department."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import staff_of

pytestmark = pytest.mark.django_db


def test_the_water_operator_does_not_manage_trap_catches():
    client = verified_client(staff_of("water", Role.OPERATOR))
    assert client.get(reverse("monitoring:trap-events")).status_code == 403
    assert reverse("monitoring:trap-events") not in client.get(reverse("web:ops")).content.decode()


def test_environment_operators_manage_traps_and_social_caseworkers_see_homes():
    assert (
        verified_client(staff_of("environment", Role.OPERATOR)).get(reverse("monitoring:trap-events")).status_code
        == 200
    )
    assert verified_client(staff_of("social", Role.CASEWORKER)).get(reverse("monitoring:homes")).status_code == 200
    assert (
        verified_client(staff_of("service-desk", Role.CASEWORKER)).get(reverse("monitoring:homes")).status_code == 403
    )
