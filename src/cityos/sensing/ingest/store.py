"""Decoding and storing MQTT messages: one transaction per batch, idempotent, bad ones dead-lettered.

The worker (and a replay) hands :func:`store_batch` raw messages. Each message's fingerprint
is claimed in the IngestReceipt table in the same transaction as its observations, so a
message the broker delivers again (QoS 1 is at-least-once) is acknowledged but not stored.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import orjson
import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, ProgrammingError, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


logger = logging.getLogger(__name__)


class Message(NamedTuple):
    """One MQTT message as received (a tuple: a worker makes thousands a second)."""

    topic: str
    payload: bytes

    @property
    def key(self) -> int:
        return fingerprint(self.topic, self.payload)


def _row_json(group: dict[str, Any], row: Any) -> bytes:
    """A CreateObservations body holding one row of ``group``."""
    return orjson.dumps({**{k: v for k, v in group.items() if k != "dataArray"}, "dataArray": [row]})


def _source_payload(source: Any) -> bytes:
    """What an observation came from, as message bytes: the message itself, a JSON member of a
    gateway's list, or a (group, row) pair of a dataArray; built only when it is refused."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, tuple):
        return _row_json(*source)
    return orjson.dumps(source)


@dataclass
class Decoded:
    """One message's observations, each with its source (parallel lists: a batch holds tens of
    thousands, so no object per observation), and what cannot be stored."""

    topic: str = ""
    observations: list[services.NewObservation] = field(default_factory=list)
    sources: list[Any] = field(default_factory=list)
    # (topic, payload, reason) of what cannot be stored.
    rejected: list[tuple[str, bytes, str]] = field(default_factory=list)
    ignored: bool = False


class Pending:
    """The observations of several decoded messages in one list, and where each came from."""

    def __init__(self, messages: Iterable[Decoded] = ()) -> None:
        self.observations: list[services.NewObservation] = []
        self._starts: list[int] = []
        self._messages: list[Decoded] = []
        for decoded in messages:
            self.add(decoded)

    def add(self, decoded: Decoded) -> None:
        if decoded.observations:
            self._starts.append(len(self.observations))
            self._messages.append(decoded)
            self.observations.extend(decoded.observations)

    def origin(self, index: int) -> tuple[str, bytes]:
        """The topic and payload the ``index``-th observation came from."""
        position = bisect.bisect_right(self._starts, index) - 1
        decoded = self._messages[position]
        return decoded.topic, _source_payload(decoded.sources[index - self._starts[position]])


@dataclass
class BatchOutcome:
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    ignored: int = 0
    observation_ids: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, other: BatchOutcome) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.dead_letters += other.dead_letters
        self.ignored += other.ignored
        self.observation_ids += other.observation_ids
        self.reasons += other.reasons


# The database is away or not as the code expects (a deploy half done), not refusing this data:
# the caller keeps the batch and tries again rather than turning a stream into dead letters.
RETRY_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ProgrammingError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg.ProgrammingError,
)
# SQLSTATEs raised as operational errors that this data causes, and that would come back on
# every retry: a program limit (54xxx: an index row, a statement or an array too big) and a
# statement cut off by statement_timeout (57014: a batch too slow as a whole).
DATA_SQLSTATE_CLASSES = ("54",)
DATA_SQLSTATES = ("57014",)
# SQLite names its limits only in the message.
DATA_SQLITE_MESSAGES = ("too many sql variables", "string or blob too big", "too many terms")


def is_transient(error: BaseException) -> bool:
    """Whether storing may succeed if tried again unchanged: the database is away or not as the
    code expects (a deploy half done). False for everything else, including the operational
    errors that the data itself causes, which must go the dead-letter way instead of holding
    up the stream for ever."""
    if not isinstance(error, RETRY_ERRORS):
        return False
    driver_error = error.__cause__ if isinstance(error.__cause__, psycopg.Error) else error
    sqlstate = getattr(driver_error, "sqlstate", None) or ""
    if sqlstate[:2] in DATA_SQLSTATE_CLASSES or sqlstate in DATA_SQLSTATES:
        return False
    message = str(error).lower()
    return not any(limit in message for limit in DATA_SQLITE_MESSAGES)


