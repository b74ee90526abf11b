"""Housekeeping jobs of the platform itself, run by the scheduler (see apps.py)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from cityos.core.audit.services import record_retention

SIGN_IN_RECORD_DAYS = 30
FINISHED_JOB_DAYS = 14


@task()
def purge_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@task()
def purge_old_sign_in_records() -> int:
    """Failed sign-in records hold addresses and usernames: keep them only as long as needed."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = timezone.now() - timedelta(days=SIGN_IN_RECORD_DAYS)
    deleted = 0
    for model, field in (
        (AccessAttempt, "attempt_time"),
        (AccessLog, "attempt_time"),
        (AccessFailureLog, "attempt_time"),
    ):
        count, _ = model.objects.filter(**{f"{field}__lt": cutoff}).delete()
        if count:
            record_retention(model._meta.label, count, f"sign-in records older than {SIGN_IN_RECORD_DAYS} days")
        deleted += count
    return deleted


@task()
def prune_finished_jobs() -> int:
    cutoff = timezone.now() - timedelta(days=FINISHED_JOB_DAYS)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
