"""Periodic jobs: hourly forecasts, tomorrow's plan once the planning hour has passed, and the
retention of residents' phone numbers, notes and photos in bin reports and of crews' photos; and
the jobs pages and the API ask for (a simulation, a plan)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.core.conf import module_setting
from cityos.waste import services
from cityos.waste.models import Plan

JOB_ACTOR = Actor(label="waste", channel="job")


@task()
def refresh_waste_forecasts() -> int:
    services.sync_from_sensing()
    return services.refresh_forecasts()


@task()
def plan_tomorrow() -> int | None:
    """Draft tomorrow's plan after CITYOS_WASTE_PLAN_HOUR (default 18) if there is none yet."""
    now = timezone.localtime()
    if now.hour < int(module_setting("CITYOS_WASTE_PLAN_HOUR", "18")):
        return None
    day = now.date() + timedelta(days=1)
    if day.weekday() not in (services.shift_days() or frozenset(range(7))) or Plan.objects.filter(date=day).exists():
        return None
    try:
        plan = services.build_plan(day)
    except ValidationError:  # no disposal site yet: nothing to plan, try next hour
        return None
    return plan.pk


@task()
def clear_old_report_phones() -> int:
    """Periodic: remove residents' phone numbers, notes and photos from bin reports past
    CITYOS_WASTE_REPORT_PHONE_DAYS, and the numbers of residents following them, and crews'
    photos of bins they could not collect as old (each audited); then photo files that no report
    or stop names. Returns the reports, followers and stops cleared."""
    with acting_as(JOB_ACTOR):
        cleared = services.clear_report_phones()
        cleared += services.clear_crew_photos()
    services.sweep_orphan_photos()
    return cleared


@task()
def simulate_comparison(comparison_id: int) -> str:
    """Run a comparison requested on the results page or through the API (a minute or more)."""
    return str(services.complete_comparison(comparison_id).status)


@task()
def build_requested_plan(job_id: int) -> str:
    """Build a plan asked for through the API with ``Prefer: respond-async`` (up to 90 s)."""
    return str(services.complete_plan_job(job_id).status)
