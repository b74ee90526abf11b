"""The rule index: which datastreams have rules, cached per process so ingest pays ~nothing.

Ingest publishes ``ObservationsCreated`` for every batch; the subscriber asks this index which of
the batch's datastreams carry a rule, a dict lookup per datastream. The index is rebuilt when a rule
or a thing/datastream changes (``RulesChanged``/``EntityChanged``, in this process at once and in
others through a version number in the shared cache, checked at most every few seconds) and at
the latest after ``CITYOS_SENSING_RULE_INDEX_TTL`` seconds.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from cityos.sensing.models import AlertRule, Comparison, Datastream
from cityos.sensing.ops import conf

VERSION_KEY = "sensing:ops:rule-index-version"
VERSION_CHECK_SECONDS = 2.0


@dataclass(frozen=True)
class RuleSpec:
    """What evaluation needs of a rule, without touching the database."""

    id: int
    kind: str
    comparison: str
    threshold: float | None
    silence_minutes: int | None
    min_duration_seconds: int


@dataclass
class RuleIndex:
    by_datastream: dict[int, tuple[RuleSpec, ...]] = field(default_factory=dict)
    version: object = None
    built_at: float = 0.0
    checked_at: float = 0.0


_lock = threading.Lock()
_index: RuleIndex | None = None


def compare(value: float, comparison: str, threshold: float) -> bool:
    if comparison == Comparison.ABOVE:
        return value > threshold
    if comparison == Comparison.AT_OR_ABOVE:
        return value >= threshold
    if comparison == Comparison.BELOW:
        return value < threshold
    if comparison == Comparison.AT_OR_BELOW:
        return value <= threshold
    return False


def spec_of(rule: AlertRule) -> RuleSpec:
    return RuleSpec(
        rule.pk,
        rule.kind,
        rule.comparison,
        rule.threshold,
        rule.silence_minutes,
        rule.min_duration_seconds,
    )


def datastreams_of(rule: AlertRule) -> list[int]:
    """The datastreams a rule applies to now (a kind rule matches the property by name, so
    several ObservedProperty rows called "pH" all count)."""
    if rule.datastream_id is not None:
        return [rule.datastream_id]
    if not rule.thing_kind or rule.observed_property is None:
        return []
    return list(
        Datastream.objects.filter(
            thing__kind=rule.thing_kind, observed_property__name=rule.observed_property.name
        ).values_list("id", flat=True)
    )


def _build(version: object) -> RuleIndex:
    mapping: dict[int, list[RuleSpec]] = {}
    for rule in AlertRule.objects.filter(enabled=True).select_related("observed_property"):
        spec = spec_of(rule)
        for datastream_id in datastreams_of(rule):
            mapping.setdefault(datastream_id, []).append(spec)
    now = time.monotonic()
    return RuleIndex({k: tuple(v) for k, v in mapping.items()}, version, now, now)


def _shared_version() -> object:
    """The cluster-wide version of the rules; a fresh random one when the cache has none (first
    start, eviction, a cleared cache), so an index built before that never passes for current."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, secrets.randbits(62), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _check_interval() -> float:
    # Tests reset the database and the cache between cases: look every time there.
    return 0.0 if settings.TESTING else VERSION_CHECK_SECONDS


def rule_index() -> RuleIndex:
    """The current index; cheap on the hot path (no query unless stale)."""
    global _index
    index = _index
    now = time.monotonic()
    if index is not None and now - index.built_at < conf.rule_index_ttl_seconds():
        if now - index.checked_at < _check_interval():
            return index
        index.checked_at = now
        if cache.get(VERSION_KEY) == index.version:
            return index
    with _lock:
        if _index is not index and _index is not None:
            return _index
        _index = _build(_shared_version())
        return _index


def invalidate() -> None:
    """Forget the index here and tell other processes (through the cache) to rebuild theirs."""
    global _index
    with _lock:
        _index = None
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or evicted): any new one differs from what others hold
        cache.set(VERSION_KEY, secrets.randbits(62), timeout=None)
