"""The demo step: a fleet, bins (synthetic when the sensing demo made none), today's plan, and
the stored 30-day comparison, in seconds."""

from __future__ import annotations

import random
import time

import pytest

from cityos.core.registry import DemoContext
from cityos.waste import demo
from cityos.waste.models import Bin, BinReport, Comparison, Plan, PlanStatus, Stop, Vehicle

pytestmark = pytest.mark.django_db


def test_the_demo_builds_a_plan_and_a_comparison_quickly_and_only_once():
    said: list[str] = []
    ctx = DemoContext(rng=random.Random(7), say=said.append)
    started = time.perf_counter()
    demo.build(ctx)
    elapsed = time.perf_counter() - started
    assert Bin.objects.count() == demo.SYNTHETIC_BINS and Vehicle.objects.count() == 3
    plan = Plan.objects.get()
    assert plan.status == PlanStatus.PUBLISHED and plan.bins_planned > 0
    comparison = Comparison.objects.get()
    assert comparison.days == 30 and comparison.results["fixed"]["km"] > 0
    assert all(b.round_weekdays for b in Bin.objects.all())
    reported = BinReport.objects.filter(problem="full").values_list("bin_id", flat=True)
    assert BinReport.objects.count() == 3 and BinReport.objects.filter(count=2).exists()
    assert set(reported) <= set(Stop.objects.filter(route__plan=plan, required=True).values_list("bin_id", flat=True))
    assert elapsed < 60, elapsed
    demo.build(ctx)
    assert Plan.objects.count() == 1 and "already built" in said[-1]
