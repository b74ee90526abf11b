"""Two simultaneous check-ins of one visitor at one venue store one row (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from cityos.checkin import services
from cityos.checkin.models import CheckIn
from cityos.checkin.tests.factories import VenueFactory
from cityos.core.accounts.tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _race(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> tuple[list[str], int]:
    """Both requests run their insert before either commits, unless the lock makes one wait."""
    venue = VenueFactory(name="Harbour Market")
    code = services.venue_code(venue)
    original_insert = services._insert_unless_repeat

    def slow_insert(*args: Any, **kwargs: Any) -> CheckIn | None:
        made = original_insert(*args, **kwargs)
        time.sleep(0.3)  # hold the transaction open: without the lock the other request inserts too
        return made

    monkeypatch.setattr(services, "_insert_unless_repeat", slow_insert)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            start.wait()
            services.check_in(code, **kwargs)
            outcomes.append("stored")
        except ValidationError as error:
            outcomes.append(",".join(sorted(services.error_codes(error))))
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes), CheckIn.objects.filter(venue=venue).count()


@pytest.fixture
def postgresql() -> None:
    # Not a missing service: the suite runs once on SQLite (whose transactions take the write
    # lock at BEGIN, so there is no race to test) and once on PostgreSQL, where this runs.
    if connection.vendor != "postgresql":
        pytest.skip("the race is tested on PostgreSQL (DATABASE_URL)")


def test_simultaneous_check_ins_of_one_account_store_one(postgresql, monkeypatch):
    resident = ResidentFactory()
    outcomes, stored = _race(monkeypatch, person=resident)
    assert outcomes == ["already_checked_in", "stored"]
    assert stored == 1


def test_simultaneous_anonymous_check_ins_of_one_contact_store_one(postgresql, monkeypatch):
    outcomes, stored = _race(monkeypatch, contact="+14155550142")
    assert outcomes == ["already_checked_in", "stored"]
    assert stored == 1


def test_simultaneous_check_ins_of_different_visitors_both_store(postgresql, monkeypatch):
    """The lock is per visitor: two people arriving together are both checked in."""
    venue = VenueFactory()
    code = services.venue_code(venue)
    results: list[int] = []

    def attempt(contact: str) -> None:
        try:
            results.append(services.check_in(code, contact=contact).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in ("+14155550142", "+14155550143")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2
    assert CheckIn.objects.filter(venue=venue).count() == 2
