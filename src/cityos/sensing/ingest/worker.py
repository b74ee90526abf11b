"""The ingest worker: a persistent MQTT session, batches stored in one transaction, acks after commit.

Messages arrive on paho's network thread and wait in a queue; the worker thread takes up to
CITYOS_INGEST_BATCH_SIZE of them (or what came within CITYOS_INGEST_BATCH_MS), stores them
with :func:`store.store_batch`, and only after the commit acknowledges them. A worker killed
at any point leaves its unacknowledged messages with the broker, which sends them again to
the restarted worker (same client id, persistent session); their fingerprints make the
second delivery a no-op for what was already committed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from cityos.sensing import conf as sensing_conf
from cityos.sensing.ingest import client as mqtt_client
from cityos.sensing.ingest import conf
from cityos.sensing.ingest.store import CREATE_OBSERVATIONS_TOPIC, Message, prune_receipts, store_batch

logger = logging.getLogger(__name__)

# Observations arrive on v1.1/Datastreams(<id>)/Observations; wildcards cannot sit inside
# "Datastreams(...)", so the worker takes the level with "+" and checks the rest itself.
TOPICS = ("v1.1/+/Observations", CREATE_OBSERVATIONS_TOPIC)
# A batch of large gateway messages holds tens of thousands of observations: bound its memory.
BATCH_BYTES = 4 * 1024 * 1024


@dataclass
class Stats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    ignored: int = 0
    batches: int = 0


class IngestWorker:
    """One ingest consumer; ``run()`` blocks until ``stop()``."""

    def __init__(
        self, worker_id: str, *, url: str | None = None, embedded: bool | None = None, on_batch: Any = None
    ) -> None:
        self.worker_id = worker_id
        self.url = url or sensing_conf.mqtt_url()
        # The embedded broker (amqtt): MQTT 3.1.1, no shared subscriptions, platform credentials.
        self.embedded = (url is None and sensing_conf.mqtt_embedded()) if embedded is None else embedded
        self.batch_size = conf.batch_size()
        self.batch_wait = conf.batch_wait()
        self.share_group = "" if self.embedded else conf.share_group()
        self.stats = Stats()
        self.ready = threading.Event()
        self.on_batch = on_batch
        self._queue: deque[tuple[str, bytes, int, int]] = deque()
        self._arrived = threading.Event()
        self._stop = threading.Event()
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client_id = f"cityos-ingest-{self.worker_id}"
        _host, _port, username, password, tls = mqtt_client.broker_address(self.url)
        # The embedded broker speaks MQTT 3.1.1; elsewhere MQTT 5 lets the worker ask for a large
        # window of unacknowledged messages (Mosquitto allows 20 to a 3.1.1 client).
        protocol = mqtt.MQTTv311 if self.embedded else mqtt.MQTTv5
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=protocol,
            clean_session=False if protocol == mqtt.MQTTv311 else None,
            manual_ack=True,
        )
        if username is None and self.embedded:
            username, password = mqtt_client.PLATFORM_USERNAME, mqtt_client.platform_password()
        if username is not None:
            client.username_pw_set(username, password)
        if tls:
            client.tls_set()
        client.max_inflight_messages_set(1000)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.reconnect_delay_set(1, 10)
        return client

    # --- paho callbacks (network thread) -------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if getattr(reason, "is_failure", False):
            logger.error("ingest worker %s: broker refused the connection: %s", self.worker_id, reason)
            return
        prefix = f"$share/{self.share_group}/" if self.share_group else ""
        if client.protocol == mqtt.MQTTv5:
            client.subscribe([(prefix + topic, SubscribeOptions(qos=1)) for topic in TOPICS])
        else:
            client.subscribe([(prefix + topic, 1) for topic in TOPICS])
        logger.info("ingest worker %s subscribed to %s", self.worker_id, [prefix + t for t in TOPICS])

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _props: Any) -> None:
        if any(getattr(reason, "is_failure", False) for reason in reasons):
            logger.error("ingest worker %s: the broker refused the subscription: %s", self.worker_id, reasons)
            return
        self.ready.set()  # the broker has the subscription: what is published from now on arrives

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.ready.clear()
        if not self._stop.is_set():
            logger.warning("ingest worker %s lost the broker (%s); reconnecting", self.worker_id, reason)

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._queue.append((message.topic, bytes(message.payload), message.mid, message.qos))
        if len(self._queue) == 1 or len(self._queue) >= self.batch_size:
            self._arrived.set()

    # --- the worker thread ----------------------------------------------------------------------
    def connect(self) -> None:
        host, port, *_ = mqtt_client.broker_address(self.url)
        properties = None
        if self._client.protocol == mqtt.MQTTv5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = conf.session_expiry()
            properties.ReceiveMaximum = conf.receive_maximum()
            self._client.connect_async(host, port, keepalive=30, clean_start=False, properties=properties)
        else:
            self._client.connect_async(host, port, keepalive=30)
        # The network thread connects, and reconnects after a broker restart, on its own.
        self._client.loop_start()

    def stop(self) -> None:
        self._stop.set()
        self._arrived.set()

    def run(self) -> None:
        self.connect()
        last_prune = 0.0
        try:
            while not self._stop.is_set():
                self._arrived.wait(1.0)
                if not self._queue:
                    self._arrived.clear()
                    if time.monotonic() - last_prune > 600:
                        last_prune = time.monotonic()
                        self._prune()
                    continue
                deadline = time.monotonic() + self.batch_wait
                while len(self._queue) < self.batch_size and time.monotonic() < deadline:
                    if self._stop.is_set():
                        break
                    time.sleep(0.002)
                self._arrived.clear()
                self._process(self._take())
        finally:
            self._client.disconnect()
            self._client.loop_stop()
            close_old_connections()

    def _take(self) -> list[tuple[str, bytes, int, int]]:
        """Up to batch_size messages, and no more than BATCH_BYTES of payload (gateway batches)."""
        batch = []
        queue = self._queue
        size = 0
        for _ in range(min(self.batch_size, len(queue))):
            message = queue.popleft()
            batch.append(message)
            size += len(message[1])
            if size >= BATCH_BYTES:
                break
        return batch

    def _process(self, batch: list[tuple[str, bytes, int, int]]) -> None:
        messages = [Message(topic, payload) for topic, payload, _mid, _qos in batch]
        while True:
            try:
                outcome = store_batch(messages)
                break
            except DatabaseError:
                # Nothing was committed; keep the batch and try again once the database answers.
                logger.exception("ingest worker %s: storing a batch failed; retrying", self.worker_id)
                close_old_connections()
                if self._stop.wait(2.0):
                    return  # unacknowledged: the broker delivers the batch again
        for _topic, _payload, mid, qos in batch:
            if qos > 0:
                self._client.ack(mid, qos)
        stats = self.stats
        stats.received += len(batch)
        stats.stored += outcome.stored
        stats.duplicates += outcome.duplicates
        stats.dead_letters += outcome.dead_letters
        stats.ignored += outcome.ignored
        stats.batches += 1
        if self.on_batch is not None:
            self.on_batch(outcome)

    def _prune(self) -> None:
        try:
            prune_receipts()
        except DatabaseError:
            logger.exception("pruning ingest receipts failed")
        finally:
            close_old_connections()
