"""The hourly job drafts tomorrow's plan once, after the planning hour, on shift days only."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from cityos.waste import tasks
from cityos.waste.models import Plan, PlanStatus
from cityos.waste.tests.factories import BinFactory, fleet, history

pytestmark = pytest.mark.django_db

TOMORROW_WEEKDAY = (timezone.localdate() + timedelta(days=1)).weekday()


@pytest.fixture
def city() -> None:
    fleet()
    end = timezone.make_aware(datetime.combine(timezone.localdate(), time(0)))
    for i in range(3):
        history(BinFactory(), end, 2, lambda t: 1.0, start_fill=50 + i, empty_at=10_000)


def test_tomorrows_plan_is_drafted_once_the_planning_hour_has_passed(city, settings) -> None:
    settings.CITYOS_WASTE_PLAN_HOUR = "0"
    settings.CITYOS_WASTE_SHIFT_DAYS = str(TOMORROW_WEEKDAY)

    plan_id = tasks.plan_tomorrow.call()

    plan = Plan.objects.get(pk=plan_id)
    assert plan.date == timezone.localdate() + timedelta(days=1)
    assert plan.status == PlanStatus.DRAFT
    assert plan.routes.exists()


def test_the_job_runs_hourly_but_drafts_only_one_plan_a_day(city, settings) -> None:
    settings.CITYOS_WASTE_PLAN_HOUR = "0"
    settings.CITYOS_WASTE_SHIFT_DAYS = str(TOMORROW_WEEKDAY)

    assert tasks.plan_tomorrow.call() is not None
    assert tasks.plan_tomorrow.call() is None
    assert Plan.objects.count() == 1


def test_nothing_is_planned_before_the_planning_hour(city, settings) -> None:
    settings.CITYOS_WASTE_PLAN_HOUR = "24"  # later than any hour of today

    assert tasks.plan_tomorrow.call() is None
    assert not Plan.objects.exists()


def test_nothing_is_planned_for_a_day_without_a_shift(city, settings) -> None:
    settings.CITYOS_WASTE_PLAN_HOUR = "0"
    settings.CITYOS_WASTE_SHIFT_DAYS = str((TOMORROW_WEEKDAY + 1) % 7)

    assert tasks.plan_tomorrow.call() is None
    assert not Plan.objects.exists()


def test_a_city_without_a_disposal_site_yet_is_tried_again_next_hour(settings) -> None:
    settings.CITYOS_WASTE_PLAN_HOUR = "0"
    settings.CITYOS_WASTE_SHIFT_DAYS = str(TOMORROW_WEEKDAY)
    BinFactory()

    assert tasks.plan_tomorrow.call() is None
    assert not Plan.objects.exists()
