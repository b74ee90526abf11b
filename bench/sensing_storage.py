"""The storage step alone against a raw COPY of the same rows into the same table (issue 3).

Target: decoded observations written in batches through the function every ingest path uses
(``services.create_observations``: validation, rows, rollups, newest values, last seen) at
least half the rate of a raw COPY of the same rows, measured in the same run.

The raw COPY is the database's own rate: rows pre-formatted as COPY text outside the timing,
ids taken from the table's sequence, then ``COPY sensing_observation FROM STDIN`` per batch.
The storage step starts from ``NewObservation`` objects (what the HTTP and MQTT decoders
produce) and does everything they trigger. The two alternate batch by batch, so a busy
machine slows both alike. Needs PostgreSQL; uses (and empties) a dedicated
database, ``cityos_bench`` by default:

    .venv/bin/python bench/sensing_storage.py [--observations 1000000] [--batch 10000] [--datastreams 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cityos_bench"


def prepare_database(url: str) -> dict[str, str]:
    """Creates the database if missing, migrates it; returns the environment for Django."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CITYOS_VAR_DIR", tempfile.mkdtemp(prefix="cityos-bench-storage-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityos.settings")
    os.environ["CITYOS_LOG_LEVEL"] = "WARNING"
    # New observations are also fanned out over MQTT (QoS 0, from a background thread, dropped
    # when the broker lags); that is not storage, so it is off unless asked for.
    os.environ.setdefault("CITYOS_MQTT_PUBLISH_ENTITIES", "false")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "cityos", "migrate", "-v", "0"], check=True, env=env)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--datastreams", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    prepare_database(args.database_url)

    import django

    django.setup()
    from django.db import connection
    from sensing_http import setup

    from cityos.sensing import services
    from cityos.sensing.models import Datastream, Observation

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE sensing_observation, sensing_observationrollup")
    _, datastream_ids = setup(args.datastreams)
    foi = services._default_feature(Datastream.objects.get(pk=datastream_ids[0]).thing)  # the one ingest uses
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per_stream = args.observations // len(datastream_ids)
    total = per_stream * len(datastream_ids)

    def decoded(offset: timedelta) -> list[list[services.NewObservation]]:
        """Batches in arrival order: each batch holds a slice of every datastream's series."""
        rows = [
            services.NewObservation(ds, (start + offset + timedelta(seconds=i), None), round(20 + (i % 100) / 10, 1))
            for i in range(per_stream)
            for ds in datastream_ids
        ]
        return [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]

    # --- raw COPY: the database's own rate for the same rows into the same table ------------
    copy_batches = []
    for batch in decoded(timedelta(days=400)):
        copy_batches.append(
            "".join(
                f"{row.datastream_id}\t{row.phenomenon_time[0].isoformat()}\t{row.result}\t{row.result}\t{foi}\n"  # type: ignore[index]
                for row in batch
            ).encode()
        )
    # Alternating batch by batch, so both see the same load on a shared machine.
    raw = connection.connection
    copy_seconds = store_seconds = 0.0
    for body, batch in zip(copy_batches, decoded(timedelta(0)), strict=True):
        began = time.perf_counter()
        with (
            raw.transaction(),
            raw.cursor() as cursor,
            cursor.copy(  # ids from the column's default: nothing per row in Python
                "COPY sensing_observation (datastream_id, phenomenon_time_start, result, result_number, "
                "feature_of_interest_id) FROM STDIN"
            ) as copy,
        ):
            copy.write(body)
        copy_seconds += time.perf_counter() - began
        began = time.perf_counter()
        outcomes = services.create_observations(batch, user=None, system=True)
        store_seconds += time.perf_counter() - began
        assert all(isinstance(outcome, int) for outcome in outcomes), outcomes[:3]

    stored = Observation.objects.count()
    copy_rate, store_rate = total / copy_seconds, total / store_seconds
    print(
        f"raw COPY: {total:,} rows in {copy_seconds:.2f} s = {copy_rate:,.0f} rows/s\n"
        f"storage step (create_observations, with rollups): {total:,} in {store_seconds:.2f} s = "
        f"{store_rate:,.0f} observations/s = {store_rate / copy_rate:.0%} of raw COPY "
        f"[batch {args.batch}, {len(datastream_ids)} datastreams, {stored:,} rows in the table]"
    )
    return 0 if stored == 2 * total and store_rate >= copy_rate / 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
