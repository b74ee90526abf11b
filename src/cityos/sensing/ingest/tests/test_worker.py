"""The worker against a real broker: stored once, redelivery after a crash not stored twice."""

from __future__ import annotations

import pytest

from cityos.sensing.ingest.client import publish_observation
from cityos.sensing.ingest.tests.conftest import publishing, wait_for
from cityos.sensing.ingest.worker import IngestWorker
from cityos.sensing.models import Datastream, DeadLetter, Observation

pytestmark = pytest.mark.django_db(transaction=True)


def test_messages_published_over_mqtt_are_stored(worker: IngestWorker, mosquitto: str, temperature: Datastream) -> None:
    with publishing(mosquitto, "test-publisher") as client:
        for i in range(50):
            publish_observation(
                client, temperature.pk, {"result": float(i), "phenomenonTime": f"2026-03-01T08:{i:02d}:00Z"}
            )
        info = publish_observation(client, temperature.pk, {"result": "bad"})
        info.wait_for_publish(10)
    wait_for(lambda: Observation.objects.filter(datastream=temperature).count() == 50 and DeadLetter.objects.exists())
    assert sorted(Observation.objects.values_list("result_number", flat=True)) == [float(i) for i in range(50)]
    assert "must be a number" in DeadLetter.objects.get().reason
