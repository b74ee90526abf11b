"""The worker against a real broker: stored once, redelivery after a crash not stored twice."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from cityos.sensing.ingest.client import platform_client, publish_observation
from cityos.sensing.ingest.tests.conftest import wait_for
from cityos.sensing.ingest.worker import IngestWorker
from cityos.sensing.models import Datastream, DeadLetter, Observation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(mosquitto: str, settings: pytest.FixtureRequest) -> Iterator[IngestWorker]:
    # A group of its own, so other tests' or other people's workers do not share the load.
    settings.CITYOS_MQTT_SHARE_GROUP = f"test-{uuid.uuid4().hex[:8]}"  # type: ignore[attr-defined]
    settings.CITYOS_INGEST_SESSION_EXPIRY = "60"  # type: ignore[attr-defined]  # leave no session behind
    worker = IngestWorker(f"test-{uuid.uuid4().hex[:8]}", url=mosquitto)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    assert worker.ready.wait(10)
    yield worker
    worker.stop()
    thread.join(10)


def test_messages_published_over_mqtt_are_stored(worker: IngestWorker, mosquitto: str, temperature: Datastream) -> None:
    client = platform_client("test-publisher", url=mosquitto)
    try:
        for i in range(50):
            publish_observation(
                client, temperature.pk, {"result": float(i), "phenomenonTime": f"2026-03-01T08:{i:02d}:00Z"}
            )
        info = publish_observation(client, temperature.pk, {"result": "bad"})
        info.wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()
    wait_for(lambda: Observation.objects.filter(datastream=temperature).count() == 50 and DeadLetter.objects.exists())
    assert sorted(Observation.objects.values_list("result_number", flat=True)) == [float(i) for i in range(50)]
    assert "must be a number" in DeadLetter.objects.get().reason
