"""Fixtures: a station with a temperature and a truth datastream, brokers, a worker in a thread."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import paho.mqtt.client as mqtt
import pytest

from cityos.core.accounts.models import Department, User
from cityos.core.accounts.tests.factories import DepartmentFactory
from cityos.sensing import services
from cityos.sensing.ingest import store
from cityos.sensing.ingest.client import platform_client
from cityos.sensing.ingest.worker import IngestWorker
from cityos.sensing.models import Datastream, ObservationType, Thing
from cityos.sensing.tests.conftest import operator_of, thing_payload


@pytest.fixture(autouse=True)
def _forget_datastreams() -> Iterator[None]:
    """Tests reuse ids after rollbacks; the worker's cache of known datastreams must not leak."""
    store._known_datastreams.clear()
    yield
    store._known_datastreams.clear()


@pytest.fixture
def department(db: None) -> Department:
    return cast(Department, DepartmentFactory(code="water"))


@pytest.fixture
def operator(department: Department) -> User:
    return operator_of(department)


@pytest.fixture
def station(operator: User) -> Thing:
    payload = thing_payload("Ingest station")
    payload["Datastreams"].append(
        {
            **payload["Datastreams"][0],
            "name": "Ingest station door",
            "observationType": ObservationType.TRUTH,
            "unitOfMeasurement": {"name": None, "symbol": None, "definition": None},
        }
    )
    return cast(Thing, services.create_entity("Thing", payload, user=operator))


@pytest.fixture
def temperature(station: Thing) -> Datastream:
    return station.datastreams.get(name="Ingest station temperature")


@pytest.fixture
def door(station: Thing) -> Datastream:
    return station.datastreams.get(name="Ingest station door")


@pytest.fixture
def mosquitto(mosquitto_url: str) -> str:
    """The test run's own Mosquitto (``cityos.conftest.mosquitto_url``)."""
    return mosquitto_url


@pytest.fixture
def worker(mosquitto: str, settings: Any) -> Iterator[IngestWorker]:
    """An ingest worker on the test broker, in a thread, ready for messages."""
    # A group of its own, so other tests' or other people's workers do not share the load.
    settings.CITYOS_MQTT_SHARE_GROUP = f"test-{uuid.uuid4().hex[:8]}"
    settings.CITYOS_INGEST_SESSION_EXPIRY = "60"  # leave no session behind
    worker = IngestWorker(f"test-{uuid.uuid4().hex[:8]}", url=mosquitto)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    assert worker.ready.wait(10)
    yield worker
    worker.stop()
    thread.join(10)


@contextmanager
def publishing(mosquitto: str, name: str) -> Iterator[mqtt.Client]:
    """A platform client connected to the test broker as ``name``, disconnected afterwards."""
    client = platform_client(name, url=mosquitto)
    try:
        yield client
    finally:
        client.loop_stop()
        client.disconnect()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, every: float = 0.05) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
