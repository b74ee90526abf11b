"""Exposure matching (issue 4): a case with 20 visits against 10 million stored check-ins.

Needs PostgreSQL (DATABASE_URL). Fills checkin_checkin with generate_series (5,000 venues,
check-ins spread over 21 days), then times the engine's one query
(cityos.checkin.selectors.exposed_check_ins) for 20 random one-hour visits, repeated with
fresh visits, and prints the median, the best and the query plan. Example:

    CITYOS_VAR_DIR=/tmp/bench-checkin DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_checkin \\
        .venv/bin/python bench/checkin_matching.py --check-ins 10000000 --repeat 9

The rows are kept between runs (a second run with the same size skips the fill).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fill(check_ins: int, venues: int) -> None:
    from django.db import connection

    from cityos.checkin.models import CheckIn, Venue

    if Venue.objects.count() < venues:
        Venue.objects.all().delete()
        Venue.objects.bulk_create(
            [
                Venue(name=f"Bench venue {i}", short_code=f"B{i:05d}", contact_email="b@example.org")
                for i in range(venues)
            ],
            batch_size=5000,
        )
    if CheckIn.objects.count() == check_ins:
        return
    first = Venue.objects.order_by("pk").values_list("pk", flat=True).first()
    began = time.perf_counter()
    # Filling without the secondary indexes and building them afterwards is many times faster.
    with connection.schema_editor() as editor:
        for index in CheckIn._meta.indexes:
            editor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE checkin_checkin CASCADE")
        # Anonymous check-ins (the heavier rows: an encrypted contact and its digest).
        cursor.execute(
            """
            INSERT INTO checkin_checkin
                (venue_id, person_id, contact_encrypted, contact_channel, contact_digest, language, source,
                 checked_in_at, checked_out_at)
            SELECT %s + (g %% %s), NULL, 'gAAAAABbenchbenchbenchbenchbenchbenchbenchbenchbenchbenchbench', 'sms',
                   md5(g::text), 'en', 'web',
                   now() - random() * interval '21 days',
                   NULL
            FROM generate_series(1, %s) AS g
            """,
            [first, venues, check_ins],
        )
    with connection.schema_editor() as editor:
        for index in CheckIn._meta.indexes:
            editor.add_index(CheckIn, index)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE checkin_checkin")
    print(f"filled {check_ins:,} check-ins at {venues:,} venues in {time.perf_counter() - began:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-ins", type=int, default=10_000_000)
    parser.add_argument("--venues", type=int, default=5_000)
    parser.add_argument("--visits", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (it is created if missing).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityos.settings")
    os.environ["CITYOS_LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "-m", "cityos", "migrate", "-v", "0"], check=True, env=env)

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from cityos.checkin import selectors
    from cityos.checkin.models import Venue

    fill(args.check_ins, args.venues)
    venue_ids = list(Venue.objects.values_list("pk", flat=True))
    rng = random.Random(4)
    now = timezone.now()

    def visits() -> list[tuple[int, object, object]]:
        picked = []
        for venue_id in rng.sample(venue_ids, args.visits):
            start = now - timedelta(minutes=rng.randint(120, 20 * 24 * 60))
            picked.append((venue_id, start, start + timedelta(hours=1)))
        return picked

    selectors.exposed_check_ins(visits())  # warm the connection and the plan cache
    timings, matched = [], []
    for _run in range(args.repeat):
        case = visits()
        began = time.perf_counter()
        found = selectors.exposed_check_ins(case)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - began) * 1000)
        matched.append(sum(len(f) for f in found))
    with connection.cursor() as cursor:
        from cityos.checkin.models import CheckIn

        venue_id, start, end = visits()[0]
        query = CheckIn.objects.filter(venue_id=venue_id, checked_in_at__gte=start, checked_in_at__lte=end)
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
    print("plan of one arm:", " / ".join(line.strip() for line in plan[:3]))
    print(
        f"exposure match, {args.visits} visits against {args.check_ins:,} check-ins: "
        f"median {statistics.median(timings):.1f} ms, best {min(timings):.1f} ms, worst {max(timings):.1f} ms "
        f"({args.repeat} runs, {statistics.median(matched):.0f} check-ins matched per case)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
