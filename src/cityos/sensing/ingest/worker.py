"""The ingest worker: a persistent MQTT session, batches stored in one transaction, acks after commit.

Messages arrive on paho's network thread and wait in a queue; the worker thread takes up to
CITYOS_INGEST_BATCH_SIZE of them (or what came within CITYOS_INGEST_BATCH_MS), stores them
with :func:`store.store_batch`, and only after the commit acknowledges them. A worker killed
at any point leaves its unacknowledged messages with the broker, which sends them again to
the restarted worker (same client id, persistent session); their fingerprints make the
second delivery a no-op for what was already committed.
"""

from __future__ import annotations

import gc
import logging
import ssl
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from django.db import DatabaseError, close_old_connections, connections
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from cityos.sensing import conf as sensing_conf
from cityos.sensing.ingest import client as mqtt_client
from cityos.sensing.ingest import conf
from cityos.sensing.ingest.store import (
    CREATE_OBSERVATIONS_TOPIC,
    BatchOutcome,
    Message,
    is_transient,
    prune_receipts,
    store_batch,
    store_each,
)

logger = logging.getLogger(__name__)

# Observations arrive on v1.1/Datastreams(<id>)/Observations; wildcards cannot sit inside
# "Datastreams(...)", so the worker takes the level with "+" and checks the rest itself.
TOPICS = ("v1.1/+/Observations", CREATE_OBSERVATIONS_TOPIC)
# A batch of large gateway messages holds tens of thousands of observations: bound its memory.
BATCH_BYTES = 4 * 1024 * 1024
RETRY_SECONDS = 2.0  # while the database is away
# paho reads a packet with three or more recv() calls and one select() each; the worker reads
# the socket in chunks of this size and hands paho the packets from memory.
READ_CHUNK = 256 * 1024
PUBACK = struct.Struct("!BBH")


