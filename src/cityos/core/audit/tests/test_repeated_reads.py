"""A read that repeats by itself (a map redrawn every 30 s) is one entry per window, never less
than one per distinct read: who, from where, why, what, which fields, how and where all count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.context import Actor, acting_as, with_reason
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.audit.services import record_access, record_bulk_access

pytestmark = pytest.mark.django_db

OPERATOR = Actor(user_id=None, label="operator-1", ip="10.0.0.7", channel="web")


def read(ids: list[int], fields: tuple[str, ...] = ("email",), **kwargs: object) -> AuditEntry:
    return record_bulk_access(User, ids, fields, description="/ops/map", dedupe=True, **kwargs)  # type: ignore[arg-type]


def reads() -> QuerySet[AuditEntry]:
    """The log's reads and exports (creating the people wrote entries too)."""
    return AuditEntry.objects.filter(action__in=[AuditAction.READ, AuditAction.EXPORT]).order_by("pk")


@pytest.fixture
def people() -> list[int]:
    return [person.pk for person in ResidentFactory.create_batch(3)]


def test_the_same_read_twice_within_the_window_is_one_entry(people):
    with acting_as(OPERATOR):
        first = read(people[:2])
        again = read(people[:2])
    assert again.pk == first.pk
    assert reads().count() == 1


def test_a_single_record_read_again_within_the_window_is_one_entry(people):
    person = User.objects.get(pk=people[0])
    with acting_as(OPERATOR):
        record_access(person, ("email",), dedupe=True)
        record_access(person, ("email",), dedupe=True)
    assert reads().filter(object_id=str(person.pk)).count() == 1


@pytest.mark.parametrize(
    "differently",
    [
        pytest.param(lambda ids: read(ids[1:]), id="other ids"),
        pytest.param(lambda ids: read(ids[:2], ("email", "phone")), id="other fields"),
        pytest.param(lambda ids: read(ids[:2], action=AuditAction.EXPORT), id="export, not read"),
    ],
)
def test_a_read_of_other_ids_fields_or_action_is_another_entry(people, differently):
    with acting_as(OPERATOR):
        read(people[:2])
        differently(people)
    assert reads().count() == 2


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(Actor(user_id=None, label="operator-2", ip="10.0.0.7", channel="web"), id="another person"),
        pytest.param(Actor(user_id=None, label="operator-1", ip="10.0.0.8", channel="web"), id="another address"),
        pytest.param(Actor(user_id=None, label="operator-1", ip="10.0.0.7", channel="api"), id="through the API"),
    ],
)
def test_the_same_read_by_another_actor_is_another_entry(people, other):
    with acting_as(OPERATOR):
        read(people[:2])
    with acting_as(other):
        read(people[:2])
    assert reads().count() == 2


def test_the_same_read_for_another_reason_is_another_entry(people):
    with acting_as(OPERATOR):
        read(people[:2])
        with with_reason("flooding on Elm Street"):
            read(people[:2])
    assert list(reads().values_list("reason", flat=True)) == ["", "flooding on Elm Street"]


def test_after_the_window_the_same_read_is_written_again(people, settings, monkeypatch):
    settings.CITYOS_AUDIT_DEDUPE_SECONDS = 300
    start = timezone.now()
    with acting_as(OPERATOR):
        monkeypatch.setattr(timezone, "now", lambda: start)
        read(people)
        monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=299))
        read(people)
        monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=301))
        read(people)
    assert [entry.at - start for entry in reads()] == [
        timedelta(0),
        timedelta(seconds=301),
    ]


def test_a_window_of_zero_writes_every_read(people, settings):
    settings.CITYOS_AUDIT_DEDUPE_SECONDS = 0
    with acting_as(OPERATOR):
        read(people)
        read(people)
    assert reads().count() == 2


def test_reads_are_deduplicated_only_where_the_caller_asks(people):
    person = User.objects.get(pk=people[0])
    with acting_as(OPERATOR):
        record_access(person, ("email",))
        record_access(person, ("email",))
        record_bulk_access(User, people, ("email",))
        record_bulk_access(User, people, ("email",))
    assert reads().count() == 4


def test_long_lists_that_differ_past_the_ids_the_entry_keeps_are_two_entries():
    ids = list(range(1, 1202))
    with acting_as(OPERATOR):
        read(ids[:1200])
        read([*ids[:1199], ids[1200]])
    first, second = reads()
    assert first.changes["ids"] == second.changes["ids"] and first.changes["count"] == second.changes["count"] == 1200
    assert first.changes["ids_sha256"] != second.changes["ids_sha256"]
