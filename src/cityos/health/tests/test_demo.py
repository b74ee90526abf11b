"""The demo city has a chain of cases with contacts and follow-ups, declarations and people in
quarantine, one of whom missed a check-in and one who checked in away from home."""

from __future__ import annotations

import random

import pytest

from cityos.core.registry import DemoContext, registry
from cityos.health.models import Case, CaseVisit, Declaration, FollowUp, HealthTask, Quarantine, TaskKind

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_public_health_data(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    said: list[str] = []
    ctx = DemoContext(rng=random.Random(2020), say=said.append, data={"residents": 120})
    names = {"geography", "accounts", "checkin", "health"}
    for step in [s for s in registry.ordered_demo_steps() if s.name in names]:
        step.build(ctx)

    assert Case.objects.filter(classification="confirmed").count() >= 2
    assert CaseVisit.objects.exclude(venue_code="").exists()  # at venues with posters: alerts can follow
    deepest = max(Case.objects.all(), key=lambda c: c.source_case.source_case is not None if c.source_case else False)
    assert deepest.source_case and deepest.source_case.source_case  # three generations
    assert FollowUp.objects.exclude(status="due").exists() and FollowUp.objects.filter(status="due").exists()
    assert Declaration.objects.filter(flagged=True).exists() and Declaration.objects.filter(flagged=False).exists()
    assert Quarantine.objects.count() == 4
    assert set(HealthTask.objects.values_list("kind", flat=True)) == {
        TaskKind.MISSED_CHECK_IN,
        TaskKind.OUTSIDE_GEOFENCE,
    }
    assert any(line.startswith("health: ") for line in said)

    step = registry.demo_steps["health"]
    step.build(ctx)  # a second run adds nothing
    assert Quarantine.objects.count() == 4
