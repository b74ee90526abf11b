"""Devices of the monitoring tests, created through the sensing app's services (its public
facade) exactly as a SensorThings client or the demo city would create them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.geo.models import District
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.sensing import selectors, services

OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
UNITS = {
    "pH": ("pH", ""),
    "turbidity": ("nephelometric turbidity unit", "NTU"),
    "chlorine": ("milligram per litre", "mg/L"),
    "conductivity": ("microsiemens per centimetre", "µS/cm"),
    "pm25": ("microgram per cubic metre", "µg/m³"),
    "pm10": ("microgram per cubic metre", "µg/m³"),
    "no2": ("microgram per cubic metre", "µg/m³"),
    "o3": ("microgram per cubic metre", "µg/m³"),
    "temperature": ("degree Celsius", "°C"),
    "relative-humidity": ("percent", "%"),
    "occupied": ("", ""),
    "trap-event": ("count", ""),
}
TYPES = {"occupied": "OM_TruthObservation", "trap-event": "OM_CountObservation"}


def middle_of_last_hour(now: datetime) -> datetime:
    """The middle of the city's last complete hour, where the damp check (which reads complete
    hours only) counts the newest of hourly readings in any time zone, half-hour ones too."""
    return selectors.hour_start(now) - timedelta(minutes=30)


def district(code: str, name: str | None = None, names: dict[str, str] | None = None) -> District:
    return DistrictFactory(code=code, name=name or code.title(), names=names or {})  # type: ignore[no-any-return]


def thing(
    name: str, kind: str, properties_: Iterable[str], *, lon: float = 174.78, lat: float = -41.29, **properties: Any
) -> Any:
    """A Thing of ``kind`` with one datastream per observed property name."""
    data = {
        "name": name,
        "description": f"{kind} device",
        "properties": {"kind": kind, **properties},
        "Locations": [
            {
                "name": f"{name} site",
                "description": "where it is",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": [
            {
                "name": f"{name} {prop}",
                "description": prop,
                "unitOfMeasurement": {"name": UNITS[prop][0], "symbol": UNITS[prop][1], "definition": ""},
                "observationType": OM + TYPES.get(prop, "OM_Measurement"),
                "Sensor": {"name": "sensor", "description": "sensor", "encodingType": "text/plain", "metadata": "-"},
                "ObservedProperty": {"name": prop, "definition": f"urn:cityos:{prop}", "description": prop},
            }
            for prop in properties_
        ],
    }
    return services.create_entity("Thing", data, user=_publisher())


def _publisher() -> User:
    """The operator who registers the devices (administrators write to every department)."""
    existing = User.objects.filter(username="monitoring-devices").first()
    return existing or StaffFactory(username="monitoring-devices", roles=[Role.ADMINISTRATOR])  # type: ignore[no-any-return]


def stream_id(made: Any, prop: str) -> int:
    return int(made.datastreams.get(observed_property__name=prop).pk)


def observe(made: Any, prop: str, values: Iterable[tuple[datetime, Any]], parameters: Any = None) -> None:
    rows = [
        services.NewObservation(
            datastream_id=stream_id(made, prop), phenomenon_time=(when, None), result=value, parameters=parameters
        )
        for when, value in values
    ]
    outcomes = services.create_observations(rows, user=None, system=True)
    assert all(isinstance(o, int) for o in outcomes), outcomes


def hourly(end: datetime, hours: int, value: Any) -> list[tuple[datetime, Any]]:
    """``hours`` readings, one per hour, the last at ``end``; ``value`` may be a function of the index."""
    return [(end - timedelta(hours=hours - 1 - i), value(i) if callable(value) else value) for i in range(hours)]
