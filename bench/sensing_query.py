"""Reads at 10 to 100 million observations: one datastream's last 24 h (raw) and a year (rollups).

Target (issue 3): p95 under 50 ms with 100 million observations stored. The data are made in
a dedicated PostgreSQL database (``cityos_bench_query`` by default) by the database itself
(``INSERT ... SELECT`` over generate_series, in month-long chunks, in arrival order), with
hour and day rollups summarised from them the same way. A second run reuses the data. The
reads go through ``timeseries.selectors.series`` - what charts and the API call - for random
datastreams, then the script prints the plans, the table's and indexes' sizes, and a
cross-datastream time-range count that the BRIN index serves.

    .venv/bin/python bench/sensing_query.py [--observations 10000000] [--datastreams 1000] [--queries 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cityos_bench_query"
END = datetime(2026, 1, 1, tzinfo=UTC)  # the data run up to here, a year and a bit back


def make_data(observations: int, datastream_count: int) -> None:
    from django.db import connection

    from cityos.sensing.models import Datastream, ObservationType, ObservedProperty, Sensor, Thing

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE sensing_observation, sensing_observationrollup")
    Datastream.objects.all().delete()
    thing = Thing.objects.create(name="query bench", description="bench")
    sensor = Sensor.objects.create(name="s", description="s", encoding_type="text/plain")
    observed = ObservedProperty.objects.create(name="temperature", definition="t")
    Datastream.objects.bulk_create(
        Datastream(
            name=f"bench {i}",
            unit_of_measurement={"name": "degree Celsius", "symbol": "°C", "definition": "x"},
            observation_type=ObservationType.MEASUREMENT,
            thing=thing,
            sensor=sensor,
            observed_property=observed,
        )
        for i in range(datastream_count)
    )
    from cityos.sensing.models import FeatureOfInterest

    foi = FeatureOfInterest.objects.create(name="bench", feature={"type": "Point", "coordinates": [0, 0]})
    ids = list(Datastream.objects.order_by("pk").values_list("pk", flat=True))
    per_stream = observations // len(ids)
    step = timedelta(days=400) / per_stream  # a year and a bit of data for every datastream
    start = END - step * per_stream
    print(f"making {per_stream * len(ids):,} observations: {len(ids)} datastreams, one every {step} each")
    began = time.perf_counter()
    chunk = timedelta(days=30)
    at = start
    with connection.cursor() as cursor:
        while at < END:
            until = min(at + chunk, END)
            first = (at - start) // step
            last = (until - start) // step
            cursor.execute(
                "INSERT INTO sensing_observation (datastream_id, phenomenon_time_start, result, result_number, "
                "feature_of_interest_id) "
                "SELECT d, %s + n * make_interval(secs => %s), to_jsonb(v), v, %s FROM generate_series(%s, %s) AS n "
                "CROSS JOIN unnest(%s::bigint[]) AS d "
                "CROSS JOIN LATERAL (SELECT round((15 + 8 * sin(n / 500.0 + d) + (n %% 7) / 10.0)::numeric, 1)::float8 "
                "AS v) AS value ORDER BY n, d",
                [start, step.total_seconds(), foi.pk, first, last - 1, ids],
            )
            cursor.execute(
                "INSERT INTO sensing_observationrollup (datastream_id, period, bucket_start, count, total, minimum, "
                "maximum) SELECT datastream_id, 'hour', date_trunc('hour', phenomenon_time_start), count(*), "
                "sum(result_number), min(result_number), max(result_number) FROM sensing_observation "
                "WHERE phenomenon_time_start >= %s AND phenomenon_time_start < %s GROUP BY 1, 3 "
                "ON CONFLICT (datastream_id, period, bucket_start) DO UPDATE SET "
                "count = sensing_observationrollup.count + EXCLUDED.count, "
                "total = sensing_observationrollup.total + EXCLUDED.total, "
                "minimum = LEAST(sensing_observationrollup.minimum, EXCLUDED.minimum), "
                "maximum = GREATEST(sensing_observationrollup.maximum, EXCLUDED.maximum)",
                [start + step * first, start + step * last],
            )
            done = last * len(ids)
            print(f"  {done:,} rows, {done / (time.perf_counter() - began):,.0f} rows/s", flush=True)
            at = until
        cursor.execute(
            "INSERT INTO sensing_observationrollup (datastream_id, period, bucket_start, count, total, minimum, "
            "maximum) SELECT datastream_id, 'day', date_trunc('day', bucket_start), sum(count), sum(total), "
            "min(minimum), max(maximum) FROM sensing_observationrollup WHERE period = 'hour' GROUP BY 1, 3"
        )
        cursor.execute(
            "UPDATE sensing_datastream SET phenomenon_time_start = %s, phenomenon_time_end = %s", [start, END]
        )
        cursor.execute("VACUUM ANALYZE sensing_observation")
        cursor.execute("VACUUM ANALYZE sensing_observationrollup")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observations", type=int, default=10_000_000)
    parser.add_argument(
        "--datastreams", type=int, default=0, help="default: one per 100,000 observations (about 250 a day each)"
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--regenerate", action="store_true", help="make the data again even if present")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_QUERY_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    from sensing_storage import prepare_database

    prepare_database(args.database_url)
    import django

    django.setup()
    from django.db import connection

    from cityos.sensing.models import Datastream
    from cityos.sensing.timeseries.selectors import series

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'sensing_observation'")
        estimate = cursor.fetchone()[0]
    if args.regenerate or not 0.95 * args.observations <= estimate <= 1.05 * args.observations:
        make_data(args.observations, args.datastreams or max(1, args.observations // 100_000))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sensing_observation")
        stored = cursor.fetchone()[0]
    ids = list(Datastream.objects.values_list("pk", flat=True))
    rng = random.Random(2026)
    results: dict[str, list[float]] = {"last 24 h (raw)": [], "a year (day rollups)": [], "a month (hour rollups)": []}
    ranges = {
        "last 24 h (raw)": (END - timedelta(hours=24), END),
        "a month (hour rollups)": (END - timedelta(days=30), END),
        "a year (day rollups)": (END - timedelta(days=365), END),
    }
    points: dict[str, int] = {}
    chosen: dict[str, str] = {}
    for _ in range(args.queries):
        datastream_id = rng.choice(ids)
        for label, (start, end) in ranges.items():
            began = time.perf_counter()
            answer = series(datastream_id, start, end)
            results[label].append((time.perf_counter() - began) * 1000)
            points[label] = len(answer.points)
            chosen[label] = answer.resolution
    print(f"{stored:,} observations in the table, {len(ids)} datastreams; {args.queries} queries each:")
    for label, times in results.items():
        print(
            f"  {label}: {points[label]} points ({chosen[label]}); p50 {statistics.median(times):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms"
        )
    with connection.cursor() as cursor:
        began = time.perf_counter()
        cursor.execute(
            "SELECT count(*) FROM sensing_observation WHERE phenomenon_time_start >= %s AND phenomenon_time_start < %s",
            [END - timedelta(hours=1), END],
        )
        hour_count = cursor.fetchone()[0]
        print(
            f"  every datastream's last hour ({hour_count:,} rows, BRIN): {(time.perf_counter() - began) * 1000:.1f} ms"
        )
        for relation in (
            "sensing_observation",
            "sensing_observation_pkey",
            "sensing_obs_ds_time",
            "sensing_obs_time_brin",
            "sensing_observationrollup",
        ):
            cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s))", [relation])
            print(f"  size of {relation}: {cursor.fetchone()[0]}")
        cursor.execute(
            "EXPLAIN SELECT phenomenon_time_start, result_number FROM sensing_observation WHERE datastream_id = %s "
            "AND phenomenon_time_start >= %s AND phenomenon_time_start < %s ORDER BY phenomenon_time_start",
            [ids[0], END - timedelta(hours=24), END],
        )
        print("  plan of the raw read: " + " / ".join(row[0].strip() for row in cursor.fetchall()[:2]))
    worst = max(percentile(times, 0.95) for times in results.values())
    return 0 if worst < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
