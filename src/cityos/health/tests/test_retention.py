"""Retention: closed cases (with visits, contacts and follow-ups) and old declarations are
deleted by the daily job once past their period, and each deletion is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.registry import registry
from cityos.health import retention, services, tasks
from cityos.health.models import Case, CaseVisit, Contact, Declaration, FollowUp
from cityos.health.tests.conftest import at, days_ago

pytestmark = pytest.mark.django_db


def _recorded(case: Case, days: int) -> None:
    Case.objects.filter(pk=case.pk).update(created_at=at(days))


def _retention_entry(label: str) -> AuditEntry:
    return AuditEntry.objects.get(action=AuditAction.RETENTION, object_type=label)


def test_the_job_is_registered_to_run_daily():
    job = registry.periodic_jobs["health.purge_expired_records"]
    assert job.every == timedelta(days=1)


def test_a_case_closed_longer_than_the_period_goes_with_its_visits_contacts_and_follow_ups(settings, officer, case):
    settings.CITYOS_HEALTH_CASE_RETENTION_DAYS = 30
    settings.CITYOS_HEALTH_FOLLOW_UP_DAYS = 14
    services.add_contact(officer, case, name="Luis Pérez", relationship="household", last_exposure=days_ago(60))
    _recorded(case, 14 + 30 + 1)

    assert tasks.purge_expired_records.call() == 1

    assert not Case.objects.exists()
    assert not CaseVisit.objects.exists() and not Contact.objects.exists() and not FollowUp.objects.exists()
    entry = _retention_entry("health.Case")
    assert entry.changes == {"deleted": 1} and entry.channel == "job"
    assert "1 contacts" in entry.object_repr and "14 follow-ups" in entry.object_repr
    assert "Mei Chen" not in entry.object_repr  # the count, never who


def test_a_case_inside_its_period_is_kept(settings, case):
    settings.CITYOS_HEALTH_CASE_RETENTION_DAYS = 30
    settings.CITYOS_HEALTH_FOLLOW_UP_DAYS = 14
    _recorded(case, 14 + 30 - 1)

    assert retention.purge_expired() == retention.Purged()

    assert Case.objects.filter(pk=case.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.RETENTION).exists()


def test_a_case_stays_closed_only_once_its_contacts_follow_up_is_over(settings, officer, case):
    settings.CITYOS_HEALTH_CASE_RETENTION_DAYS = 30
    settings.CITYOS_HEALTH_FOLLOW_UP_DAYS = 14
    _recorded(case, 100)
    # A contact listed late keeps the case open until the end of their follow-up.
    services.add_contact(officer, case, name="Ana Ruiz", relationship="work", last_exposure=days_ago(5))

    assert retention.purge_expired().cases == 0
    assert Case.objects.filter(pk=case.pk).exists()


def test_the_default_case_period_is_a_year_after_closing(case):
    _recorded(case, 14 + 365 - 1)
    assert retention.purge_expired().cases == 0
    _recorded(case, 14 + 365 + 1)
    assert retention.purge_expired().cases == 1


def test_declarations_older_than_the_period_are_deleted_and_audited(settings, person, resident):
    settings.CITYOS_HEALTH_DECLARATION_RETENTION_DAYS = 30
    old = services.declare(person, symptoms=["fever"])
    Declaration.objects.filter(pk=old.pk).update(day=days_ago(31))
    edge = services.declare(resident, symptoms=[])
    Declaration.objects.filter(pk=edge.pk).update(day=days_ago(30))
    today = services.declare(person, symptoms=[])

    assert retention.purge_expired().declarations == 1

    assert set(Declaration.objects.values_list("pk", flat=True)) == {edge.pk, today.pk}
    assert _retention_entry("health.Declaration").changes == {"deleted": 1}


def test_the_default_declaration_period_is_thirty_days(person):
    old = services.declare(person, symptoms=[])
    Declaration.objects.filter(pk=old.pk).update(day=days_ago(31))
    assert retention.purge_expired().declarations == 1
