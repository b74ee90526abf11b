"""Jobs of the notifications app, all on the "notifications" queue."""

from __future__ import annotations

from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.core.notifications import services

JOB_ACTOR = Actor(label="notifications", channel="job")


@task(queue_name="notifications")
def deliver_message(message_id: int) -> str:
    """Deliver one message; transient failures are rescheduled with back-off by the service."""
    with acting_as(JOB_ACTOR):
        return services.deliver(message_id)


@task(queue_name="notifications")
def requeue_due_messages() -> int:
    """Periodic: enqueue due messages that have no job waiting for them."""
    with acting_as(JOB_ACTOR):
        return services.requeue_due()


@task(queue_name="notifications")
def apply_message_retention() -> int:
    """Periodic: remove message addresses and texts older than CITYOS_MESSAGE_RETENTION_DAYS."""
    with acting_as(JOB_ACTOR):
        return services.apply_retention()
