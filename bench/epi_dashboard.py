"""The public epidemic dashboard under load: p95 of GET /epi/ with N concurrent users (issue 5).

Builds the demo city's geography and two years of epidemic (the same demo step the demo uses)
in the database in DATABASE_URL (default: a fresh SQLite file in a temporary var dir), starts a
CityOS server on a free port, and has ``--users`` client threads each fetch the page
``--requests`` times, one after the other, waiting ``--think`` seconds between loads (0: as
fast as they can). Prints p50, p95 and p99. With ``--revalidate`` each user sends back the
page's ETag (If-None-Match) as a browser reloading it does, and gets a bodiless 304 until the
hourly job changes the page. With ``--wrk SECONDS`` the load comes from wrk (Debian's `wrk`)
instead of Python threads: ``--users`` connections loading the page back to back for that long,
so the client's own CPU use does not crowd out the server on a small machine.

    CITYOS_VAR_DIR=/tmp/bench-epi DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_epi \\
        .venv/bin/python bench/epi_dashboard.py --users 50 --requests 20 --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import shutil
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


WRK_SCRIPT = r"""
function init(args)
  language, revalidate = args[1], args[2] == "1"
  etag = nil
end
function request()
  local headers = {["Accept-Language"] = language}
  if revalidate and etag then headers["If-None-Match"] = etag end
  return wrk.format("GET", "/epi/", headers)
end
function response(status, headers, body)
  if status ~= 200 and status ~= 304 then bad = (bad or 0) + 1 end
  if headers["ETag"] then etag = headers["ETag"] end
end
function done(summary, latency, requests)
  io.write(string.format("WRK %d requests in %.1f s, %d errors; p50 %.0f ms, p95 %.0f ms, p99 %.0f ms\n",
    summary.requests, summary.duration / 1e6, summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def run_wrk(port: int, args: argparse.Namespace) -> int:
    """wrk keeps ``--users`` connections loading the page back to back; prints its percentiles."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    script = Path(os.environ["CITYOS_VAR_DIR"]) / "epi_dashboard.lua"
    script.write_text(WRK_SCRIPT)
    threads = max(1, min(args.users, os.cpu_count() or 1))
    command = [wrk, f"-t{threads}", f"-c{args.users}", f"-d{max(1, round(args.wrk))}s", "-s", str(script)]
    command += [f"http://127.0.0.1:{port}", "--", args.language, "1" if args.revalidate else "0"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    database = os.environ.get("DATABASE_URL", "sqlite").split(":", 1)[0]
    revalidating = ", revalidating" if args.revalidate else ""
    print(
        f"GET /epi/ under wrk, {args.users} connections back to back{revalidating}: {line[4:]} "
        f"[{database}, {args.workers} server workers]"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent client threads")
    parser.add_argument("--requests", type=int, default=20, help="page loads per user")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--language", default="en", help="Accept-Language of the users")
    parser.add_argument("--revalidate", action="store_true", help="send If-None-Match as a reloading browser")
    parser.add_argument("--wrk", type=float, default=0, help="drive the load with wrk for this many seconds")
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

        if args.wrk:
            return run_wrk(port, args)

        def user(_number: int) -> list[float]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            took = []
            sent = dict(headers)
            time.sleep(random.uniform(0, args.think))  # users do not all arrive at once
            for _ in range(args.requests):
                began = time.perf_counter()
                connection.request("GET", "/epi/", headers=sent)
                response = connection.getresponse()
                body = response.read()
                took.append(time.perf_counter() - began)
                if args.revalidate and response.getheader("ETag"):
                    sent["If-None-Match"] = response.getheader("ETag") or ""
                if response.status not in (200, 304):
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
        f"GET /epi/: {len(times)} requests, {args.users} concurrent users (think time {args.think:g} s"
        f"{', revalidating' if args.revalidate else ''}), "
        f"{len(times) / elapsed:.0f} requests/s; "
        f"p50 {cuts[49] * 1000:.0f} ms, p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms "
        f"[{database}, {args.workers} server workers]"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
