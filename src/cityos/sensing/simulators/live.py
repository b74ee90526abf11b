"""The live demo city: every simulated device reports what it has read since it last reported.

Simulated devices are the Things whose properties carry a "simulation" profile (the demo
makes them). A tick asks each device model for its readings between the newest stored one and
now, and publishes them over MQTT as a device would, to `v1.1/Datastreams(<id>)/Observations`
on the platform's broker. When no broker answers, the tick stores the readings itself (and
says so once in the log), so the demo stays live without one.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from cityos.sensing import services
from cityos.sensing.models import Datastream, Thing
from cityos.sensing.simulators.devices import KINDS, Profile, Reading, readings
from cityos.sensing.sta.schema import format_time

logger = logging.getLogger(__name__)

# After a pause (server stopped, laptop asleep) devices send at most this much backlog:
# like real devices with a small buffer, the rest is a gap.
MAX_CATCH_UP = timedelta(hours=1)
ACK_TIMEOUT = 20.0  # seconds to wait for the broker to acknowledge a tick's messages

# Where each datastream was last published to, in this process: the broker and the ingest
# worker may not have stored the newest readings yet when the next tick comes.
_published: dict[int, datetime] = {}
_lock = threading.Lock()
# One round at a time per process: a slow round (a broker slow to acknowledge) must not
# overlap the next, which would send the same readings again.
_round = threading.Lock()
_fallback_logged = False


@dataclass
class Stream:
    datastream_id: int
    name: str
    last_time: datetime | None


@dataclass
class LiveDevice:
    thing_id: int
    profile: Profile
    streams: list[Stream] = field(default_factory=list)


@dataclass
class TickReport:
    mode: str  # "mqtt", "direct", "idle" or "busy" (another round is still running)
    readings: int
    devices: int
    seconds: float
    error: str = ""


def load_devices(kinds: Iterable[str] | None = None) -> list[LiveDevice]:
    """Every simulated device with its datastreams and the time of each one's newest observation."""
    wanted = set(kinds or KINDS)
    devices: dict[int, LiveDevice] = {}
    for pk, properties in Thing.objects.filter(properties__has_key="simulation").values_list("pk", "properties"):
        if not isinstance(properties, dict) or properties.get("kind") not in wanted:
            continue
        kind = str(properties["kind"])
        try:
            devices[pk] = LiveDevice(pk, Profile.from_json(kind, properties["simulation"]))
        except (KeyError, TypeError, ValueError):
            logger.warning("simulated thing %s has an unreadable profile; skipped", pk)
    rows = (
        Datastream.objects.filter(thing_id__in=Thing.objects.filter(properties__has_key="simulation").values("pk"))
        .order_by("pk")
        .values_list("pk", "thing_id", "observed_property__name", "last_phenomenon_time", "phenomenon_time_end")
    )
    for pk, thing_id, name, last, end in rows:
        device = devices.get(thing_id)
        if device is None or name not in device.profile.streams:
            continue
        newest = max((t for t in (last, end) if t is not None), default=None)
        device.streams.append(Stream(pk, name, newest))
    return list(devices.values())


def due_readings(devices: list[LiveDevice], now: datetime) -> Iterator[tuple[int, Reading]]:
    """(datastream id, reading) for everything reported since each stream's newest observation."""
    floor = now - MAX_CATCH_UP
    with _lock:
        published = dict(_published)
    for device in devices:
        for stream in device.streams:
            after = max(t for t in (stream.last_time, published.get(stream.datastream_id), floor) if t is not None)
            for reading in readings(device.profile, stream.name, after, now):
                yield stream.datastream_id, reading


def observation_body(reading: Reading) -> dict[str, Any]:
    body: dict[str, Any] = {"result": reading.result, "phenomenonTime": format_time(reading.time)}
    if reading.parameters:
        body["parameters"] = reading.parameters
    return body


def remember(items: list[tuple[int, Reading]]) -> None:
    with _lock:
        for datastream_id, reading in items:
            if reading.time > _published.get(datastream_id, reading.time - timedelta(seconds=1)):
                _published[datastream_id] = reading.time


def forget() -> None:
    """Clears what this process remembers publishing (tests; a fresh demo database)."""
    with _lock:
        _published.clear()


def store(items: list[tuple[int, Reading]]) -> int:
    """Writes readings straight to the database, as the platform itself."""
    batch = [
        services.NewObservation(
            datastream_id=datastream_id,
            phenomenon_time=(reading.time, None),
            result=reading.result,
            parameters=reading.parameters,
        )
        for datastream_id, reading in items
    ]
    outcomes = services.create_observations(batch, user=None, system=True) if batch else []
    return sum(1 for outcome in outcomes if isinstance(outcome, int))


def client_id() -> str:
    return f"cityos-simulator-{os.getpid()}-{secrets.token_hex(3)}"


def publish(items: list[tuple[int, Reading]], *, url: str | None = None, timeout: float = ACK_TIMEOUT) -> int:
    """Publishes readings at QoS 1 and waits for the broker's acknowledgements; returns how many."""
    from cityos.sensing.ingest.client import platform_client, publish_observation

    client = platform_client(client_id(), url=url)
    try:
        infos = [publish_observation(client, pk, observation_body(reading)) for pk, reading in items]
        deadline = time.monotonic() + timeout
        acked = 0
        for info in infos:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            acked += info.is_published()
        return acked
    finally:
        client.disconnect()
        client.loop_stop()


def tick(
    now: datetime | None = None, *, url: str | None = None, direct: bool = False, kinds: Iterable[str] | None = None
) -> TickReport:
    """One round of the live simulation: publish (or store) every device's due readings."""
    if not _round.acquire(blocking=False):
        return TickReport("busy", 0, 0, 0.0)
    try:
        return _tick(now, url=url, direct=direct, kinds=kinds)
    finally:
        _round.release()


def _tick(now: datetime | None, *, url: str | None, direct: bool, kinds: Iterable[str] | None) -> TickReport:
    global _fallback_logged
    started = time.monotonic()
    now = now or timezone.now()
    devices = load_devices(kinds)
    items = list(due_readings(devices, now))
    if not items:
        return TickReport("idle", 0, len(devices), time.monotonic() - started)
    if not direct:
        try:
            sent = publish(items, url=url)
        except (OSError, ConnectionError) as error:
            if not _fallback_logged:
                logger.warning("demo devices: no MQTT broker (%s); storing their readings directly", error)
                _fallback_logged = True
            reason = str(error)
        else:
            remember(items)
            return TickReport("mqtt", sent, len(devices), time.monotonic() - started)
    else:
        reason = ""
    stored = store(items)
    remember(items)
    return TickReport("direct", stored, len(devices), time.monotonic() - started, reason)
