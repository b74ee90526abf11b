"""Events epi publishes (on commit). epi subscribes to none: the health module calls
:func:`cityos.epi.services.record_case` instead."""

from __future__ import annotations

import dataclasses

from cityos.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class EpiDataChanged(Event):
    """Case counts, lab results or hospital reports were saved (``kind``: cases, lab, hospital)."""

    name = "epi.data_changed"
    kind: str
    rows: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class DashboardRefreshed(Event):
    name = "epi.dashboard_refreshed"
    as_of: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class CapacityForecastCrossed(Event):
    """A resource (beds, icu, ventilators) is forecast to pass its capacity on ``crossing_date``."""

    name = "epi.capacity_crossed"
    resource: str
    crossing_date: str
    capacity: int
