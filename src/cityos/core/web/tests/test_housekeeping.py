"""Housekeeping jobs keep sign-in records, sessions and job results only as long as needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.utils import timezone

from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.registry import registry
from cityos.core.web import tasks

pytestmark = pytest.mark.django_db


def test_the_jobs_are_scheduled_daily():
    for name in ("web.purge_expired_sessions", "web.purge_old_sign_in_records", "web.prune_finished_jobs"):
        assert registry.periodic_jobs[name].every == timedelta(days=1)


def test_old_sign_in_records_are_deleted_and_the_deletion_is_audited():
    old = AccessAttempt.objects.create(
        username="x",
        ip_address="10.0.0.1",
        failures_since_start=3,
        user_agent="",
        path_info="/",
        get_data="",
        post_data="",
    )
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - timedelta(days=31))
    recent = AccessAttempt.objects.create(
        username="y",
        ip_address="10.0.0.2",
        failures_since_start=1,
        user_agent="",
        path_info="/",
        get_data="",
        post_data="",
    )
    assert tasks.purge_old_sign_in_records.call() == 1
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert AuditEntry.objects.filter(action=AuditAction.RETENTION, object_type="axes.AccessAttempt").exists()


def test_expired_sessions_are_deleted():
    Session.objects.create(session_key="old", session_data="", expire_date=timezone.now() - timedelta(days=1))
    Session.objects.create(session_key="new", session_data="", expire_date=timezone.now() + timedelta(days=1))
    assert tasks.purge_expired_sessions.call() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
