"""Check-in throughput over HTTP (issue 4): POST /api/v1/checkin/check-ins against a bare Django
view that only inserts one row, in the same run, on the same server.

Starts `cityos serve --workers N` on a free port against DATABASE_URL (PostgreSQL for the
figure in docs/benchmarks.md) with an extra URL, /bench/bare-insert, served by a view that
inserts one check-in row and nothing else. Client threads on the same machine send requests
for a fixed time to each endpoint in turn and the requests per second are printed. Each check-in
is a new anonymous visitor (a fresh email address), so every request does the real work:
middleware, signed-code check, double check-in query, contact encryption, insert. The API's
per-address rate limit is lifted for the run (CITYOS_API_RATE_ANON), since every request comes
from 127.0.0.1; the limiter itself still runs. Example:

    CITYOS_VAR_DIR=/tmp/bench-checkin DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_checkin_http \\
        .venv/bin/python bench/checkin_http.py --seconds 20 --clients 16 --workers 2
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
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


def run_for(port: int, seconds: float, clients: int, request: callable) -> tuple[int, int]:  # type: ignore[valid-type]
    stop = time.perf_counter() + seconds
    counts = [0] * clients
    failures = [0] * clients

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            method, path, body, headers = request()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status == 201:
                counts[index] += 1
            else:
                failures[index] += 1
                if failures[index] == 1:
                    print(f"HTTP {response.status} from {path}", file=sys.stderr)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), sum(failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
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

    venue = Venue.objects.create(name="Bench venue", short_code="BENCH1", contact_email="b@example.org")
    code = services.venue_code(venue)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "cityos", "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL,
        stderr=(bench_dir / "server.log").open("w"),
    )
    visitor = itertools.count()
    lock = threading.Lock()

    def check_in() -> tuple[str, str, bytes, dict[str, str]]:
        with lock:
            n = next(visitor)
        body = json.dumps({"code": code, "contact": f"visitor{n}-{port}@example.org"}).encode()
        return "POST", "/api/v1/checkin/check-ins", body, {"Content-Type": "application/json"}

    def bare() -> tuple[str, str, bytes, dict[str, str]]:
        return "POST", f"/bench/bare-insert?venue={venue.pk}", b"", {}

    try:
        for _ in range(150):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        run_for(port, 2, args.clients, bare)  # warm up both
        run_for(port, 2, args.clients, check_in)
        bare_count, bare_failed = run_for(port, args.seconds, args.clients, bare)
        real_count, real_failed = run_for(port, args.seconds, args.clients, check_in)
    finally:
        server.terminate()
        server.wait(timeout=30)
    database = url.split(":", 1)[0] or "sqlite"
    bare_rate, real_rate = bare_count / args.seconds, real_count / args.seconds
    print(
        f"bare insert view: {bare_rate:,.0f} requests/s ({bare_failed} failed); "
        f"check-in endpoint: {real_rate:,.0f} requests/s ({real_failed} failed); "
        f"ratio {real_rate / bare_rate:.2f} "
        f"[{database}, {args.clients} client threads, {args.workers} server workers, {args.seconds:.0f} s each; "
        f"{CheckIn.objects.filter(venue=venue).count():,} rows]"
    )
    venue.delete()
    if real_failed or bare_failed:
        print(f"failures: see the server's log, {bench_dir / 'server.log'}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
