"""Periodic jobs are enqueued once per period, and a real worker process runs the queue."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cityos.core.jobs import enqueue_due_jobs
from cityos.core.registry import PeriodicJob, registry
from cityos.core.tests.tasks import record_heartbeat


@pytest.fixture
def heartbeat_job():
    job = PeriodicJob("tests.heartbeat", record_heartbeat, every=timedelta(minutes=5))
    registry.periodic_jobs[job.name] = job
    yield job
    registry.periodic_jobs.pop(job.name)


@pytest.mark.django_db
def test_a_periodic_job_is_enqueued_once_per_period(heartbeat_job, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
    now = timezone.now()
    assert "tests.heartbeat" in enqueue_due_jobs(now)
    assert "tests.heartbeat" not in enqueue_due_jobs(now + timedelta(minutes=1))
    assert "tests.heartbeat" in enqueue_due_jobs(now + timedelta(minutes=6))
    assert DBTaskResult.objects.filter(task_path__endswith="record_heartbeat").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_runs_queued_jobs(settings, tmp_path):
    """`cityos worker --batch` in its own process takes the job from the database queue."""
    import os

    from django.db import connection

    marker = tmp_path / "beat.txt"
    db = connection.settings_dict
    env = dict(os.environ)
    if db["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    if db["NAME"] == ":memory:" or "mode=memory" in str(db["NAME"]):
        pytest.skip("the in-memory SQLite test database cannot be shared with another process")
    result = record_heartbeat.using(backend="default").enqueue(str(marker))
    env["CITYOS_TASK_BACKEND"] = "django_tasks_db.DatabaseBackend"
    done = subprocess.run(
        [sys.executable, "-m", "cityos", "worker", "--batch", "--no-scheduler", "--interval", "0.1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert marker.read_text() == "beat"
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
