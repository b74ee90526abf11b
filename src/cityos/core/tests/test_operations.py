"""Operations: health, metrics, structured logs."""

from __future__ import annotations

import json
import logging

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_metrics_are_exposed_for_prometheus(client):
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_method_total" in body


def test_logs_are_one_json_object_per_line(capsys):
    from django.conf import settings

    formatter_config = settings.LOGGING["formatters"]["json"]
    formatter = formatter_config["()"](
        processors=formatter_config["processors"], foreign_pre_chain=formatter_config["foreign_pre_chain"]
    )
    record = logging.LogRecord("cityos.test", logging.INFO, __file__, 1, "job %s done", ("nightly",), None)
    record.job = "web.prune_finished_jobs"  # what `extra={"job": ...}` sets
    line = json.loads(formatter.format(record))
    assert line["job"] == "web.prune_finished_jobs"
    assert line["event"] == "job nightly done"
    assert line["level"] == "info" and line["logger"] == "cityos.test" and "timestamp" in line


@pytest.mark.django_db(transaction=True)
def test_cityos_serve_answers_over_http_with_jobs_running_in_process(tmp_path):
    """`cityos serve --jobs` (what the demo runs): gunicorn serves pages and the in-process
    worker takes jobs from the queue."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from django.db import connection

    from cityos.core.tests.tasks import record_heartbeat

    db = connection.settings_dict
    env = dict(os.environ, CITYOS_TASK_BACKEND="django_tasks_db.DatabaseBackend", CITYOS_LOG_LEVEL="INFO")
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    marker = tmp_path / "beat.txt"
    record_heartbeat.using(backend="default").enqueue(str(marker))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        # --log-level wins over CITYOS_LOG_LEVEL in the web worker too (`cityos demo` keeps quiet so).
        [sys.executable, "-m", "cityos", "serve", "--port", str(port), "--jobs", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read()
                if marker.exists():
                    break
            except OSError:
                pass
            time.sleep(0.3)
        assert b'"database": "ok"' in body
        assert marker.read_text() == "beat"
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert b'"level": "info"' not in errors and b"[INFO]" not in errors, errors.decode()[:2000]
