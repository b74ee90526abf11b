"""Jobs of the time-series part, run by the scheduler (see registration.py)."""

from __future__ import annotations

from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.sensing.timeseries import retention

JOB_ACTOR = Actor(label="sensing retention", channel="job")


@task()
def apply_observation_retention() -> int:
    """Periodic: delete raw observations past their datastream's retention (rollups are kept)."""
    with acting_as(JOB_ACTOR):
        return retention.apply_retention().deleted
