"""The demo step runs the damp job, so the demo shows homes ranked and work orders open."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from cityos.core.registry import DemoContext, registry
from cityos.monitoring import selectors
from cityos.monitoring.models import HomeRisk, WorkOrder
from cityos.monitoring.tests.factories import hourly, middle_of_last_hour, observe, thing

pytestmark = pytest.mark.django_db


def test_the_demo_step_comes_after_the_sensing_devices_and_opens_work_orders():
    step = registry.demo_steps["monitoring"]
    assert step.order > registry.demo_steps["sensing"].order
    said: list[str] = []
    ctx = DemoContext(rng=random.Random(1), say=said.append)
    step.build(ctx)
    assert "no council-home climate sensors" in said[-1]
    end = middle_of_last_hour(timezone.now())
    for ref, rh in (("D-1", 88.0), ("D-2", 50.0)):
        home = thing(
            f"Home {ref}", "home-climate", ["temperature", "relative-humidity"], home_ref=ref, tenure="council"
        )
        observe(home, "temperature", hourly(end, 168, 16.0))
        observe(home, "relative-humidity", hourly(end, 168, rh))
    step.build(ctx)
    assert said[-1] == "monitoring: 2 council homes assessed for damp, 1 at risk, 1 maintenance work orders opened"
    assert HomeRisk.objects.count() == 2 and WorkOrder.objects.get().home_ref == "D-1"


def test_the_services_on_the_demo_citys_own_devices():
    """The sensing demo's devices (a small city, two days of history) feed every service."""
    said: list[str] = []
    data = {"sensing_scale": 0.05, "sensing_history_days": 2}
    for name in ("geography", "sensing", "monitoring"):
        registry.demo_steps[name].build(DemoContext(rng=random.Random(5), say=said.append, data=dict(data)))
    parks = selectors.car_parks()
    assert parks and all(p.total and p.free + p.occupied + p.unknown == p.total for p in parks)
    assert any(not p.stale for p in parks)
    assert any(r.status != "unknown" for r in selectors.water_districts())
    assert any(r.index is not None for r in selectors.air_districts())
    assert selectors.traps()
    assert HomeRisk.objects.exclude(level="unknown").exists()
    assert said[-1].startswith("monitoring: ") and "council homes assessed for damp" in said[-1]