def fingerprint(topic: str, payload: bytes) -> int:
    """A signed 64-bit digest of topic and payload (the IngestReceipt key)."""
    digest = hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def is_server_echo(payload: bytes) -> bool:
    return SERVER_MARKER in payload[:400]


_MISSING = object()


def _decode_members(members: list[Any], datastream_id: int, out: Decoded, whole: bytes | None = None) -> None:
    """Observations for one datastream: a gateway's list, or one device message (``whole``).

    The usual member, {"result", "phenomenonTime"[, "parameters"]} with a zoned time, is read
    inline, as this runs once per observation at ingest rates; anything else takes the general
    path, which gives the same result or says what is wrong.
    """
    observations, sources, rejected = out.observations, out.sources, out.rejected
    new_observation = services.NewObservation
    parse = datetime.fromisoformat
    first_year, last_year = services.FIRST_YEAR, services.LAST_YEAR
    for member in members:
        source = member if whole is None else whole
        if type(member) is dict and 2 <= len(member) <= 3:
            text = member.get("phenomenonTime")
            result = member.get("result", _MISSING)
            parameters = member.get("parameters")
            if (
                type(text) is str
                and result is not _MISSING
                and (len(member) == 2 or type(parameters) is dict)
                and "/" not in text
            ):
                try:
                    when = parse(text)
                except ValueError:
                    when = None  # the general path says what is wrong
                if when is not None and when.tzinfo is not None and first_year <= when.year <= last_year:
                    observations.append(new_observation(datastream_id, (when, None), result, parameters=parameters))
                    sources.append(source)
                    continue
        try:
            observations.append(_observation(member, datastream_id))
        except StaError as error:
            rejected.append((out.topic, orjson.dumps(member) if whole is None else whole, error.message))
        else:
            sources.append(source)


def _observation(member: Any, datastream_id: int) -> services.NewObservation:
    """Any Observation JSON a device may send on its datastream's topic, checked member by member."""
    if not isinstance(member, dict):
        raise StaError(_("An Observation must be a JSON object such as %(example)s.") % {"example": '{"result": 21.5}'})
    foi = member.get("FeatureOfInterest")
    foi_id = None
    if foi is not None:
        foi_id = foi.get("@iot.id") if isinstance(foi, dict) else None
        if isinstance(foi_id, bool) or not isinstance(foi_id, int):
            raise StaError(_("FeatureOfInterest must be %(reference)s.") % {"reference": '{"@iot.id": <number>}'})
    data = {k: v for k, v in member.items() if k not in ("FeatureOfInterest", "Datastream")}
    datastream = member.get("Datastream")
    if datastream is not None and (not isinstance(datastream, dict) or datastream.get("@iot.id") != datastream_id):
        raise StaError(
            _("The Observation names another Datastream than the topic's Datastream(%(id)s).") % {"id": datastream_id}
        )
    return services.observation_from_json(data, datastream_id, foi_id)


@functools.lru_cache(maxsize=65_536)
def _topic_datastream(topic: str) -> int | None:
    """The datastream a topic publishes to (None: not an observation topic); devices publish to
    the same few topics over and over."""
    match = DATASTREAM_TOPIC.match(topic)
    return None if match is None else int(match.group(1))


def decode(message: Message) -> Decoded:
    """Observations in ``message``, or why it (or each bad part of it) cannot be stored."""
    out = Decoded(message.topic)
    if is_server_echo(message.payload):
        out.ignored = True
        return out
    datastream_id = _topic_datastream(message.topic)
    if datastream_id is None and message.topic != CREATE_OBSERVATIONS_TOPIC:
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
        services.refuse_nul(message.payload, body)
    except orjson.JSONDecodeError as error:
        out.rejected.append((message.topic, message.payload, f"The message is not valid JSON: {error}."))
        return out
    except StaError as error:
        out.rejected.append((message.topic, message.payload, error.message))
        return out
    if datastream_id is not None:
        if isinstance(body, list):  # a gateway's batch: a JSON list of Observations
            _decode_members(body, datastream_id, out)
        else:
            _decode_members([body], datastream_id, out, whole=message.payload)
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
                out.observations.append(decoded)
                out.sources.append((group, row))


