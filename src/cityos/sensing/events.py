"""Events the sensing app publishes (delivered on commit); MQTT and rules subscribe to them."""

from __future__ import annotations

import dataclasses

from cityos.core.events import Event


@dataclasses.dataclass(frozen=True, kw_only=True)
class ObservationsCreated(Event):
    """New observations, in the order they were given; one event per batch."""

    name = "sensing.observations_created"
    ids: list[int]
    datastream_ids: list[int]


@dataclasses.dataclass(frozen=True, kw_only=True)
class EntityChanged(Event):
    """A SensorThings entity was created, updated or deleted (``change``)."""

    name = "sensing.entity_changed"
    entity_type: str
    id: int
    change: str
