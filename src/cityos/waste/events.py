"""Events of the waste app (public facade), published on commit."""

from __future__ import annotations

from dataclasses import dataclass

from cityos.core.events import Event


@dataclass(frozen=True, kw_only=True)
class BinChanged(Event):
    name = "waste.bin_changed"
    bin_id: int
    change: str  # "created" | "updated"


@dataclass(frozen=True, kw_only=True)
class PlanCreated(Event):
    name = "waste.plan_created"
    plan_id: int
    date: str
    feasible: bool
    replans_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class StopCollected(Event):
    name = "waste.stop_collected"
    stop_id: int
    bin_id: int
    route_id: int


@dataclass(frozen=True, kw_only=True)
class StopMissed(Event):
    name = "waste.stop_missed"
    stop_id: int
    bin_id: int
    route_id: int
    reason: str  # a MissedReason value


@dataclass(frozen=True, kw_only=True)
class RouteBrokenDown(Event):
    name = "waste.route_broken_down"
    route_id: int
    vehicle_id: int
    replan_id: int


@dataclass(frozen=True, kw_only=True)
class BinReported(Event):
    name = "waste.bin_reported"
    report_id: int
    bin_id: int
    problem: str  # "full" | "damaged" | "other"
    repeated: bool  # True: added to the open report of the same bin and problem
    channel: str


@dataclass(frozen=True, kw_only=True)
class ReportResolved(Event):
    name = "waste.report_resolved"
    report_id: int
    bin_id: int
    resolution: str  # "collected" | "dismissed"
