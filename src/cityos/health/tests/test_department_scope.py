"""Cases and contacts are the health department's work (CITYOS_HEALTH_DEPARTMENT, default "health")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import staff_of

pytestmark = pytest.mark.django_db


def test_a_health_officer_of_another_department_sees_no_cases():
    client = verified_client(staff_of("environment", Role.HEALTH_OFFICER))
    assert client.get(reverse("health:cases")).status_code == 403
    assert client.get("/api/v1/health/cases", {"reason": "weekly review of open cases"}).status_code == 403
    assert reverse("health:cases") not in client.get(reverse("web:ops")).content.decode()


@pytest.mark.parametrize("department", ["health", None])
def test_health_officers_of_the_health_department_or_none_do(department):
    client = verified_client(staff_of(department, Role.HEALTH_OFFICER))
    assert client.get(reverse("health:cases")).status_code == 200
    assert client.get("/api/v1/health/cases", {"reason": "weekly review of open cases"}).status_code == 200
