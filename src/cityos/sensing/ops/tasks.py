"""The rules engine's minute job: silence, minimum durations that ran out, escalation."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.sensing.ops import services

JOB_ACTOR = Actor(label="sensing rules", channel="job")


@task(queue_name="sensing")
def check_rules() -> dict[str, Any]:
    with acting_as(JOB_ACTOR):
        return services.summary(services.check_rules())


@task(queue_name="sensing")
def evaluate_rule(rule_id: int) -> int:
    """A new or changed rule judges its datastreams' latest values at once."""
    with acting_as(JOB_ACTOR):
        return services.evaluate_latest(rule_ids=[rule_id])
