"""The public epidemic dashboard under load: p95 of GET /epi/ with N concurrent users (issue 5).

Builds the demo city's geography and two years of epidemic (the same demo step the demo uses)
in the database in DATABASE_URL (default: a fresh SQLite file in a temporary var dir), starts a
CityOS server on a free port, and has ``--users`` client threads each fetch the page
``--requests`` times, one after the other, waiting ``--think`` seconds between loads (0: as
fast as they can). Prints p50, p95 and p99.

    CITYOS_VAR_DIR=/tmp/bench-epi DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_epi \\
        .venv/bin/python bench/epi_dashboard.py --users 50 --requests 20 --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_city() -> None:
    import django

    django.setup()
    from cityos.core.registry import DemoContext, registry
    from cityos.epi.models import DashboardSnapshot

    if DashboardSnapshot.objects.exists():
        return
    ctx = DemoContext(rng=random.Random(2020), say=print)
    registry.demo_steps["geography"].build(ctx)
    registry.demo_steps["epidemic"].build(ctx)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent client threads")
    parser.add_argument("--requests", type=int, default=20, help="page loads per user")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--language", default="en", help="Accept-Language of the users")
    parser.add_argument("--think", type=float, default=0.0, help="seconds each user waits between page loads")
    args = parser.parse_args()

    os.environ.setdefault("CITYOS_VAR_DIR", tempfile.mkdtemp(prefix="cityos-bench-epi-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityos.settings")
    os.environ["CITYOS_LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "cityos", "migrate", "-v", "0"], check=True, env=env)
    build_city()
    port = free_port()
    log = Path(os.environ["CITYOS_VAR_DIR"]) / "bench-server.log"
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "cityos", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    headers = {"Accept-Language": args.language}
    try:
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/epi/", headers=headers)
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not answer /epi/")

        def user(_number: int) -> list[float]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            took = []
            time.sleep(random.uniform(0, args.think))  # users do not all arrive at once
            for _ in range(args.requests):
                began = time.perf_counter()
                connection.request("GET", "/epi/", headers=headers)
                response = connection.getresponse()
                body = response.read()
                took.append(time.perf_counter() - began)
                if response.status != 200:
                    raise SystemExit(f"HTTP {response.status}: {body[:300]!r} (server log: {log})")
                time.sleep(args.think)
            return took

        began = time.perf_counter()
        with ThreadPoolExecutor(args.users) as pool:
            times = sorted(t for batch in pool.map(user, range(args.users)) for t in batch)
        elapsed = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)
    cuts = statistics.quantiles(times, n=100)
    database = os.environ.get("DATABASE_URL", "sqlite").split(":", 1)[0]
    print(
        f"GET /epi/: {len(times)} requests, {args.users} concurrent users (think time {args.think:g} s), "
        f"{len(times) / elapsed:.0f} requests/s; "
        f"p50 {cuts[49] * 1000:.0f} ms, p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms "
        f"[{database}, {args.workers} server workers]"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
