"""Backfill over HTTP: N observations through SensorThings' dataArray endpoint (issue 3).

Starts a CityOS server on a free port against the database in DATABASE_URL (default: a fresh
SQLite file in a temporary var dir), makes a writer with an API token and a few datastreams,
then POSTs /sta/v1.1/CreateObservations batches from several client threads and prints
observations per second. Example:

    CITYOS_VAR_DIR=/tmp/bench-sensing DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_sensing \\
        .venv/bin/python bench/sensing_http.py --observations 1000000 --batch 10000 --clients 4 --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def setup(datastreams: int) -> tuple[str, list[int]]:
    import django

    django.setup()
    from cityos.core.accounts.models import Department, Role, StaffRole, User
    from cityos.core.api.services import issue_token
    from cityos.sensing import services
    from cityos.sensing.models import ObservationType

    department, _ = Department.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    user, created = User.objects.get_or_create(username="bench-writer", defaults={"is_staff": True})
    if created:
        StaffRole.objects.create(user=user, role=Role.OPERATOR, department=department)
    secret = issue_token(name="bench", owner=user, scopes=["write"], created_by=user).secret
    thing = services.create_entity(
        "Thing",
        {
            "name": "Bench gateway",
            "description": "backfill benchmark",
            "properties": {"department": "bench"},
            "Locations": [
                {
                    "name": "bench",
                    "description": "bench",
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [0, 0]},
                }
            ],
            "Datastreams": [
                {
                    "name": f"bench {i}",
                    "description": "bench",
                    "unitOfMeasurement": {"name": "degree Celsius", "symbol": "°C", "definition": "x"},
                    "observationType": ObservationType.MEASUREMENT,
                    "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain", "metadata": "s"},
                    "ObservedProperty": {"name": "t", "definition": "t", "description": "t"},
                }
                for i in range(datastreams)
            ],
        },
        user=user,
    )
    return secret, list(thing.datastreams.order_by("pk").values_list("pk", flat=True))


def payloads(datastream_ids: list[int], total: int, batch: int) -> list[bytes]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    bodies, made = [], 0
    while made < total:
        size = min(batch, total - made)
        datastream = datastream_ids[(made // batch) % len(datastream_ids)]
        rows = [
            [(start + timedelta(seconds=made + i)).isoformat().replace("+00:00", "Z"), round(20 + (i % 100) / 10, 1)]
            for i in range(size)
        ]
        body = [{"Datastream": {"@iot.id": datastream}, "components": ["phenomenonTime", "result"], "dataArray": rows}]
        bodies.append(json.dumps(body).encode())
        made += size
    return bodies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--datastreams", type=int, default=10)
    args = parser.parse_args()

    os.environ.setdefault("CITYOS_VAR_DIR", tempfile.mkdtemp(prefix="cityos-bench-sensing-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityos.settings")
    os.environ["CITYOS_LOG_LEVEL"] = "WARNING"
    # New observations are also fanned out over MQTT (QoS 0, from a background thread, dropped
    # when the broker lags); that is not storage, so it is off unless asked for.
    os.environ.setdefault("CITYOS_MQTT_PUBLISH_ENTITIES", "false")
    sys.path.insert(0, str(ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "cityos", "migrate", "-v", "0"], check=True, env=env)
    secret, datastream_ids = setup(args.datastreams)
    from cityos.sensing.models import Observation

    before = Observation.objects.count()
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "cityos", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/sta/v1.1/")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        bodies = payloads(datastream_ids, args.observations, args.batch)
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

        def send(chunk: list[bytes]) -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            stored = 0
            for body in chunk:
                connection.request("POST", "/sta/v1.1/CreateObservations", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status != 201:
                    raise SystemExit(f"HTTP {response.status}: {answer[:300]!r}")
                stored += sum(1 for link in json.loads(answer) if link != "error")
            return stored

        chunks = [bodies[i :: args.clients] for i in range(args.clients)]
        began = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            stored = sum(pool.map(send, chunks))
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    in_database = Observation.objects.count() - before
    database = os.environ.get("DATABASE_URL", "sqlite").split(":", 1)[0]
    print(
        f"{stored:,} observations ({in_database:,} in the database) over HTTP dataArray in {elapsed:.2f} s: "
        f"{stored / elapsed:,.0f} observations/s "
        f"[{database}, batch {args.batch}, {args.clients} clients, {args.workers} server workers]"
    )
    return 0 if in_database == stored == args.observations else 1


if __name__ == "__main__":
    raise SystemExit(main())
