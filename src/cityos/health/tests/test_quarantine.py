"""Quarantine: daily check-in against the home geofence, tasks for officers, and the purge of
every location once the quarantine has ended."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.health import services, tasks
from cityos.health.models import HealthTask, Quarantine, QuarantineCheckIn, TaskKind
from cityos.health.tests.conftest import days_ago

pytestmark = pytest.mark.django_db
HOME = (40.7128, -73.9060)


@pytest.fixture
def quarantine(officer, person):
    return services.start_quarantine(
        officer, person, start_date=days_ago(3), home_lat=HOME[0], home_lon=HOME[1], radius_m=100
    )


def test_a_quarantine_lasts_the_standard_period_by_default(quarantine):
    assert (quarantine.end_date - quarantine.start_date).days == 13 and quarantine.radius_m == 100


def test_a_check_in_at_home_is_inside_the_geofence_and_keeps_no_coordinates(person, quarantine):
    checked = services.check_in(person, lat=HOME[0] + 0.0005, lon=HOME[1])  # about 55 m away
    assert checked.inside is True and checked.day == days_ago(0)
    assert not HealthTask.objects.exists()
    stored = {f.name for f in QuarantineCheckIn._meta.get_fields()}
    assert not {"lat", "lon", "latitude", "longitude"} & stored


def test_a_check_in_away_from_home_raises_a_task(person, quarantine):
    checked = services.check_in(person, lat=HOME[0] + 0.002, lon=HOME[1])  # about 220 m away
    assert checked.inside is False
    task = HealthTask.objects.get()
    assert (task.kind, task.day, task.quarantine) == (TaskKind.OUTSIDE_GEOFENCE, days_ago(0), quarantine)


def test_missed_days_raise_one_task_each_once(person, quarantine):
    services.check_in(person, lat=HOME[0], lon=HOME[1])
    QuarantineCheckIn.objects.create(
        quarantine=quarantine, day=days_ago(2), at=quarantine.created_at, channel="sms", inside=None
    )
    assert tasks.raise_missed_check_ins.call() == 2  # days 3 and 1 ago; today is not over yet
    assert sorted(HealthTask.objects.values_list("day", flat=True)) == [days_ago(3), days_ago(1)]
    assert services.raise_missed_check_ins() == 0


# The arguments are built when each case runs, not when the suite is collected: a run that crosses
# midnight would otherwise find "tomorrow" already today.
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (lambda: {"start_date": days_ago(2), "end_date": days_ago(3)}, "end_date"),
        (lambda: {"start_date": days_ago(20), "end_date": days_ago(5)}, "end_date"),
        (lambda: {"start_date": days_ago(0), "home_lat": 95.0}, "home_lat"),
        (lambda: {"start_date": days_ago(0), "home_lon": None}, "home_lon"),
        (lambda: {"start_date": days_ago(0), "radius_m": 5}, "radius_m"),
    ],
)
def test_bad_quarantines_are_refused(officer, person, arguments, field):
    with pytest.raises(ValidationError) as refused:
        services.start_quarantine(officer, person, **{"home_lat": HOME[0], "home_lon": HOME[1], **arguments()})
    assert field in refused.value.message_dict
    assert not Quarantine.objects.exists()


def test_overlapping_quarantines_are_refused(officer, person, quarantine):
    with pytest.raises(ValidationError) as refused:
        services.start_quarantine(officer, person, start_date=days_ago(0), home_lat=HOME[0], home_lon=HOME[1])
    assert refused.value.message_dict == {"person": ["This person already has a quarantine over these dates."]}


def test_a_check_in_outside_a_quarantine_or_without_a_location_is_refused(person, resident, quarantine):
    with pytest.raises(ValidationError) as refused:
        services.check_in(resident, lat=HOME[0], lon=HOME[1])
    assert refused.value.message_dict == {"quarantine": ["You are not in quarantine today."]}
    with pytest.raises(ValidationError) as refused:
        services.check_in(person, lat=None, lon=None)
    assert "location" in refused.value.message_dict
    assert not QuarantineCheckIn.objects.exists()


def test_the_purge_job_forgets_every_location_of_ended_quarantines_and_audits_it(officer, person, resident):
    ended = services.start_quarantine(officer, person, start_date=days_ago(3), home_lat=HOME[0], home_lon=HOME[1])
    running = services.start_quarantine(officer, resident, start_date=days_ago(1), home_lat=HOME[0], home_lon=HOME[1])
    services.check_in(person, lat=HOME[0] + 0.01, lon=HOME[1])  # outside
    Quarantine.objects.filter(pk=ended.pk).update(end_date=days_ago(1))

    assert tasks.purge_quarantine_locations.call() == 1

    ended.refresh_from_db()
    running.refresh_from_db()
    assert (ended.home_lat, ended.home_lon, ended.radius_m) == (None, None, None) and ended.location_purged_at
    assert list(ended.check_ins.values_list("inside", flat=True)) == [None]
    assert running.home_lat == HOME[0]
    entry = AuditEntry.objects.get(action=AuditAction.RETENTION, object_type="health.Quarantine")
    assert entry.changes == {"deleted": 1} and entry.channel == "job"
    assert services.purge_ended_quarantine_locations() == 0  # nothing left to purge
