"""The waste services check who acts, as every module's services do: planners plan, crews mark
stops, and staff of another department are told whose work it is. None is the platform itself
(a job, the demo)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.permissions import DepartmentRefused
from cityos.core.accounts.tests.factories import staff_of
from cityos.waste import services
from cityos.waste.models import Plan, PlanStatus, Stop, StopKind
from cityos.waste.tests.factories import BinFactory, DepotFactory, fleet, published_plan

pytestmark = pytest.mark.django_db

BIN = {"ref": "corner-1", "volume_litres": 240, "longitude": 1.0, "latitude": 2.0}


@pytest.fixture(autouse=True)
def waste_department() -> Department:
    return Department.objects.create(code="waste", name="Waste and Recycling")


def test_planners_of_the_waste_department_or_of_none_save_bins_and_the_platform_may_too():
    assert services.save_bin(BIN, user=staff_of("waste", Role.OPERATOR)).pk
    assert services.save_bin({**BIN, "ref": "corner-2"}, user=staff_of(None, Role.OPERATOR)).pk
    assert services.save_bin({**BIN, "ref": "corner-3"}, user=None).pk


def test_a_crew_member_may_not_change_bins_or_vehicles():
    crew = staff_of("waste", Role.SERVICE_AGENT)
    with pytest.raises(PermissionDenied, match="Only waste collection planners"):
        services.save_bin(BIN, user=crew)
    with pytest.raises(PermissionDenied, match="Only waste collection planners"):
        services.save_vehicle({"name": "Truck", "depot_id": DepotFactory().pk}, user=crew)


def test_an_operator_of_another_department_is_told_whose_work_it_is():
    with pytest.raises(DepartmentRefused, match="this work belongs to Waste and Recycling"):
        services.save_bin(BIN, user=staff_of("water", Role.OPERATOR))


def test_only_planners_publish_plans_resolve_reports_or_ask_for_plans_and_comparisons():
    plan = published_plan()
    crew = staff_of("waste", Role.SERVICE_AGENT)
    report = services.report_bin(BinFactory(ref="full-1").ref, "full")
    with pytest.raises(PermissionDenied):
        services.publish_plan(plan, user=crew)
    with pytest.raises(PermissionDenied):
        services.resolve_report(report.report, "dismissed", user=crew)
    with pytest.raises(PermissionDenied):
        services.request_plan(timezone.localdate(), user=crew, seconds=1)
    with pytest.raises(PermissionDenied):
        services.build_plan(timezone.localdate(), user=crew, seconds=0.1)
    with pytest.raises(PermissionDenied):
        services.request_comparison(user=crew, days=7, seed=1)
    with pytest.raises(PermissionDenied):
        services.report_breakdown(plan.routes.first(), user=crew)
    assert Plan.objects.get(pk=plan.pk).status == PlanStatus.PUBLISHED
    assert services.resolve_report(report.report, "dismissed", user=staff_of("waste", Role.OPERATOR)).resolved_at


def test_crews_mark_stops_and_others_are_refused():
    plan = published_plan()
    first, second = Stop.objects.filter(route__plan=plan, kind=StopKind.BIN)[:2]
    with pytest.raises(PermissionDenied, match="Only waste collection crews"):
        services.mark_collected(first, user=staff_of("waste", Role.CASEWORKER))
    with pytest.raises(DepartmentRefused):
        services.mark_missed(second, user=staff_of("parks", Role.SERVICE_AGENT), reason="blocked")
    assert services.mark_collected(first, user=staff_of("waste", Role.SERVICE_AGENT)).collected
    assert services.mark_missed(second, user=staff_of(None, Role.OPERATOR), reason="blocked").missed_reason


def test_administrators_of_any_department_may_do_it_all():
    fleet()
    assert services.save_bin(BIN, user=staff_of("it", Role.ADMINISTRATOR)).pk