# --- receipts ------------------------------------------------------------------------------
def receipt_minute(decoded: Decoded) -> int:
    """The minute (since 1970) of the message's own time, which leads its receipt's key: the
    first observation's phenomenonTime, else 0. The same message always gives the same minute."""
    for observation in decoded.observations[:1]:
        if observation.phenomenon_time is not None:
            minute = int(observation.phenomenon_time[0].timestamp() // 60)
            return max(-(2**31), min(2**31 - 1, minute))
    return 0


def claim(keys: Sequence[tuple[int, int]], now: datetime) -> set[int]:
    """Inserts the (minute, digest) receipts not yet there; returns the digests this transaction
    claimed. Digests are unique within a batch (store_batch merges repeats first)."""
    if not keys:
        return set()
    table = IngestReceipt._meta.db_table
    connection = connections[IngestReceipt.objects.db]
    ordered = sorted(keys)  # neighbours in the index, and one lock order for concurrent workers
    claimed: set[int] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (minute, key, received_at) "  # noqa: S608
                "SELECT m, k, %s FROM unnest(%s::integer[], %s::bigint[]) AS r(m, k) "
                "ON CONFLICT DO NOTHING RETURNING key",
                [now, [minute for minute, _ in ordered], [key for _, key in ordered]],
            )
            return {key for (key,) in cursor.fetchall()}
        stamp = connection.ops.adapt_datetimefield_value(now)
        for start in range(0, len(ordered), 3000):
            chunk = ordered[start : start + 3000]
            cursor.execute(
                f"INSERT INTO {table} (minute, key, received_at) VALUES "  # noqa: S608
                f"{', '.join(['(%s, %s, %s)'] * len(chunk))} ON CONFLICT DO NOTHING RETURNING key",
                [value for minute, key in chunk for value in (minute, key, stamp)],
            )
            claimed.update(key for (key,) in cursor.fetchall())
    return claimed


def prune_receipts(now: datetime | None = None, hours: float | None = None) -> int:
    """Deletes fingerprints older than the horizon; returns how many."""
    from cityos.sensing.ingest import conf

    horizon = (now or timezone.now()) - timedelta(hours=conf.receipt_hours() if hours is None else hours)
    deleted, _detail = IngestReceipt.objects.filter(received_at__lt=horizon).delete()
    return deleted


# --- storing -------------------------------------------------------------------------------
_known_datastreams: set[int] = set()


def _existing_datastreams(ids: set[int]) -> set[int]:
    missing = ids - _known_datastreams
    if missing:
        _known_datastreams.update(Datastream.objects.filter(pk__in=missing).values_list("pk", flat=True))
    return ids & _known_datastreams


def _store_pending(
    pending: Pending, rejected: list[tuple[str, bytes, str]], *, user: User | None, outcome: BatchOutcome
) -> None:
    """Stores ``pending`` (inside the caller's transaction); the refused ones join ``rejected``."""
    observations = pending.observations
    if not observations:
        return
    known = _existing_datastreams({observation.datastream_id for observation in observations})
    positions: list[int] | None = None  # of the storable observations in ``observations``; None: all
    if len(known) < len({observation.datastream_id for observation in observations}):
        positions = []
        for index, observation in enumerate(observations):
            if observation.datastream_id in known:
                positions.append(index)
            else:
                reason = f"There is no Datastream with @iot.id {observation.datastream_id}."
                rejected.append((*pending.origin(index), reason))
        observations = [observations[index] for index in positions]
        if not observations:
            return
    try:
        with transaction.atomic():
            results = services.create_observations(observations, user=user, system=user is None)
    except StaError as error:
        # A datastream deleted since it was cached, or a user who may not write: refused whole.
        _known_datastreams.clear()
        for index in range(len(observations)) if positions is None else positions:
            rejected.append((*pending.origin(index), error.message))
        return
    stored = outcome.observation_ids
    for index, result in enumerate(results):
        if isinstance(result, StaError):
            rejected.append((*pending.origin(index if positions is None else positions[index]), result.message))
        else:
            stored.append(result)
    outcome.stored = len(stored)


