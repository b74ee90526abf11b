"""Publishing new entities on the standard SensorThings MQTT topics (OGC 18-088, 14.2).

After a commit, new observations go out as SensorThings JSON at QoS 0 on
``v1.1/Datastreams(<id>)/Observations`` and ``v1.1/Observations``; other new or changed entities
on their entity set (``v1.1/Things``...) and, when changed, on ``v1.1/Things(<id>)``. Writers
only hand ids to a queue: one background thread per process reads and publishes them, so a
slow or absent broker never slows or breaks a write. When the queue is full (the broker cannot
keep up), notifications are dropped, as QoS 0 allows.

Private Things (those that watch people's homes) and what only they lead to are never published:
anyone logged in to the broker may subscribe, and nobody's reading can be audited there.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any

import orjson
from django.conf import settings
from django.db import close_old_connections, connections
from django.urls import reverse

from cityos.core.registry import building_demo
from cityos.sensing.events import EntityChanged, ObservationsCreated
from cityos.sensing.ingest import conf

logger = logging.getLogger(__name__)

RETRY_SECONDS = 10.0
QUEUE_LIMIT = 2000  # batches or entities waiting; beyond this they are dropped


def sta_base() -> str:
    return str(settings.CITYOS_BASE_URL).rstrip("/") + reverse("sta-root").rstrip("/")


def entity_json(entity_type_name: str, pk: int, base: str) -> dict[str, Any] | None:
    """The entity as the HTTP API shows it (no $expand), or None when it is gone or unknown."""
    from cityos.sensing.sta.options import Options
    from cityos.sensing.sta.render import Renderer
    from cityos.sensing.sta.schema import ENTITY_TYPES

    entity_type = ENTITY_TYPES.get(entity_type_name)
    obj = None if entity_type is None else entity_type.model._default_manager.filter(pk=pk).first()
    if entity_type is None or obj is None:
        return None
    return Renderer(base).entity(entity_type, obj, Options(entity_type))


class EntityPublisher:
    """One per process: a thread with its own MQTT connection, fed by the event handlers."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue(QUEUE_LIMIT)
        self.dropped = 0
        self.published = 0
        self._pid = os.getpid()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, kind: str, value: Any) -> None:
        if self._thread is None or self._pid != os.getpid():  # not started, or forked since
            self._start()
        try:
            self.queue.put_nowait((kind, value))
        except queue.Full:
            self.dropped += 1

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self.queue = queue.Queue(QUEUE_LIMIT)  # what a parent queued before a fork is its own
            self._thread = threading.Thread(target=self._run, name="cityos-mqtt-publisher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from cityos.sensing.ingest.client import platform_client

        client = None
        retry_at = 0.0  # while the broker is unreachable, drop without trying each message
        while True:
            kind, value = self.queue.get()
            if client is None and time.monotonic() < retry_at:
                self.dropped += 1
                continue
            try:
                if client is None:
                    client = platform_client(f"cityos-publisher-{os.getpid()}")
                    if retry_at:
                        logger.info("publishing entities over MQTT again")
                    retry_at = 0.0
                self._publish(client, kind, value)
            except Exception:
                # Once per outage, not once per entity: a demo build without a broker makes thousands.
                if not retry_at:
                    logger.warning("publishing entities over MQTT failed; dropping them for now", exc_info=True)
                retry_at = time.monotonic() + RETRY_SECONDS
                client = None
            finally:
                if self.queue.empty():
                    connections.close_all()  # idle from here on: hold no connection while waiting
                else:
                    close_old_connections()

    def _publish(self, client: Any, kind: str, value: Any) -> None:
        from cityos.sensing.models import Observation
        from cityos.sensing.sta.options import Options
        from cityos.sensing.sta.privacy import private_entity
        from cityos.sensing.sta.render import Renderer
        from cityos.sensing.sta.schema import ENTITY_TYPES

        base = sta_base()
        if kind == "observations":
            # Read back after the commit (the event carries ids only), in the HTTP API's JSON.
            observation_type = ENTITY_TYPES["Observation"]
            renderer, options = Renderer(base), Options(observation_type)
            for start in range(0, len(value), 2000):
                chunk = Observation.objects.filter(pk__in=value[start : start + 2000])
                for observation in chunk.exclude(datastream__thing__private=True).order_by("pk"):
                    payload = orjson.dumps(renderer.entity(observation_type, observation, options))
                    client.publish(f"v1.1/Datastreams({observation.datastream_id})/Observations", payload, qos=0)
                    client.publish("v1.1/Observations", payload, qos=0)
                    self.published += 1
            return
        entity_type_name, pk, change = value
        entity_type = ENTITY_TYPES.get(entity_type_name)
        if entity_type is None or change == "deleted" or private_entity(entity_type_name, pk):
            return
        body = entity_json(entity_type_name, pk, base)
        if body is None:
            return
        payload = orjson.dumps(body)
        if change == "created":
            client.publish(f"v1.1/{entity_type.plural}", payload, qos=0)
        else:
            client.publish(f"v1.1/{entity_type.plural}({pk})", payload, qos=0)
        self.published += 1


publisher = EntityPublisher()


def publishing() -> bool:
    # While the demo city is seeded its broker is not up yet and nobody is subscribed.
    return conf.publish_entities() and not building_demo.get()


def on_observations_created(event: ObservationsCreated) -> None:
    if publishing() and event.ids:
        publisher.put("observations", list(event.ids))


def on_entity_changed(event: EntityChanged) -> None:
    if publishing():
        publisher.put("entity", (event.entity_type, event.id, event.change))
