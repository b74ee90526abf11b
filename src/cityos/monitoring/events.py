"""Events monitoring publishes (on commit)."""

from __future__ import annotations

import dataclasses

from cityos.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkOrderOpened(Event):
    """A damp-and-mould work order was opened for a home."""

    name = "monitoring.work_order_opened"
    work_order_id: int
    thing_id: int
    risk_score: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkOrderUpdated(Event):
    name = "monitoring.work_order_updated"
    work_order_id: int
    status: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class HomesAssessed(Event):
    """The damp job assessed ``homes`` homes, ``at_risk`` of them at or above the threshold."""

    name = "monitoring.homes_assessed"
    homes: int
    at_risk: int
