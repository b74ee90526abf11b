"""The issue's proof: kill the ingest worker (SIGKILL) during a 100,000-message QoS 1 run, restart
it, and exactly 100,000 observations are stored: nothing lost, nothing twice.

Runs in CI (Mosquitto is a CI service). CITYOS_INGEST_PROOF_MESSAGES makes it smaller locally.
Mosquitto queues at most ``max_queued_messages`` (1000 by default) for a disconnected session
and drops the rest, so while the worker is down the publisher sends one chunk, not more; the
messages in flight when the worker dies (up to the receive maximum, 65,535) are all kept.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from django.conf import settings
from django.db import connection

from cityos.sensing.ingest.client import platform_client, publish_observation
from cityos.sensing.ingest.tests.conftest import wait_for
from cityos.sensing.models import Datastream, DeadLetter, Observation

pytestmark = pytest.mark.django_db(transaction=True)

TOTAL = int(os.environ.get("CITYOS_INGEST_PROOF_MESSAGES", "100000"))
PATIENCE = float(os.environ.get("CITYOS_INGEST_PROOF_PATIENCE", "240"))  # seconds without progress
# Messages sent at once; the one chunk under way when the worker dies reaches the broker while
# no worker is connected (Mosquitto keeps up to max_queued_messages, 1000 by default, for it).
CHUNK = 250
BACKLOG = 40_000
T0 = datetime(2026, 3, 1, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[4]


def database_url() -> str:
    """The test database, for the worker process."""
    info = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{info['NAME']}"
    user = info.get("USER") or ""
    password = f":{info['PASSWORD']}" if info.get("PASSWORD") else ""
    host = info.get("HOST") or "127.0.0.1"
    port = f":{info['PORT']}" if info.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{info['NAME']}"


class WorkerProcess:
    def __init__(self, worker_id: str, url: str, group: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CITYOS_MQTT_URL": url,
            "CITYOS_MQTT_SHARE_GROUP": group,
            "CITYOS_INGEST_SESSION_EXPIRY": "300",
            "CITYOS_MQTT_PUBLISH_ENTITIES": "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
            "CITYOS_SECRET_KEY": str(settings.SECRET_KEY),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cityos.cli", "sensing_ingest", "--id", worker_id, "--report", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            self.lines.append(line.rstrip())
            if line.startswith("ready"):
                self.ready.set()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def test_killing_the_worker_mid_run_loses_nothing_and_stores_nothing_twice(
    mosquitto: str, temperature: Datastream
) -> None:
    worker_id = f"proof-{uuid.uuid4().hex[:8]}"
    group = f"proof-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(worker_id, mosquitto, group)
    restarted: WorkerProcess | None = None
    up = threading.Event()
    published = [0]
    failures: list[BaseException] = []

    def publish_all() -> None:
        client = platform_client(f"{worker_id}-publisher", url=mosquitto)
        try:
            for start in range(0, TOTAL, CHUNK):
                # paho sends from its own thread: wait for the broker's acknowledgements chunk by
                # chunk, so that while the worker is down at most one chunk reaches the broker.
                up.wait(120)
                # Mosquitto drops what exceeds the worker's window (65,535) plus its queue: keep
                # the backlog under that, whatever the speed of the machine.
                while start - stored.count() > BACKLOG:
                    time.sleep(0.05)
                for i in range(start, min(start + CHUNK, TOTAL)):
                    stamp = T0 + timedelta(seconds=i)
                    body = {"result": float(i), "phenomenonTime": stamp.isoformat().replace("+00:00", "Z")}
                    info = publish_observation(client, temperature.pk, body)
                info.wait_for_publish(120)
                published[0] = min(start + CHUNK, TOTAL)
        except BaseException as error:  # surfaced by the test thread
            failures.append(error)
        finally:
            client.loop_stop()
            client.disconnect()
            connection.close()  # this thread's own connection

    stored = Observation.objects.filter(datastream=temperature)
    try:
        assert worker.ready.wait(60), "\n".join(worker.lines)
        up.set()
        publisher = threading.Thread(target=publish_all, daemon=True)
        started = time.monotonic()
        publisher.start()
        wait_for(lambda: stored.count() >= TOTAL // 3, timeout=PATIENCE, every=0.2)
        up.clear()
        worker.kill()  # mid-batch: some messages stored but not acknowledged, many in flight
        at_kill = stored.count()
        restarted = WorkerProcess(worker_id, mosquitto, group)
        assert restarted.ready.wait(60), "\n".join(restarted.lines)
        up.set()
        publisher.join(300)
        assert not failures, failures
        assert published[0] == TOTAL
        wait_for(lambda: stored.count() >= TOTAL, timeout=PATIENCE, every=0.2)
        time.sleep(2)  # anything delivered twice would land now
        elapsed = time.monotonic() - started
        assert stored.count() == TOTAL
        assert stored.values("result_number").distinct().count() == TOTAL
        print(
            f"\n{TOTAL} messages in {elapsed:.1f} s; {at_kill} stored when killed; "
            f"after restart: {restarted.lines[-1:]}"
        )
    except AssertionError as error:
        logs = "\n".join(worker.lines[-10:] + (restarted.lines[-10:] if restarted else []))
        reasons = list(DeadLetter.objects.values_list("topic", "reason")[:5])
        logs += f"\ndead letters: {DeadLetter.objects.count()} {reasons}"
        raise AssertionError(f"{error}; published {published[0]}, stored {stored.count()}\n{logs}") from None
    finally:
        up.set()
        worker.stop()
        if restarted is not None:
            restarted.stop()
