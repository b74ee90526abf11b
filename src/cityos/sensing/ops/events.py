"""Events of the rules engine, delivered on commit: routing and the live feed subscribe to them."""

from __future__ import annotations

import dataclasses

from cityos.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertOpened(Event):
    """A rule's condition held long enough: a new open alert."""

    name = "sensing.alert_opened"
    alert_id: int
    rule_id: int
    datastream_id: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class AlertChanged(Event):
    """An alert was acknowledged, resolved (by staff or by itself) or escalated (``change``)."""

    name = "sensing.alert_changed"
    alert_id: int
    change: str  # "acknowledged", "resolved", "escalated"
    escalation_level: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class RulesChanged(Event):
    """A rule was created, changed or deleted: every process rebuilds its rule index."""

    name = "sensing.rules_changed"
    rule_id: int
    change: str
