"""Check-ins older than the retention period are deleted by the job, and the deletion is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cityos.checkin import services, tasks
from cityos.checkin.models import CheckIn, ExposureMatch
from cityos.checkin.tests.factories import VenueFactory, visit
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.registry import registry

pytestmark = pytest.mark.django_db


def test_the_job_deletes_check_ins_past_retention_and_audits_it(resident):
    venue = VenueFactory()
    now = timezone.now()
    old = [
        visit(venue, now - timedelta(days=22), person=resident),
        visit(venue, now - timedelta(days=30), contact="a@example.org"),
    ]
    kept = visit(venue, now - timedelta(days=20), person=resident)
    assert tasks.apply_checkin_retention.call() == 2
    assert list(CheckIn.objects.all()) == [kept]
    assert not CheckIn.objects.filter(pk__in=[c.pk for c in old]).exists()
    entry = AuditEntry.objects.get(action=AuditAction.RETENTION, object_type="checkin.CheckIn")
    assert entry.changes == {"deleted": 2}


def test_retention_days_are_configurable(settings, resident):
    settings.CITYOS_CHECKIN_RETENTION_DAYS = 7
    venue = VenueFactory()
    visit(venue, timezone.now() - timedelta(days=8), person=resident)
    assert services.apply_retention() == 1


def test_nothing_to_delete_writes_no_audit_entry():
    assert services.apply_retention() == 0
    assert not AuditEntry.objects.filter(action=AuditAction.RETENTION).exists()


def test_contacts_copied_into_alerts_are_wiped_too(officer):
    venue = VenueFactory()
    start = timezone.now() - timedelta(days=20, hours=1)
    visit(venue, start, contact="a@example.org")
    services.propose_exposure_alert(
        "C-1",
        [{"venue_code": venue.short_code, "start": start, "end": start + timedelta(hours=1)}],
        proposed_by=officer,
    )
    assert services.apply_retention(now=timezone.now() + timedelta(days=2)) == 1
    assert ExposureMatch.objects.get().contact_encrypted == ""


def test_the_job_runs_periodically():
    assert registry.periodic_jobs["checkin.retention"].task == tasks.apply_checkin_retention
