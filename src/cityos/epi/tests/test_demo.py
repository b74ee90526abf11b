"""The demo city's epidemic: two years of waves, reports, past forecasts with their accuracy,
and a capacity alert to the health officers, built fast."""

from __future__ import annotations

import random
import time

import pytest

from cityos.core.notifications.models import Broadcast, MessageTemplate
from cityos.core.registry import DemoContext, registry
from cityos.epi.models import CapacityAlert, CaseCount, Forecast, HospitalReport, LabResult
from cityos.epi.selectors import snapshot

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_two_years_of_epidemic_with_measured_forecasts_and_an_alert(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    ctx = DemoContext(rng=random.Random(2020), say=lambda text: None, data={"residents": 50})
    for step in registry.ordered_demo_steps():
        if step.name in {"geography", "accounts", "notifications"}:
            step.build(ctx)

    began = time.perf_counter()
    registry.demo_steps["epidemic"].build(ctx)
    took = time.perf_counter() - began

    assert took < 20
    dates = CaseCount.objects.dates("date", "day")
    assert (dates.last() - dates.first()).days == 729
    assert LabResult.objects.count() == CaseCount.objects.count()
    assert HospitalReport.objects.exists()
    assert Forecast.objects.filter(area="").values("issue_date").distinct().count() >= 50
    data = snapshot().data
    assert data["rt"]["mean"] > 1  # the last wave is rising
    assert all(row["n"] > 0 and row["mape"] is not None for row in data["accuracy"])
    assert data["hospital"]["crossings"]
    assert CapacityAlert.objects.filter(sent=True).exists()
    assert Broadcast.objects.filter(template_key="epi_capacity_alert").exists()
    assert MessageTemplate.objects.filter(key="epi_capacity_alert").count() == 3

    registry.demo_steps["epidemic"].build(ctx)  # building again adds nothing
    assert Forecast.objects.filter(area="").values("issue_date").distinct().count() < 60


def test_the_capacity_alert_does_not_depend_on_the_seed(settings, tmp_path):
    # The full demo reaches this step with its generator moved on by the steps before; the
    # standing capacity is sized on today's occupancy, so the rising wave crosses it anyway.
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    ctx = DemoContext(rng=random.Random(2020), say=lambda text: None, data={"residents": 20})
    for step in registry.ordered_demo_steps():
        if step.name in {"geography", "accounts", "notifications"}:
            step.build(ctx)
    said: list[str] = []
    ctx.rng, ctx.say = random.Random(4), said.append

    registry.demo_steps["epidemic"].build(ctx)

    crossings = snapshot().data["hospital"]["crossings"]
    assert "beds" in crossings
    assert "capacity alerts: beds on" in said[-1]
    alert = Broadcast.objects.get(template_key="epi_capacity_alert", context__resource="beds")
    assert alert.segment["roles"] == ["health_officer"]
    assert alert.recipient_count >= 1  # the demo's health officer
    beds = next(r for r in snapshot().data["hospital"]["resources"] if r["resource"] == "beds")
    assert 60 <= beds["share"] < 100  # filling up, not yet full
