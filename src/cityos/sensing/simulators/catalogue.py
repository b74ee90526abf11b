"""What each simulated stream is, in SensorThings terms: unit, observation type, sensor model."""

from __future__ import annotations

from typing import Any

from cityos.sensing.models import ObservationType


def _unit(name: str, symbol: str, definition: str) -> dict[str, str]:
    return {"name": name, "symbol": symbol, "definition": definition}


MICROGRAMS = _unit("microgram per cubic metre", "µg/m³", "http://qudt.org/vocab/unit/MicroGM-PER-M3")
PERCENT = _unit("percent", "%", "http://qudt.org/vocab/unit/PERCENT")

# stream: (unit, observation type, description of the observed property)
STREAM_INFO: dict[str, tuple[dict[str, Any], str, str]] = {
    "pH": (
        _unit("pH", "pH", "http://qudt.org/vocab/unit/PH"),
        ObservationType.MEASUREMENT,
        "acidity of drinking water",
    ),
    "turbidity": (
        _unit("nephelometric turbidity unit", "NTU", "http://qudt.org/vocab/unit/NTU"),
        ObservationType.MEASUREMENT,
        "cloudiness of drinking water",
    ),
    "chlorine": (
        _unit("milligram per litre", "mg/L", "http://qudt.org/vocab/unit/MilliGM-PER-L"),
        ObservationType.MEASUREMENT,
        "free chlorine left in drinking water",
    ),
    "conductivity": (
        _unit("microsiemens per centimetre", "µS/cm", "http://qudt.org/vocab/unit/MicroS-PER-CentiM"),
        ObservationType.MEASUREMENT,
        "electrical conductivity of drinking water (dissolved salts)",
    ),
    "pm25": (MICROGRAMS, ObservationType.MEASUREMENT, "fine particulate matter (PM2.5)"),
    "pm10": (MICROGRAMS, ObservationType.MEASUREMENT, "particulate matter (PM10)"),
    "no2": (MICROGRAMS, ObservationType.MEASUREMENT, "nitrogen dioxide"),
    "o3": (MICROGRAMS, ObservationType.MEASUREMENT, "ozone"),
    "occupied": (
        _unit("occupancy", "", "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_TruthObservation"),
        ObservationType.TRUTH,
        "whether a vehicle stands in the bay",
    ),
    "temperature": (
        _unit("degree Celsius", "°C", "http://qudt.org/vocab/unit/DEG_C"),
        ObservationType.MEASUREMENT,
        "indoor air temperature",
    ),
    "relative-humidity": (PERCENT, ObservationType.MEASUREMENT, "indoor relative humidity"),
    "fill-level": (PERCENT, ObservationType.MEASUREMENT, "how full the bin is"),
    "trap-event": (
        _unit("catch", "{catch}", "http://qudt.org/vocab/unit/NUM"),
        ObservationType.COUNT,
        "a trap strike (one per catch)",
    ),
    "battery": (PERCENT, ObservationType.MEASUREMENT, "charge left in the device's battery"),
}

# kind: (sensor model name, description)
SENSOR_MODELS: dict[str, tuple[str, str]] = {
    "water-quality": ("AquaSonde 6", "Multi-parameter drinking-water probe (pH, turbidity, chlorine, conductivity)"),
    "air-quality": ("AirNode AQ-4", "Reference-grade particulate and gas monitor (PM2.5, PM10, NO2, O3)"),
    "parking-bay": ("ParkPuck M2", "Battery-powered magnetometer bay sensor, reports on change"),
    "home-climate": ("HomeSense TH", "Battery-powered room temperature and humidity sensor"),
    "waste-bin": ("FillEye U1", "Battery-powered ultrasonic bin fill-level sensor"),
    "predator-trap": ("TrapWatch S", "Strike sensor for self-resetting predator traps"),
}


def observed_property_data(stream: str) -> dict[str, Any]:
    return {
        "name": stream,
        "definition": f"https://cityos.invalid/def/{stream}",
        "description": STREAM_INFO[stream][2],
    }


def sensor_data(kind: str) -> dict[str, Any]:
    name, description = SENSOR_MODELS[kind]
    return {
        "name": name,
        "description": description,
        "encodingType": "application/pdf",
        "metadata": f"https://cityos.invalid/sensors/{kind}.pdf",
    }
