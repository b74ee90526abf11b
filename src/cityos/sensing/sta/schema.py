"""The eight entity types: their properties, navigation links and how each maps to the models."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import models

from cityos.sensing.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
)


@dataclass(frozen=True)
class Prop:
    """A property. ``kind``: id, string, json, geometry, datetime, interval, result."""

    field: str
    kind: str = "string"
    required: bool = False
    writable: bool = True
    end_field: str = ""  # intervals: the column holding the end


@dataclass(frozen=True)
class Nav:
    """A navigation link; ``lookup`` leads from the target back to the source."""

    target: str
    accessor: str
    lookup: str
    many: bool


@dataclass(frozen=True)
class EntityType:
    name: str
    plural: str
    model: type[models.Model]
    props: dict[str, Prop]
    navs: dict[str, Nav] = field(default_factory=dict)


def _text(name: str, *, required: bool = False) -> Prop:
    return Prop(name, "string", required=required)


ID = Prop("pk", "id", writable=False)

ENTITY_TYPES: dict[str, EntityType] = {
    t.name: t
    for t in [
        EntityType(
            "Thing",
            "Things",
            Thing,
            {
                "id": ID,
                "name": _text("name", required=True),
                "description": _text("description", required=True),
                "properties": Prop("properties", "json"),
            },
            {
                "Locations": Nav("Location", "locations", "things", True),
                "HistoricalLocations": Nav("HistoricalLocation", "historical_locations", "thing", True),
                "Datastreams": Nav("Datastream", "datastreams", "thing", True),
            },
        ),
        EntityType(
            "Location",
            "Locations",
            Location,
            {
                "id": ID,
                "name": _text("name", required=True),
                "description": _text("description", required=True),
                "encodingType": _text("encoding_type", required=True),
                "location": Prop("location", "geometry", required=True),
                "properties": Prop("properties", "json"),
            },
            {
                "Things": Nav("Thing", "things", "locations", True),
                "HistoricalLocations": Nav("HistoricalLocation", "historical_locations", "locations", True),
            },
        ),
        EntityType(
            "HistoricalLocation",
            "HistoricalLocations",
            HistoricalLocation,
            {"id": ID, "time": Prop("time", "datetime", required=True)},
            {
                "Thing": Nav("Thing", "thing", "historical_locations", False),
                "Locations": Nav("Location", "locations", "historical_locations", True),
            },
        ),
        EntityType(
            "Datastream",
            "Datastreams",
            Datastream,
            {
                "id": ID,
                "name": _text("name", required=True),
                "description": _text("description", required=True),
                "unitOfMeasurement": Prop("unit_of_measurement", "json", required=True),
                "observationType": _text("observation_type", required=True),
                "observedArea": Prop("observed_area", "geometry", writable=False),
                "phenomenonTime": Prop("phenomenon_time_start", "interval", end_field="phenomenon_time_end"),
                "resultTime": Prop("result_time_start", "interval", end_field="result_time_end"),
                "properties": Prop("properties", "json"),
            },
            {
                "Thing": Nav("Thing", "thing", "datastreams", False),
                "Sensor": Nav("Sensor", "sensor", "datastreams", False),
                "ObservedProperty": Nav("ObservedProperty", "observed_property", "datastreams", False),
                "Observations": Nav("Observation", "observations", "datastream", True),
            },
        ),
        EntityType(
            "Sensor",
            "Sensors",
            Sensor,
            {
                "id": ID,
                "name": _text("name", required=True),
                "description": _text("description", required=True),
                "encodingType": _text("encoding_type", required=True),
                "metadata": Prop("metadata", "json", required=True),
                "properties": Prop("properties", "json"),
            },
            {"Datastreams": Nav("Datastream", "datastreams", "sensor", True)},
        ),
        EntityType(
            "ObservedProperty",
            "ObservedProperties",
            ObservedProperty,
            {
                "id": ID,
                "name": _text("name", required=True),
                "definition": _text("definition", required=True),
                "description": _text("description", required=True),
                "properties": Prop("properties", "json"),
            },
            {"Datastreams": Nav("Datastream", "datastreams", "observed_property", True)},
        ),
        EntityType(
            "Observation",
            "Observations",
            Observation,
            {
                "id": ID,
                "phenomenonTime": Prop("phenomenon_time_start", "interval", end_field="phenomenon_time_end"),
                "resultTime": Prop("result_time", "datetime"),
                "result": Prop("result", "result", required=True),
                "resultQuality": Prop("result_quality", "json"),
                "validTime": Prop("valid_time_start", "interval", end_field="valid_time_end"),
                "parameters": Prop("parameters", "json"),
            },
            {
                "Datastream": Nav("Datastream", "datastream", "observations", False),
                "FeatureOfInterest": Nav("FeatureOfInterest", "feature_of_interest", "observations", False),
            },
        ),
        EntityType(
            "FeatureOfInterest",
            "FeaturesOfInterest",
            FeatureOfInterest,
            {
                "id": ID,
                "name": _text("name", required=True),
                "description": _text("description", required=True),
                "encodingType": _text("encoding_type", required=True),
                "feature": Prop("feature", "geometry", required=True),
                "properties": Prop("properties", "json"),
            },
            {"Observations": Nav("Observation", "observations", "feature_of_interest", True)},
        ),
    ]
}
BY_PLURAL = {t.plural: t for t in ENTITY_TYPES.values()}


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def property_value(entity_type: EntityType, name: str, obj: Any) -> Any:
    prop = entity_type.props[name]
    if prop.kind == "id":
        return obj.pk
    value = getattr(obj, prop.field)
    if prop.kind == "interval":
        end = getattr(obj, prop.end_field)
        if value is None:
            return None
        if end is None or end == value:
            return format_time(value)
        return f"{format_time(value)}/{format_time(end)}"
    if prop.kind == "datetime":
        return format_time(value)
    return value
