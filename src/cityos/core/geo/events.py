"""Events the geography app publishes (on commit) for other apps to react to."""

from __future__ import annotations

from dataclasses import dataclass, field

from cityos.core.events import Event


@dataclass(frozen=True, kw_only=True)
class DistrictsImported(Event):
    """District boundaries were created or changed; aggregates by district may be stale."""

    name = "geo.districts_imported"
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    places_reassigned: int = 0


@dataclass(frozen=True, kw_only=True)
class PlaceChanged(Event):
    """A public place was created, updated or deleted (``action``)."""

    name = "geo.place_changed"
    place_id: int
    action: str
    kind: str
    district_code: str = ""
