"""Background work of epi: the hourly refresh of the public dashboard."""

from __future__ import annotations

from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.epi import refresh

JOB_ACTOR = Actor(label="epi", channel="job")


@task(queue_name="epi")
def refresh_dashboard() -> str:
    """Recompute Rt, forecasts, accuracy, risk and hospital capacity; return the data's last day."""
    with acting_as(JOB_ACTOR):
        return str(refresh.refresh_dashboard().data["as_of"])
