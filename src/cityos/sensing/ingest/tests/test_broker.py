"""The embedded broker: tokens log in, grants limit where they publish; the in-process services."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cityos.core.accounts.models import User
from cityos.core.api.services import issue_token
from cityos.sensing import services
from cityos.sensing.ingest import broker as broker_module
from cityos.sensing.ingest.broker import EmbeddedBroker, may_publish, principal_for
from cityos.sensing.ingest.client import PLATFORM_USERNAME, connect, new_client, platform_client, platform_password
from cityos.sensing.ingest.tests.conftest import free_port, wait_for
from cityos.sensing.ingest.worker import IngestWorker
from cityos.sensing.models import Datastream, Observation, PublishGrant
from cityos.sensing.tests.conftest import thing_payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker() -> Iterator[str]:
    server = EmbeddedBroker(port=free_port()).start()
    yield f"mqtt://127.0.0.1:{server.port}"
    server.stop()


def test_principals_and_grants(temperature: Datastream, door: Datastream, operator: User) -> None:
    assert principal_for(PLATFORM_USERNAME, platform_password()) is not None
    assert principal_for(PLATFORM_USERNAME, "guess") is None
    assert principal_for("anyone", "not-a-token") is None
    free = issue_token(name="free", owner=operator, scopes=["write"], created_by=operator)
    limited = issue_token(name="limited", owner=operator, scopes=["write"], created_by=operator)
    PublishGrant.objects.create(token=limited.token, datastream=door)
    everywhere = principal_for("gateway", free.secret)
    only_door = principal_for("door", limited.secret)
    assert everywhere is not None and only_door is not None
    assert may_publish(everywhere, f"v1.1/Datastreams({temperature.pk})/Observations")
    # The broker cannot read which datastreams a dataArray names, and the worker stores what
    # reaches it as the platform's: tokens send dataArrays over HTTP, where each row is checked.
    assert not may_publish(everywhere, "v1.1/CreateObservations")
    assert may_publish(only_door, f"v1.1/Datastreams({door.pk})/Observations")
    assert not may_publish(only_door, f"v1.1/Datastreams({temperature.pk})/Observations")
    assert not may_publish(only_door, "v1.1/CreateObservations")
    assert not may_publish(everywhere, "v1.1/Things")


def test_a_granted_token_cannot_publish_elsewhere_on_the_embedded_broker(
    broker: str, settings: pytest.FixtureRequest, temperature: Datastream, door: Datastream, operator: User
) -> None:
    limited = issue_token(name="door", owner=operator, scopes=["write"], created_by=operator)
    PublishGrant.objects.create(token=limited.token, datastream=door)
    worker = IngestWorker("broker-test", url=broker, embedded=True)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    device = connect(new_client("door-device", url=broker.replace("//", f"//door:{limited.secret}@")), url=broker)
    try:
        assert worker.ready.wait(10)
        device.publish(f"v1.1/Datastreams({temperature.pk})/Observations", b'{"result": 99.0}', qos=1).wait_for_publish(
            5
        )
        device.publish(f"v1.1/Datastreams({door.pk})/Observations", b'{"result": true}', qos=1).wait_for_publish(5)
        wait_for(lambda: Observation.objects.filter(datastream=door).exists())
        time.sleep(0.5)
        assert not Observation.objects.filter(datastream=temperature).exists()
    finally:
        device.loop_stop()
        device.disconnect()
        worker.stop()
        thread.join(10)


def test_a_token_cannot_publish_a_data_array_on_the_embedded_broker(
    broker: str, temperature: Datastream, operator: User
) -> None:
    """Not even one naming its owner's own datastream: the rows could name any datastream (a
    home's of another department too), and the worker could not tell whose they were."""
    secret = issue_token(name="gateway", owner=operator, scopes=["write"], created_by=operator).secret
    worker = IngestWorker("broker-array-test", url=broker, embedded=True)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    device = connect(new_client("gateway", url=broker.replace("//", f"//gateway:{secret}@")), url=broker)
    platform = platform_client("platform-array", url=broker)
    body = b'[{"Datastream": {"@iot.id": %d}, "components": ["result"], "dataArray": [[1.5]]}]' % temperature.pk
    try:
        assert worker.ready.wait(10)
        device.publish("v1.1/CreateObservations", body, qos=1).wait_for_publish(5)
        time.sleep(0.5)
        assert not Observation.objects.filter(datastream=temperature).exists()
        platform.publish("v1.1/CreateObservations", body.replace(b"1.5", b"2.5"), qos=1).wait_for_publish(5)
        wait_for(lambda: Observation.objects.filter(datastream=temperature).exists())
        assert list(Observation.objects.values_list("result_number", flat=True)) == [2.5]
    finally:
        for client in (device, platform):
            client.loop_stop()
            client.disconnect()
        worker.stop()
        thread.join(10)


def test_nobody_but_the_platform_gets_what_devices_publish_on_a_private_things_datastreams(
    broker: str, temperature: Datastream, operator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A home's readings, published by its device, reach the ingest worker (the platform) only:
    a token's subscription to the topic is refused, and a wildcard one does not receive them."""
    monkeypatch.setattr(broker_module, "private_streams", broker_module.PrivateStreams())
    payload = thing_payload("Tenant's meter")
    payload["properties"]["private"] = True
    home = services.create_entity("Thing", payload, user=operator)
    private_topic = f"v1.1/Datastreams({home.datastreams.get().pk})/Observations"  # type: ignore[attr-defined]
    public_topic = f"v1.1/Datastreams({temperature.pk})/Observations"
    secret = issue_token(name="listener", owner=operator, scopes=["write"], created_by=operator).secret
    listener = new_client("listener", url=broker.replace("//", f"//listener:{secret}@"))
    received: list[str] = []
    granted: list[list[Any]] = []
    listener.on_message = lambda _c, _u, message: received.append(message.topic)
    listener.on_subscribe = lambda _c, _u, _mid, codes, *_rest: granted.append(list(codes))
    connect(listener, url=broker)
    platform = platform_client("platform-publisher", url=broker)
    try:
        listener.subscribe(private_topic, qos=0)
        wait_for(lambda: granted)
        assert [getattr(code, "value", code) for code in granted[0]] == [0x80]  # refused
        listener.subscribe("v1.1/#", qos=0)
        wait_for(lambda: len(granted) == 2)
        platform.publish(private_topic, b'{"result": 21.7}', qos=1).wait_for_publish(5)
        platform.publish(public_topic, b'{"result": 12.5}', qos=1).wait_for_publish(5)
        wait_for(lambda: public_topic in received)
        time.sleep(0.3)
        assert received == [public_topic]
    finally:
        for client in (listener, platform):
            client.loop_stop()
            client.disconnect()


def test_wrong_credentials_are_refused(broker: str) -> None:
    with pytest.raises(ConnectionError):
        connect(new_client("intruder", url=broker.replace("//", "//intruder:nope@")), url=broker, timeout=5)
    platform_client("platform-ok", url=broker).disconnect()


def test_sensing_registers_its_background_service_and_a_failing_one_does_not_stop_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cityos.core import jobs
    from cityos.core.registry import BackgroundService, registry

    assert "sensing.mqtt" in registry.background_services
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    services = {"a": BackgroundService("a", broken), "b": BackgroundService("b", lambda: ran.append("b"))}
    monkeypatch.setattr(registry, "background_services", services)
    jobs.start_background_services()
    assert ran == ["b"]