class BufferedClient(mqtt.Client):
    """A paho client that reads its socket in large chunks (one syscall for many messages)."""

    _rbuf: bytes = b""
    _rpos: int = 0
    _rsock: Any = None
    _recv_buffer: bytearray | None = None
    # Called with (topic, payload, mid, qos) for each QoS 0/1 PUBLISH instead of on_message.
    fast_message: Any = None
    # Messages received and not yet stored, and how many of them make the reader wait.
    backlog: Any = None
    backlog_limit: int = 10_000

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        """QoS 0 and 1 messages straight to ``fast_message``: paho's own path builds an
        MQTTMessage, its MQTT 5 properties and a log line, and matches topic filters, which
        costs more than decoding and storing the observation. Anything else takes paho's path."""
        command = self._in_packet["command"]
        qos = (command & 0x06) >> 1
        if self.fast_message is None or qos == 2 or not self._manual_ack:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            end = 2 + ((packet[0] << 8) | packet[1])
            topic = packet[2:end].decode()
            mid = 0
            if qos:
                mid = (packet[end] << 8) | packet[end + 1]
                end += 2
            if self._protocol == mqtt.MQTTv5:  # skip the properties (a variable byte integer, then them)
                length = shift = 0
                while True:
                    byte = packet[end]
                    end += 1
                    length |= (byte & 0x7F) << shift
                    shift += 7
                    if not byte & 0x80:
                        break
                end += length
        except (IndexError, UnicodeDecodeError):
            return super()._handle_publish()  # malformed: paho's own path reports it
        if not topic or end > len(packet):  # a topic alias (the worker allows none), or malformed
            return super()._handle_publish()
        self.fast_message(topic, bytes(packet[end:]), mid, qos)
        return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rsock is not self._sock:  # a new connection: what was buffered is stale
            self._rsock, self._rbuf, self._rpos = self._sock, b"", 0
        if self._rpos >= len(self._rbuf):
            data = self._read_chunk()
            if not data:
                return data
            self._rbuf, self._rpos = data, 0
        start = self._rpos
        self._rpos = end = min(len(self._rbuf), start + bufsize)
        return self._rbuf[start:end]

    def _read_chunk(self) -> bytes:
        """What the socket has, up to READ_CHUNK bytes, read into one buffer kept for the
        client's life. ``recv(READ_CHUNK)`` makes a 256 KiB object per read and shrinks it to
        what arrived, which fragmented the C heap: the worker's memory crept by about 0.35 MiB
        a minute at 2,000 messages a second."""
        recv_into = getattr(self._sock, "recv_into", None)
        if recv_into is None:  # no socket, or a websocket wrapper: paho's own read
            return super()._sock_recv(READ_CHUNK)
        if self._recv_buffer is None:
            self._recv_buffer = bytearray(READ_CHUNK)
        try:
            count = recv_into(self._recv_buffer)
        except ssl.SSLWantReadError as error:
            raise BlockingIOError from error
        except ssl.SSLWantWriteError as error:
            self._call_socket_register_write()
            raise BlockingIOError from error
        return memoryview(self._recv_buffer)[:count].tobytes()

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Handles every packet already read (paho's own handles one per select())."""
        if self.backlog is not None and self.backlog() >= self.backlog_limit:
            # The store is behind: leave the rest with the broker (and TCP) for now, so the
            # worker's memory stays bounded and the reader does not take the GIL from the
            # storing thread. During a long database outage the keepalive lapses and paho
            # reconnects; the unacknowledged messages come again, which receipts make harmless.
            time.sleep(0.002)
            return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
        while True:
            if self._sock is None:
                return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == mqtt.MQTTErrorCode.MQTT_ERR_AGAIN or self._rpos >= len(self._rbuf):
                # Buffer spent: back to select(), which also lets the acknowledgements out.
                return mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_all(self, mids: list[int]) -> None:
        """Acknowledges QoS 1 messages with one queued write instead of one per message."""
        if mids:
            packet = b"".join([PUBACK.pack(0x40, 2, mid) for mid in mids])
            self._packet_queue(0x40, packet, 0, 0)


@dataclass
class Stats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    ignored: int = 0
    batches: int = 0


def store_until_stored(messages: list[Message], stop: threading.Event, worker_id: str) -> BatchOutcome | None:
    """Stores a batch, trying again every 2 s while the database is away (nothing was committed,
    so nothing is lost), and message by message when the data itself was refused. None when
    ``stop`` was set first: the batch stays unacknowledged."""
    while True:
        try:
            return store_batch(messages)
        except Exception as error:
            if is_transient(error):
                logger.exception("ingest worker %s: storing a batch failed; retrying", worker_id)
            else:
                # The database or the code refused something in it: left alone it would come
                # back after every restart and stop the stream.
                logger.exception("ingest worker %s: a batch failed; storing it message by message", worker_id)
                try:
                    return store_each(messages)
                except Exception as each_error:
                    if not is_transient(each_error):
                        raise
                    logger.exception("ingest worker %s: the database went away; retrying", worker_id)
        close_old_connections()
        if stop.wait(RETRY_SECONDS):
            return None


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

    def _make_client(self) -> BufferedClient:
        client_id = f"cityos-ingest-{self.worker_id}"
        _host, _port, username, password, tls = mqtt_client.broker_address(self.url)
        # The embedded broker speaks MQTT 3.1.1; elsewhere MQTT 5 lets the worker ask for a large
        # window of unacknowledged messages (Mosquitto allows 20 to a 3.1.1 client).
        protocol = mqtt.MQTTv311 if self.embedded else mqtt.MQTTv5
        client = BufferedClient(
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
        client.fast_message = self._on_fast_message
        client.backlog = self._queue.__len__
        client.backlog_limit = 2 * self.batch_size
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
        self._on_fast_message(message.topic, bytes(message.payload), message.mid, message.qos)

    def _on_fast_message(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        queue = self._queue
        queue.append((topic, payload, mid, qos))
        if len(queue) == 1 or len(queue) >= self.batch_size:
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
        # What was loaded at start-up (Django, the models, the libraries) lives as long as the
        # process: out of the collector's sight, so its collections stay short (see _process).
        gc.freeze()
        last_prune = 0.0
        try:
            while not self._stop.is_set():
                # Cleared before looking at the queue, so an arrival after the look sets it again;
                # a queue still holding messages (a burst, or a paused reader) is taken at once.
                self._arrived.clear()
                if not self._queue:
                    self._arrived.wait(1.0)
                if not self._queue:
                    if time.monotonic() - last_prune > 600:
                        last_prune = time.monotonic()
                        self._prune()
                    continue
                # Let a batch gather for up to batch_wait even under a steady load: each
                # transaction has a fixed cost (receipts, locks, rollups, the commit), so fewer,
                # larger batches keep up with more messages (p95 publish-to-stored at 10,000/s
                # is about 150 ms with this wait; docs/benchmarks.md).
                deadline = time.monotonic() + self.batch_wait
                while len(self._queue) < self.batch_size and time.monotonic() < deadline:
                    if self._stop.is_set():
                        break
                    time.sleep(0.002)
                self._process(self._take())
        finally:
            self._client.disconnect()
            self._client.loop_stop()
            connections.close_all()  # this thread's: a worker run in a thread leaves none open

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
        # A batch makes several objects per observation, none of them in a reference cycle:
        # left on, the cyclic collector runs every few hundred of them and rescans the batch
        # each time, which took two thirds of the decoding time. Cycles made meanwhile are
        # collected once the batch is done.
        gc.disable()
        try:
            outcome = store_until_stored(messages, self._stop, self.worker_id)
        finally:
            gc.enable()
        if outcome is None:
            return  # stopped while the database was away: unacknowledged, the broker sends it again
        self._client.ack_all([mid for _topic, _payload, mid, qos in batch if qos == 1])
        for _topic, _payload, mid, qos in batch:
            if qos == 2:  # not subscribed at QoS 2, but a broker may still send it
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
