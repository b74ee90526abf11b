"""New entities go out on the standard SensorThings topics after commit."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import orjson
import pytest
from paho.mqtt.client import Client, MQTTMessage

from cityos.core.accounts.models import User
from cityos.core.registry import building_demo
from cityos.sensing import services
from cityos.sensing.events import EntityChanged
from cityos.sensing.ingest import publisher as publisher_module
from cityos.sensing.ingest.client import platform_client
from cityos.sensing.ingest.publisher import EntityPublisher, on_entity_changed, publisher
from cityos.sensing.ingest.tests.conftest import wait_for
from cityos.sensing.models import Datastream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fresh_publisher(mosquitto: str, settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A publisher of this test's own, to this test's broker, set before any entity is made: the
    process's publisher may be waiting out an earlier test's unreachable broker."""
    settings.CITYOS_MQTT_URL = mosquitto  # type: ignore[attr-defined]
    settings.CITYOS_MQTT_PUBLISH_ENTITIES = "true"  # type: ignore[attr-defined]
    own = EntityPublisher()
    monkeypatch.setattr(publisher_module, "publisher", own)
    return own


def test_observations_created_over_http_or_mqtt_are_published(
    fresh_publisher: Any, temperature: Datastream, operator: User
) -> None:
    received: list[tuple[str, dict[str, object]]] = []
    subscribed = threading.Event()
    listener = platform_client(f"listener-{uuid.uuid4().hex[:6]}")

    def on_message(_c: Client, _u: object, message: MQTTMessage) -> None:
        received.append((message.topic, orjson.loads(message.payload)))

    listener.on_message = on_message
    listener.on_subscribe = lambda *_args: subscribed.set()
    listener.subscribe([(f"v1.1/Datastreams({temperature.pk})/Observations", 0), ("v1.1/Things", 0)])
    try:
        assert subscribed.wait(5)
        services.create_observations([services.NewObservation(temperature.pk, None, 12.5)], user=operator)
        wait_for(lambda: any(topic.startswith("v1.1/Datastreams") for topic, _ in received), timeout=10)
        body = next(b for t, b in received if t.startswith("v1.1/Datastreams"))
        assert body["result"] == 12.5 and isinstance(body["@iot.id"], int)
        assert str(body["@iot.selfLink"]).endswith(f"/Observations({body['@iot.id']})")
        assert fresh_publisher.published >= 1
    finally:
        listener.loop_stop()
        listener.disconnect()


def test_nothing_is_queued_while_the_demo_city_is_seeded(
    settings: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo's broker starts with its server, after seeding: publishing then would only fail.
    settings.CITYOS_MQTT_PUBLISH_ENTITIES = "true"  # type: ignore[attr-defined]
    queued: list[object] = []
    monkeypatch.setattr(publisher, "put", lambda kind, value: queued.append(value))
    created = EntityChanged(entity_type="Thing", id=1, change="created")
    token = building_demo.set(True)
    try:
        on_entity_changed(created)
    finally:
        building_demo.reset(token)
    assert queued == []
    on_entity_changed(created)
    assert queued == [("Thing", 1, "created")]
