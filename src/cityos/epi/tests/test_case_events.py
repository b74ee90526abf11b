"""Cases confirmed in the health module reach the epidemic counts through an event, after commit."""

from __future__ import annotations

import datetime

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.epi.models import CaseCount
from cityos.health import services as health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}


def test_a_confirmed_case_adds_one_to_its_districts_day(django_capture_on_commit_callbacks):
    district = DistrictFactory(code="harbour")
    officer = StaffFactory(roles=[Role.HEALTH_OFFICER])
    resident = ResidentFactory(district=district)
    lab_date = datetime.date.today() - datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        case = health.record_case(officer, person=resident, lab_date=lab_date)
        assert not CaseCount.objects.exists()  # a suspected case is not counted
        health.confirm_case(officer, case, lab_date=lab_date)
    count = CaseCount.objects.get(district=district, date=lab_date)
    assert (count.local, count.imported) == (1, 0)


def test_a_case_without_a_known_district_is_not_counted(django_capture_on_commit_callbacks):
    officer = StaffFactory(roles=[Role.HEALTH_OFFICER])
    with django_capture_on_commit_callbacks(execute=True):
        health.record_case(
            officer, name="Visitor", classification="confirmed", lab_result="positive", lab_date=datetime.date.today()
        )
    assert not CaseCount.objects.exists()
