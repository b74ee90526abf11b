"""Jobs of the check-in app."""

from __future__ import annotations

from django_tasks import task

from cityos.checkin import services
from cityos.core.audit.context import Actor, acting_as

JOB_ACTOR = Actor(label="checkin", channel="job")


@task(queue_name="checkin")
def apply_checkin_retention() -> int:
    """Periodic: delete check-ins older than CITYOS_CHECKIN_RETENTION_DAYS (audited)."""
    with acting_as(JOB_ACTOR):
        return services.apply_retention()
