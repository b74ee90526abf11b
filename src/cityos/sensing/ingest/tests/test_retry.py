"""What the worker waits out (the database away) and what it stores message by message instead
(errors the data causes), so a stream is neither lost nor held up for ever."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import orjson
import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from cityos.sensing.ingest import store, worker
from cityos.sensing.ingest.store import BatchOutcome, Message, is_transient
from cityos.sensing.models import Datastream, DeadLetter, Observation

# The worker closes a connection it cannot trust before trying again: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)


def a_data_limit_error() -> DatabaseError:
    """A real error that the data causes and a retry would meet again: on PostgreSQL an index row
    over the B-tree's size limit (SQLSTATE 54000), on SQLite more bound values than it allows."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TEMP TABLE wide_rows (s text)")
            cursor.execute("CREATE INDEX ON wide_rows (s)")
            # Random text does not compress below the limit.
            cursor.execute(
                "INSERT INTO wide_rows SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 300)"
            )
        else:
            count = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) + 1
            cursor.execute("SELECT " + ", ".join(["%s"] * count), [1] * count)
    return caught.value


def a_lost_database_error() -> psycopg.OperationalError:
    """A real refused connection (nothing listens on port 1)."""
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect("host=127.0.0.1 port=1 connect_timeout=2")
    return caught.value


def readings(datastream: Datastream, *notes: str) -> list[Message]:
    return [
        Message(
            f"v1.1/Datastreams({datastream.pk})/Observations",
            orjson.dumps(
                {"result": float(i), "phenomenonTime": f"2026-03-01T08:0{i}:00Z", "parameters": {"note": note}}
            ),
        )
        for i, note in enumerate(notes)
    ]


def test_a_lost_database_is_waited_out_but_a_data_limit_is_not() -> None:
    assert is_transient(a_lost_database_error())
    limit = a_data_limit_error()
    assert not is_transient(limit)
    assert not is_transient(ValueError("not a database error at all"))


def test_the_worker_keeps_a_batch_while_the_database_is_away_and_stores_it_once_it_answers(
    temperature: Datastream, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def away_once(messages: list[Message]) -> BatchOutcome:
        calls.append(len(messages))
        if len(calls) == 1:
            raise a_lost_database_error()
        return store.store_batch(messages)

    monkeypatch.setattr(worker, "store_batch", away_once)
    monkeypatch.setattr(worker, "RETRY_SECONDS", 0.01)
    outcome = worker.store_until_stored(readings(temperature, "a", "b", "c"), threading.Event(), "test")
    assert outcome is not None and outcome.stored == 3
    assert calls == [3, 3]  # the whole batch again, not message by message
    assert not DeadLetter.objects.exists()


def test_a_worker_told_to_stop_while_the_database_is_away_leaves_the_batch_unacknowledged(
    temperature: Datastream, monkeypatch: pytest.MonkeyPatch
) -> None:
    def away(messages: list[Message]) -> BatchOutcome:
        raise a_lost_database_error()

    monkeypatch.setattr(worker, "store_batch", away)
    stop = threading.Event()
    stop.set()
    assert worker.store_until_stored(readings(temperature, "a"), stop, "test") is None
    assert not Observation.objects.exists() and not DeadLetter.objects.exists()


def test_a_message_that_hits_a_database_limit_becomes_a_dead_letter_and_the_rest_are_stored(
    temperature: Datastream, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_store_batch = store.store_batch
    batches = []

    def refuse_the_wide_one(messages: list[Message]) -> BatchOutcome:
        batches.append(len(messages))
        if any(b"wide" in one.payload for one in messages):
            raise a_data_limit_error()
        return real_store_batch(messages)

    monkeypatch.setattr(worker, "store_batch", refuse_the_wide_one)
    monkeypatch.setattr(store, "store_batch", refuse_the_wide_one)
    outcome = worker.store_until_stored(readings(temperature, "a", "wide", "c"), threading.Event(), "test")
    assert outcome is not None and (outcome.stored, outcome.dead_letters) == (2, 1)
    assert batches == [3, 1, 1, 1]  # tried once whole, never again, then one at a time
    letter = DeadLetter.objects.get()
    assert b"wide" in letter.payload.encode() and "could not be stored" in letter.reason


def as_django_raises(error: Exception) -> DatabaseError:
    """``error`` as Django raises it from a driver: its own class of the same name, caused by it."""
    from django.db import utils

    wrapped = getattr(utils, type(error).__name__, None) or next(
        getattr(utils, base.__name__) for base in type(error).__mro__ if hasattr(utils, base.__name__)
    )
    try:
        raise wrapped(*error.args) from error
    except DatabaseError as raised:
        return raised


def a_locked_sqlite_database(tmp_path: Path) -> sqlite3.OperationalError:
    """A real "database is locked": another connection holds the write lock."""
    holder = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked") as caught:
            sqlite3.connect(tmp_path / "locked.sqlite3", timeout=0).execute("INSERT INTO t VALUES (1)")
    finally:
        holder.close()
    return caught.value


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(psycopg.errors.DeadlockDetected("deadlock detected"), id="deadlock, 40P01"),
        pytest.param(psycopg.errors.SerializationFailure("could not serialize"), id="serialization, 40001"),
        pytest.param(psycopg.errors.AdminShutdown("terminating connection"), id="admin shutdown, 57P01"),
        pytest.param(psycopg.errors.LockNotAvailable("lock timeout"), id="lock_timeout, 55P03"),
        pytest.param(psycopg.errors.DiskFull("could not extend file"), id="disk full, 53100"),
        pytest.param(psycopg.errors.UndefinedColumn("column does not exist"), id="not migrated yet, 42703"),
        pytest.param(psycopg.OperationalError("server closed the connection"), id="no SQLSTATE"),
    ],
)
def test_what_the_database_may_get_over_is_waited_out_however_it_is_raised(error: Exception) -> None:
    assert is_transient(error) and is_transient(as_django_raises(error))


def test_a_locked_sqlite_database_is_waited_out(tmp_path: Path) -> None:
    locked = a_locked_sqlite_database(tmp_path)
    assert is_transient(as_django_raises(locked))


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(psycopg.errors.ProgramLimitExceeded("index row size exceeds"), id="program limit, 54000"),
        pytest.param(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), id="57014"),
        pytest.param(psycopg.errors.NumericValueOutOfRange("value out of range"), id="data error, 22003"),
        pytest.param(psycopg.errors.UniqueViolation("duplicate key"), id="integrity error, 23505"),
        pytest.param(sqlite3.DataError("string or blob too big"), id="sqlite data error"),
        pytest.param(sqlite3.OperationalError("too many SQL variables"), id="sqlite variable limit"),
    ],
)
def test_what_the_data_causes_is_stored_message_by_message_however_it_is_raised(error: Exception) -> None:
    assert not is_transient(error) and not is_transient(as_django_raises(error))
