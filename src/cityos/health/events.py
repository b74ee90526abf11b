"""What the health module tells the rest of the city (its public facade for events)."""

from __future__ import annotations

from dataclasses import dataclass

from cityos.core.events import Event


@dataclass(frozen=True, kw_only=True)
class CaseConfirmed(Event):
    """A case was confirmed by a positive lab result. No name or contact leaves the module:
    only where (the resident's district, when known) and when, for epidemic statistics."""

    name = "health.case_confirmed"
    case_ref: str
    district_code: str | None
    lab_date: str  # ISO 8601 date
    imported: bool = False
