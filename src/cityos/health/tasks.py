"""Periodic jobs of the health module."""

from __future__ import annotations

from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.health import services

JOB_ACTOR = Actor(label="health jobs", channel="job")


@task()
def raise_missed_check_ins() -> int:
    """A task for a health officer for every day a person in quarantine did not check in."""
    with acting_as(JOB_ACTOR):
        return services.raise_missed_check_ins()


@task()
def purge_quarantine_locations() -> int:
    """Delete the home geofence and check-in verdicts of ended quarantines (audited)."""
    with acting_as(JOB_ACTOR):
        return services.purge_ended_quarantine_locations()


@task()
def purge_expired_records() -> int:
    """Delete cases (with contacts and follow-ups) and declarations past their retention (audited)."""
    from cityos.health import retention

    with acting_as(JOB_ACTOR):
        purged = retention.purge_expired()
    return purged.cases + purged.declarations
