"""Background work of monitoring: the damp-and-mould check of council homes."""

from __future__ import annotations

from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.monitoring import services

JOB_ACTOR = Actor(label="monitoring", channel="job")


@task(queue_name="monitoring")
def damp_check() -> str:
    """Assess every home, open the work orders due; return a one-line summary."""
    with acting_as(JOB_ACTOR):
        done = services.run_damp_check()
    return f"{done.homes} homes, {done.at_risk} at risk, {len(done.opened)} work orders opened"
