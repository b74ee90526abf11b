"""Retention: old raw observations go in batches, recent ones and every rollup stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.registry import registry
from cityos.sensing import services
from cityos.sensing.models import Datastream, Observation, ObservationRollup, Thing
from cityos.sensing.timeseries import retention, tasks

pytestmark = pytest.mark.django_db
CITY = timezone.get_default_timezone()  # the cut-off is a midnight on the city's clock
NOW = datetime(2026, 6, 10, 12, tzinfo=CITY).astimezone(UTC)  # noon in the city, as the job sees it


def fill(datastream: Datastream, days: int) -> None:
    """One observation every 6 hours for ``days`` days before NOW: recent ones at 00, 06, 12 and 18 local."""
    start = NOW - timedelta(days=days)
    rows = [
        services.NewObservation(datastream.pk, (start + timedelta(hours=6 * i), None), float(i))
        for i in range(days * 4)
    ]
    services.create_observations(rows, user=None, system=True)


def test_old_raw_observations_go_recent_ones_and_rollups_stay(make_station: Callable[..., Thing]) -> None:
    datastream = make_station(count=0).datastreams.get()
    datastream.retention_days = 30
    datastream.save()
    fill(datastream, 100)
    rollups_before = ObservationRollup.objects.count()
    newest_before = Datastream.objects.get(pk=datastream.pk).last_phenomenon_time

    outcome = retention.apply_retention(NOW, batch=7)  # small batches: the loop is exercised

    cutoff = datetime(2026, 5, 11, tzinfo=CITY)  # 30 days before NOW, moved back to the city's midnight
    assert outcome.deleted == (100 - 30) * 4 - 2 and outcome.datastreams == 1
    assert not Observation.objects.filter(phenomenon_time_start__lt=cutoff).exists()
    assert Observation.objects.filter(phenomenon_time_start__gte=cutoff).count() == 30 * 4 + 2
    assert ObservationRollup.objects.count() == rollups_before
    datastream.refresh_from_db()
    assert datastream.phenomenon_time_start == cutoff
    assert datastream.last_phenomenon_time == newest_before
    entry = AuditEntry.objects.get(action=AuditAction.RETENTION)
    assert entry.object_type == "sensing.Observation" and entry.changes == {"deleted": outcome.deleted}
    # Run again: nothing more to delete, no new audit entry.
    assert retention.apply_retention(NOW).deleted == 0
    assert AuditEntry.objects.filter(action=AuditAction.RETENTION).count() == 1


def test_city_default_applies_to_datastreams_without_their_own(
    settings: object, make_station: Callable[..., Thing]
) -> None:
    keeps_own = make_station("A", count=0).datastreams.get()
    keeps_own.retention_days = 1000
    keeps_own.save()
    default = make_station("B", count=0).datastreams.get()
    fill(keeps_own, 20)
    fill(default, 20)
    assert retention.apply_retention(NOW).deleted == 0  # no default: forever
    settings.CITYOS_SENSING_RETENTION_DAYS = "10"  # type: ignore[attr-defined]
    outcome = retention.apply_retention(NOW)
    assert outcome.datastreams == 1
    assert Observation.objects.filter(datastream=keeps_own).count() == 80
    assert Observation.objects.filter(datastream=default).count() == 10 * 4 + 2


def test_a_bad_default_is_refused(settings: object) -> None:
    settings.CITYOS_SENSING_RETENTION_DAYS = "0"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="CITYOS_SENSING_RETENTION_DAYS"):
        retention.default_retention_days()


def test_the_job_is_registered_and_runs(make_station: Callable[..., Thing]) -> None:
    assert registry.periodic_jobs["sensing.retention"].task is tasks.apply_observation_retention
    datastream = make_station(count=0).datastreams.get()
    datastream.retention_days = 1
    datastream.save()
    services.create_observations(
        [services.NewObservation(datastream.pk, (datetime(2020, 1, 1, tzinfo=UTC), None), 1.0)], user=None, system=True
    )
    assert tasks.apply_observation_retention.call() == 1
    assert not Observation.objects.exists()
    assert ObservationRollup.objects.filter(datastream=datastream).count() == 2
