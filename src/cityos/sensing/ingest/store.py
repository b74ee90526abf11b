"""Decoding and storing MQTT messages: one transaction per batch, idempotent, bad ones dead-lettered.

The worker (and a replay) hands :func:`store_batch` raw messages. Each message's fingerprint
is claimed in the IngestReceipt table in the same transaction as its observations, so a
message the broker delivers again (QoS 1 is at-least-once) is acknowledged but not stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.db import connections, transaction
from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.sensing import services
from cityos.sensing.models import Datastream, DeadLetter, IngestReceipt
from cityos.sensing.sta import dataarray
from cityos.sensing.sta.errors import StaError

DATASTREAM_TOPIC = re.compile(r"^v1\.1/Datastreams\((\d+)\)/Observations$")
CREATE_OBSERVATIONS_TOPIC = "v1.1/CreateObservations"
# What the platform publishes itself carries a self link (devices never send one; "@iot.id"
# alone is no sign, as dataArray bodies name their Datastream with it); a worker sees them back.
SERVER_MARKER = b'"@iot.selfLink"'


@dataclass(frozen=True)
class Message:
    """One MQTT message as received."""

    topic: str
    payload: bytes

    @property
    def key(self) -> int:
        return fingerprint(self.topic, self.payload)


@dataclass
class Item:
    """One observation decoded from a message, with what it came from, to dead-letter it alone.

    ``source`` is the message's bytes, a JSON member of a gateway's list, or a (group, row) pair
    of a dataArray; it is turned into JSON only when the item is refused (batches are large).
    """

    observation: services.NewObservation
    topic: str
    source: Any

    @property
    def payload(self) -> bytes:
        if isinstance(self.source, bytes):
            return self.source
        if isinstance(self.source, tuple):
            return _row_json(*self.source)
        return orjson.dumps(self.source)


def _row_json(group: dict[str, Any], row: Any) -> bytes:
    """A CreateObservations body holding one row of ``group``."""
    return orjson.dumps({**{k: v for k, v in group.items() if k != "dataArray"}, "dataArray": [row]})


@dataclass
class Decoded:
    items: list[Item] = field(default_factory=list)
    # (topic, payload, reason) of what cannot be stored.
    rejected: list[tuple[str, bytes, str]] = field(default_factory=list)
    ignored: bool = False


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    ignored: int = 0
    observation_ids: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def fingerprint(topic: str, payload: bytes) -> int:
    """A signed 64-bit digest of topic and payload (the IngestReceipt key)."""
    digest = hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_server_echo(payload: bytes) -> bool:
    return SERVER_MARKER in payload[:400]


# The usual device message: decoded without the general path's checks per member (same result).
FAST_KEYS = frozenset({"result", "phenomenonTime", "parameters"})


def _observation(member: Any, datastream_id: int) -> services.NewObservation:
    if type(member) is dict and "result" in member and member.keys() <= FAST_KEYS:
        text = member.get("phenomenonTime")
        parameters = member.get("parameters")
        if type(text) is str and "/" not in text and (parameters is None or type(parameters) is dict):
            try:
                when = datetime.fromisoformat(text)
            except ValueError:
                pass  # the general path says what is wrong
            else:
                if when.tzinfo is not None:
                    return services.NewObservation(datastream_id, (when, None), member["result"], parameters=parameters)
    if not isinstance(member, dict):
        raise StaError('An Observation must be a JSON object such as {"result": 21.5}.')
    foi = member.get("FeatureOfInterest")
    foi_id = None
    if foi is not None:
        foi_id = foi.get("@iot.id") if isinstance(foi, dict) else None
        if isinstance(foi_id, bool) or not isinstance(foi_id, int):
            raise StaError('FeatureOfInterest must be {"@iot.id": <number>}.')
    data = {k: v for k, v in member.items() if k not in ("FeatureOfInterest", "Datastream")}
    datastream = member.get("Datastream")
    if datastream is not None and (not isinstance(datastream, dict) or datastream.get("@iot.id") != datastream_id):
        raise StaError(f"The Observation names another Datastream than the topic's Datastream({datastream_id}).")
    return services.observation_from_json(data, datastream_id, foi_id)


def decode(message: Message) -> Decoded:
    """Observations in ``message``, or why it (or each bad part of it) cannot be stored."""
    out = Decoded()
    if is_server_echo(message.payload):
        out.ignored = True
        return out
    match = DATASTREAM_TOPIC.match(message.topic)
    if match is None and message.topic != CREATE_OBSERVATIONS_TOPIC:
        out.rejected.append(
            (
                message.topic,
                message.payload,
                f"Topic {message.topic!r} takes no observations; publish to v1.1/Datastreams(<id>)/Observations "
                f"or {CREATE_OBSERVATIONS_TOPIC}.",
            )
        )
        return out
    try:
        body = orjson.loads(message.payload)
    except orjson.JSONDecodeError as error:
        out.rejected.append((message.topic, message.payload, f"The message is not valid JSON: {error}."))
        return out
    if match is not None:
        datastream_id = int(match.group(1))
        if isinstance(body, list):  # a gateway's batch: a JSON list of Observations
            for member in body:
                try:
                    out.items.append(Item(_observation(member, datastream_id), message.topic, member))
                except StaError as error:
                    out.rejected.append((message.topic, orjson.dumps(member), error.message))
            return out
        try:
            out.items.append(Item(_observation(body, datastream_id), message.topic, message.payload))
        except StaError as error:
            out.rejected.append((message.topic, message.payload, error.message))
        return out
    _decode_data_array(body, message, out)
    return out


def _decode_data_array(body: Any, message: Message, out: Decoded) -> None:
    try:
        rows = iter(dataarray.decode(body))
    except StaError as error:
        out.rejected.append((message.topic, message.payload, error.message))
        return
    # dataarray.decode yields one entry per row, group by group: pair them to dead-letter rows alone.
    for group in body:
        for row in group["dataArray"]:
            decoded = next(rows)
            if isinstance(decoded, StaError):
                out.rejected.append((message.topic, _row_json(group, row), decoded.message))
            else:
                out.items.append(Item(decoded, message.topic, (group, row)))


# --- receipts ------------------------------------------------------------------------------
def claim(keys: Sequence[int], now: datetime) -> set[int]:
    """Inserts the fingerprints not yet seen; returns those this transaction claimed."""
    if not keys:
        return set()
    table = IngestReceipt._meta.db_table
    connection = connections[IngestReceipt.objects.db]
    claimed: set[int] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (key, received_at) SELECT k, %s FROM unnest(%s::bigint[]) AS k "  # noqa: S608
                "ON CONFLICT DO NOTHING RETURNING key",
                [now, list(keys)],
            )
            return {key for (key,) in cursor.fetchall()}
        stamp = connection.ops.adapt_datetimefield_value(now)
        for start in range(0, len(keys), 4000):
            chunk = keys[start : start + 4000]
            cursor.execute(
                f"INSERT INTO {table} (key, received_at) VALUES {', '.join(['(%s, %s)'] * len(chunk))} "  # noqa: S608
                "ON CONFLICT DO NOTHING RETURNING key",
                [value for key in chunk for value in (key, stamp)],
            )
            claimed.update(key for (key,) in cursor.fetchall())
    return claimed


def prune_receipts(now: datetime | None = None, hours: float | None = None) -> int:
    """Deletes fingerprints older than the horizon; returns how many."""
    from cityos.sensing.ingest import conf

    horizon = (now or timezone.now()) - timedelta(hours=conf.receipt_hours() if hours is None else hours)
    deleted, _ = IngestReceipt.objects.filter(received_at__lt=horizon).delete()
    return deleted


# --- storing -------------------------------------------------------------------------------
_known_datastreams: set[int] = set()


def _existing_datastreams(ids: set[int]) -> set[int]:
    missing = ids - _known_datastreams
    if missing:
        _known_datastreams.update(Datastream.objects.filter(pk__in=missing).values_list("pk", flat=True))
    return ids & _known_datastreams


def _store_items(
    items: list[Item], rejected: list[tuple[str, bytes, str]], *, user: User | None, outcome: BatchOutcome
) -> None:
    """Stores ``items`` (inside the caller's transaction); the refused ones join ``rejected``."""
    known = _existing_datastreams({item.observation.datastream_id for item in items})
    storable: list[Item] = []
    for item in items:
        if item.observation.datastream_id in known:
            storable.append(item)
        else:
            reason = f"There is no Datastream with @iot.id {item.observation.datastream_id}."
            rejected.append((item.topic, item.payload, reason))
    if not storable:
        return
    try:
        with transaction.atomic():
            results = services.create_observations(
                [item.observation for item in storable], user=user, system=user is None
            )
    except StaError as error:
        # A datastream deleted since it was cached, or a user who may not write: refused whole.
        _known_datastreams.clear()
        rejected.extend((item.topic, item.payload, error.message) for item in storable)
        return
    for item, result in zip(storable, results, strict=True):
        if isinstance(result, StaError):
            rejected.append((item.topic, item.payload, result.message))
        else:
            outcome.observation_ids.append(result)
    outcome.stored += len(outcome.observation_ids)


def _dead_letters(rejected: Iterable[tuple[str, bytes, str]], now: datetime) -> list[DeadLetter]:
    return [
        DeadLetter(
            source=DeadLetter.Source.MQTT,
            topic=topic[:500],
            payload=payload.decode("utf-8", errors="replace"),
            reason=reason,
            received_at=now,
        )
        for topic, payload, reason in rejected
    ]


def store_batch(messages: Sequence[Message]) -> BatchOutcome:
    """Stores a batch of messages in one transaction; safe to call again with the same messages."""
    outcome = BatchOutcome()
    now = timezone.now()
    keyed: dict[int, Message] = {}
    for message in messages:
        key = message.key
        if key in keyed:
            outcome.duplicates += 1
        else:
            keyed[key] = message
    decoded = {key: decode(message) for key, message in keyed.items()}
    with transaction.atomic():
        claimed = claim(list(keyed), now)
        outcome.duplicates += len(keyed) - len(claimed)
        items: list[Item] = []
        rejected: list[tuple[str, bytes, str]] = []
        for key in claimed:
            result = decoded[key]
            if result.ignored:
                outcome.ignored += 1
            items.extend(result.items)
            rejected.extend(result.rejected)
        _store_items(items, rejected, user=None, outcome=outcome)
        if rejected:
            DeadLetter.objects.bulk_create(_dead_letters(rejected, now))
            outcome.dead_letters = len(rejected)
            outcome.reasons = [reason for _t, _p, reason in rejected]
    return outcome


def replay(dead_letter: DeadLetter, *, by: User) -> DeadLetter:
    """Runs a dead letter through the decode/store path again, as ``by``; records the outcome.

    A replay that fails again keeps the letter (with the new reason as outcome) instead of
    adding another one.
    """
    message = Message(dead_letter.topic, dead_letter.payload.encode())
    result = decode(message)
    outcome = BatchOutcome()
    with transaction.atomic():
        rejected = list(result.rejected)
        if result.ignored:
            rejected.append((message.topic, message.payload, "The message is an entity the server published."))
        if not rejected:
            _store_items(result.items, rejected, user=by, outcome=outcome)
        dead_letter.replayed_at = timezone.now()
        dead_letter.replayed_by = by
        if rejected:
            if outcome.observation_ids:  # partly stored: undo, so a later replay stores it whole
                transaction.set_rollback(True)
            dead_letter.replay_outcome = "; ".join(dict.fromkeys(reason for _t, _p, reason in rejected))
        else:
            dead_letter.replay_outcome = f"Stored {outcome.stored} observation(s): " + ", ".join(
                str(pk) for pk in outcome.observation_ids[:20]
            )
    DeadLetter.objects.filter(pk=dead_letter.pk).update(
        replayed_at=dead_letter.replayed_at, replayed_by=by, replay_outcome=dead_letter.replay_outcome
    )
    return dead_letter
