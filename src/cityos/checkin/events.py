"""Events of the check-in app, and the one it listens to (public facade).

``CaseVisitsConfirmed`` is published by the health app when an officer confirms where and when
a case was; it is defined here so neither app waits on the other, and the check-in app never
imports health.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cityos.core.events import Event


@dataclass(frozen=True, kw_only=True)
class CaseVisitsConfirmed(Event):
    """A confirmed case's visits: each ``{"venue_code", "start", "end"}`` with ISO-8601 times.

    ``venue_code`` is a venue's SMS code (shown on its poster and in
    ``cityos.checkin.selectors.venue_choices``) or the signed code of one of its posters.
    """

    name = "health.case_visits_confirmed"
    case_ref: str
    confirmed_by_user_id: int
    visits: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ExposureAlertProposed(Event):
    name = "checkin.exposure_alert_proposed"
    alert_id: int
    venue_id: int
    match_count: int


@dataclass(frozen=True, kw_only=True)
class ExposureAlertSent(Event):
    name = "checkin.exposure_alert_sent"
    alert_id: int
    venue_id: int
    notified_count: int


@dataclass(frozen=True, kw_only=True)
class VenueChanged(Event):
    """A venue's details were edited; ``fields`` names what changed (contacts named, never their values)."""

    name = "checkin.venue_changed"
    venue_id: int
    fields: list[str] = field(default_factory=list)