# A dataArray group's reference, found in any body, even one that is not valid JSON.
NAMED_DATASTREAM = re.compile(rb'"Datastream"\s*:\s*\{\s*"@iot\.id"\s*:\s*(\d{1,18})\b')


def named_datastreams(topic: str, payload: bytes) -> list[int]:
    """The datastreams a message is for: its topic's, else those its dataArray groups name."""
    datastream_id = _topic_datastream(topic)
    if datastream_id is not None:
        return [datastream_id]
    named = {int(pk) for pk in NAMED_DATASTREAM.findall(payload)}
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        body = None
    for group in body if isinstance(body, list) else []:
        reference = group.get("Datastream") if isinstance(group, dict) else None
        pk = reference.get("@iot.id") if isinstance(reference, dict) else None
        if type(pk) is int and 0 < pk < 2**63:
            named.add(pk)
    return sorted(named)


def letter_datastream(topic: str, payload: bytes) -> int | None:
    """The datastream a dead letter is filed under (DeadLetter.datastream_id): of several, a
    private Thing's, so that the letter is shown only to whom that one is."""
    named = named_datastreams(topic, payload)
    if len(named) > 1:
        private = Datastream.objects.filter(pk__in=named, thing__private=True).order_by("pk")
        return private.values_list("pk", flat=True).first() or named[0]
    return named[0] if named else None


def _dead_letters(rejected: Iterable[tuple[str, bytes, str]], now: datetime) -> list[DeadLetter]:
    return [
        DeadLetter(
            source=DeadLetter.Source.MQTT,
            topic=topic[:500],
            payload=payload.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
            reason=reason,
            received_at=now,
            datastream_id=letter_datastream(topic, payload),
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
        claimed = claim([(receipt_minute(decoded[key]), key) for key in keyed], now)
        outcome.duplicates += len(keyed) - len(claimed)
        pending = Pending()
        rejected: list[tuple[str, bytes, str]] = []
        for key in claimed:
            result = decoded[key]
            if result.ignored:
                outcome.ignored += 1
            pending.add(result)
            rejected.extend(result.rejected)
        _store_pending(pending, rejected, user=None, outcome=outcome)
        if rejected:
            DeadLetter.objects.bulk_create(_dead_letters(rejected, now))
            outcome.dead_letters = len(rejected)
            outcome.reasons = [reason for _t, _p, reason in rejected]
    return outcome


def store_each(messages: Sequence[Message]) -> BatchOutcome:
    """Stores ``messages`` one at a time, after their batch failed on something the checks let
    through: a message that fails alone becomes a dead letter naming the error, and the others
    are kept, so one bad message never holds up a device's stream. A lost database is raised
    (:func:`is_transient`)."""
    total = BatchOutcome()
    for message in messages:
        try:
            total.add(store_batch([message]))
        except Exception as error:
            if is_transient(error):
                raise
            logger.exception("ingest: a message on %s could not be stored; kept as a dead letter", message.topic)
            reason = f"The message could not be stored ({type(error).__name__}); the server logged the details."
            now = timezone.now()
            with transaction.atomic():
                # Its receipt (minute 0: it may not even decode), so a redelivery is a duplicate,
                # not a second dead letter.
                if claim([(0, message.key)], now):
                    DeadLetter.objects.bulk_create(_dead_letters([(message.topic, message.payload, reason)], now))
                    total.dead_letters += 1
                    total.reasons.append(reason)
                else:
                    total.duplicates += 1
    return total


def replay(dead_letter: DeadLetter, *, by: User) -> DeadLetter:
    """Runs a dead letter through the decode/store path again, as ``by``; records the outcome.

    A replay that fails again keeps the letter (with the new reason as outcome) instead of
    adding another one.
    """
    message = Message(dead_letter.topic, dead_letter.payload.encode())
    # The reasons are stored, as the worker stores them: in the site's language, not the replayer's.
    with translation.override(settings.LANGUAGE_CODE):
        result = decode(message)
        outcome = BatchOutcome()
        with transaction.atomic():
            rejected = list(result.rejected)
            if result.ignored:
                rejected.append((message.topic, message.payload, "The message is an entity the server published."))
            if not rejected:
                _store_pending(Pending([result]), rejected, user=by, outcome=outcome)
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
