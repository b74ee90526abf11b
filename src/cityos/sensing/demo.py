"""The demo city's sensors: water-quality and air-quality stations with a day of readings."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.utils import timezone

from cityos.core.accounts.models import Role, User
from cityos.core.geo.models import District
from cityos.core.registry import DemoContext
from cityos.sensing import services
from cityos.sensing.models import ObservationType, Thing
from cityos.sensing.sta.schema import format_time

UNITS = {
    "pH": {"name": "pH", "symbol": "pH", "definition": "http://qudt.org/vocab/unit/PH"},
    "turbidity": {
        "name": "Nephelometric turbidity unit",
        "symbol": "NTU",
        "definition": "http://qudt.org/vocab/unit/NTU",
    },
    "chlorine": {
        "name": "milligram per litre",
        "symbol": "mg/L",
        "definition": "http://qudt.org/vocab/unit/MilliGM-PER-L",
    },
    "pm25": {
        "name": "microgram per cubic metre",
        "symbol": "µg/m³",
        "definition": "http://qudt.org/vocab/unit/MicroGM-PER-M3",
    },
    "no2": {
        "name": "microgram per cubic metre",
        "symbol": "µg/m³",
        "definition": "http://qudt.org/vocab/unit/MicroGM-PER-M3",
    },
}
# kind, quantity, typical value, daily swing, noise
STATIONS = {
    "water-quality": [("pH", 7.4, 0.15, 0.05), ("turbidity", 0.6, 0.3, 0.1), ("chlorine", 0.8, 0.2, 0.05)],
    "air-quality": [("pm25", 12.0, 8.0, 3.0), ("no2", 25.0, 15.0, 5.0)],
}
STEP = timedelta(minutes=10)


def _writer() -> User | None:
    return (
        User.objects.filter(is_staff=True, staff_roles__role__in=[Role.ADMINISTRATOR, Role.OPERATOR])
        .order_by("pk")
        .first()
    )


def _reading(rng: Any, typical: float, swing: float, noise: float, hour: float) -> float:
    # Peaks in the late afternoon (traffic, warm water), lowest before dawn.
    daily = math.sin((hour - 10) / 24 * 2 * math.pi)
    return round(max(0.0, typical + swing * daily + rng.gauss(0, noise)), 3)


def build(ctx: DemoContext) -> None:
    if Thing.objects.filter(properties__demo=True).exists():
        return
    writer = _writer()
    if writer is None:
        ctx.say("sensing: no staff member to own the demo stations; skipped")
        return
    districts = list(District.objects.order_by("code")[:3])
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(days=1)
    observed_properties: dict[str, int] = {}
    created = 0
    for kind, quantities in STATIONS.items():
        for number, district in enumerate(districts or [None], start=1):
            lon = district.centroid_lon + 0.004 * number if district else 0.01 * number
            lat = district.centroid_lat if district else 0.0
            name = f"{kind.replace('-', ' ').capitalize()} station {number}"
            datastreams = []
            for quantity, *_ in quantities:
                property_ref: dict[str, Any]
                if quantity in observed_properties:
                    property_ref = {"@iot.id": observed_properties[quantity]}
                else:
                    property_ref = {
                        "name": quantity,
                        "definition": f"https://cityos.invalid/def/{quantity}",
                        "description": f"{quantity} measured by the city's {kind} network",
                    }
                datastreams.append(
                    {
                        "name": f"{name}: {quantity}",
                        "description": f"{quantity} every 10 minutes",
                        "unitOfMeasurement": UNITS[quantity],
                        "observationType": ObservationType.MEASUREMENT,
                        "Sensor": {
                            "name": f"{kind} probe {number}",
                            "description": f"Multi-parameter {kind} probe",
                            "encodingType": "application/pdf",
                            "metadata": "https://cityos.invalid/sensors/datasheet.pdf",
                        },
                        "ObservedProperty": property_ref,
                    }
                )
            properties: dict[str, Any] = {"demo": True, "kind": kind, "department": "operations"}
            if district:
                properties["district"] = district.code
            thing = services.create_entity(
                "Thing",
                {
                    "name": name,
                    "description": f"{kind.replace('-', ' ')} monitoring station",
                    "properties": properties,
                    "Locations": [
                        {
                            "name": f"{name} site",
                            "description": district.name if district else "city centre",
                            "encodingType": "application/geo+json",
                            "location": {"type": "Point", "coordinates": [lon, lat]},
                        }
                    ],
                    "Datastreams": datastreams,
                },
                user=writer,
            )
            for datastream, (quantity, typical, swing, noise) in zip(
                thing.datastreams.order_by("pk"), quantities, strict=True
            ):
                observed_properties.setdefault(quantity, datastream.observed_property_id)
                rows = []
                when = start
                while when <= now:
                    hour = when.hour + when.minute / 60
                    rows.append(
                        services.NewObservation(
                            datastream_id=datastream.pk,
                            phenomenon_time=(when, None),
                            result=_reading(ctx.rng, typical, swing, noise, hour),
                            result_time=when,
                        )
                    )
                    when += STEP
                created += len(services.create_observations(rows, user=writer))
    stations = Thing.objects.filter(properties__demo=True).count()
    ctx.say(f"sensing: {stations} water- and air-quality stations, {created} observations (until {format_time(now)})")
