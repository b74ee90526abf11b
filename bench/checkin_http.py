"""Check-in throughput over HTTP (issue 4): POST /api/v1/checkin/check-ins against a bare Django
view that only inserts one row, in the same run, on the same server, load driven by wrk.

Starts `cityos serve --workers N` (gunicorn) on a free port against DATABASE_URL (PostgreSQL for
the figure in docs/benchmarks.md) with an extra URL, /bench/bare-insert, served by a view that
inserts one check-in row and nothing else. wrk (Debian's `wrk`; `apt-get install -y wrk`) on the
same machine sends requests for a fixed time to each endpoint in turn, with a Lua script that
writes each POST body; the rates of successful (2xx) requests are printed. Each check-in is a new
anonymous visitor (a fresh email address from wrk's thread number and a counter), so every
request does the real work: middleware, signed-code check, the visitor lock and double check-in
query, contact encryption, insert. The JSON API takes no cookie and no CSRF token from a caller
without a session, so the script sends none. The API's per-address rate limit is lifted for the
run (CITYOS_API_RATE_ANON), since every request comes from 127.0.0.1; the limiter itself still
runs. Example:

    CITYOS_VAR_DIR=/tmp/bench-checkin DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_checkin_http \\
        .venv/bin/python bench/checkin_http.py --seconds 20 --connections 16 --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BENCH_URLS = """
from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from cityos.urls import urlpatterns as city_urlpatterns


@csrf_exempt
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO checkin_checkin (venue_id, contact_encrypted, contact_channel, contact_digest, language, "
            "source, checked_in_at) VALUES (%s, 'x', 'email', '', 'en', 'web', now())",
            [int(request.GET["venue"])],
        )
    return HttpResponse(status=201)


urlpatterns = [path("bench/bare-insert", bare_insert), *city_urlpatterns]
"""

BENCH_SETTINGS = """
import os
import shutil
from importlib import import_module

globals().update(
    {k: v for k, v in vars(import_module(os.environ["CITYOS_BENCH_BASE_SETTINGS"])).items() if k.isupper()}
)
ROOT_URLCONF = "checkin_bench_urls"
# Under ASGI each request's sync code runs in its own thread; persistent connections would pile
# up past PostgreSQL's max_connections, so both endpoints connect per request.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F821
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WRK_SCRIPT = r"""
-- One POST per request; the body is made here so every check-in is a new visitor.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  path, code, tag = args[1], args[2], args[3]
  counter = 0
end
function request()
  counter = counter + 1
  if code == "" then
    return wrk.format("POST", path, {["Content-Length"] = "0"}, "")
  end
  local body = string.format('{"code":"%s","contact":"v%d-%d-%s@example.org"}', code, tid, counter, tag)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "status": %d, "socket": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(port: int, seconds: float, connections: int, script: Path, path: str, code: str = "") -> dict[str, float]:
    """wrk against one endpoint; the successful requests per second and the latencies."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    threads = max(1, min(connections, os.cpu_count() or 1))
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script)]
    command += [f"http://127.0.0.1:{port}", "--", path, code, str(time.time_ns())]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    found = json.loads(line.removeprefix("WRKJSON "))
    duration = found["duration_us"] / 1e6
    ok = found["requests"] - found["status"]
    return {
        "rate": ok / duration,
        "failed": found["status"] + found["socket"],
        "p50_ms": found["p50_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
    }


def combined(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Several rounds of one endpoint: the mean rate, the worst latencies, all failures."""
    return {
        "rate": sum(r["rate"] for r in rounds) / len(rounds),
        "failed": sum(r["failed"] for r in rounds),
        "p50_ms": max(r["p50_ms"] for r in rounds),
        "p99_ms": max(r["p99_ms"] for r in rounds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per endpoint")
    args = parser.parse_args()

    bench_dir = Path(tempfile.mkdtemp(prefix="cityos-bench-checkin-"))
    (bench_dir / "checkin_bench_urls.py").write_text(BENCH_URLS)
    (bench_dir / "checkin_bench_settings.py").write_text(BENCH_SETTINGS)
    os.environ.setdefault("CITYOS_VAR_DIR", str(bench_dir / "var"))
    os.environ["CITYOS_BENCH_BASE_SETTINGS"] = os.environ.get("DJANGO_SETTINGS_MODULE", "cityos.settings")
    os.environ["DJANGO_SETTINGS_MODULE"] = "checkin_bench_settings"
    os.environ["CITYOS_LOG_LEVEL"] = "WARNING"
    os.environ["CITYOS_API_RATE_ANON"] = "100000000/m"
    paths = [str(bench_dir), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    sys.path[:0] = [str(bench_dir), str(ROOT / "src")]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "-m", "cityos", "migrate", "-v", "0"], check=True)

    import django

    django.setup()
    from cityos.checkin import services
    from cityos.checkin.models import CheckIn, Venue

    Venue.objects.filter(short_code="BENCH1").delete()  # left by an interrupted run
    venue = Venue.objects.create(name="Bench venue", short_code="BENCH1", contact_email="b@example.org")
    code = services.venue_code(venue)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "cityos", "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL,
        stderr=(bench_dir / "server.log").open("w"),
    )
    script = bench_dir / "checkin.lua"
    script.write_text(WRK_SCRIPT)
    try:
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        bare_path = f"/bench/bare-insert?venue={venue.pk}"
        real_path = "/api/v1/checkin/check-ins"
        run_wrk(port, 2, args.connections, script, bare_path)  # warm up both
        run_wrk(port, 2, args.connections, script, real_path, code)
        # Rounds alternate the two endpoints, so a change in the machine's other load during the
        # run weighs on both alike (the ratio is the figure that matters on a shared machine).
        each = max(1.0, args.seconds / args.rounds)
        bare_rounds = []
        real_rounds = []
        for _ in range(args.rounds):
            bare_rounds.append(run_wrk(port, each, args.connections, script, bare_path))
            real_rounds.append(run_wrk(port, each, args.connections, script, real_path, code))
        bare, real = combined(bare_rounds), combined(real_rounds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    database = url.split(":", 1)[0] or "sqlite"
    ratio = real["rate"] / bare["rate"] if bare["rate"] else 0.0

    def figures(found: dict[str, float]) -> str:
        return (
            f"{found['rate']:,.0f} requests/s (p50 {found['p50_ms']:.1f} ms, p99 {found['p99_ms']:.1f} ms, "
            f"{found['failed']:.0f} failed)"
        )

    print(
        f"bare insert view: {figures(bare)}; check-in endpoint: {figures(real)}; ratio {ratio:.2f} "
        f"[{database}, wrk {args.connections} connections, {args.workers} server workers, {args.seconds:.0f} s each "
        f"in {args.rounds} alternating rounds; "
        f"{CheckIn.objects.filter(venue=venue).count():,} rows]"
    )
    venue.delete()
    if real["failed"] or bare["failed"]:
        print(f"failures: see the server's log, {bench_dir / 'server.log'}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
