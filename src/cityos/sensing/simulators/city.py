"""The demo city's sensor network: which devices stand where, who owns them, how each behaves.

A plan is drawn from a seeded random source and the city's districts, without touching the
database, so the same seed always gives the same city (and tests can inspect it directly).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import Point, shape

from cityos.sensing.simulators import devices
from cityos.sensing.simulators.devices import Profile

# Department (code, name) that owns each kind of device.
DEPARTMENTS = {
    "water": "Water Services",
    "environment": "Environment",
    "transport": "Transport",
    "housing": "Housing",
    "waste": "Waste and Recycling",
}
# Their names in the other languages (a department's names are data, like a district's).
DEPARTMENT_NAMES = {
    "water": {"zh-hant": "水務處", "es": "Servicios de Agua"},
    "environment": {"zh-hant": "環境保護處", "es": "Medio Ambiente"},
    "transport": {"zh-hant": "交通處", "es": "Transporte"},
    "housing": {"zh-hant": "住宅處", "es": "Vivienda"},
    "waste": {"zh-hant": "廢棄物與回收處", "es": "Residuos y Reciclaje"},
}
OWNER = {
    "water-quality": "water",
    "air-quality": "environment",
    "parking-bay": "transport",
    "home-climate": "housing",
    "waste-bin": "waste",
    "predator-trap": "environment",
}
# Days of history the demo writes for each kind (bins and traps: long enough for collection
# rounds and rare catches to show).
HISTORY_DAYS = {
    "water-quality": 7,
    "air-quality": 7,
    "parking-bay": 7,
    "home-climate": 7,
    "waste-bin": 30,
    "predator-trap": 30,
}
CAR_PARKS = [  # name, pattern, bays, preferred districts
    ("Central Car Park", "centre", 48, ("old-town", "market")),
    ("Station Park and Ride", "station", 40, ("east-gate", "riverside")),
    ("Harbour Retail Park", "retail", 36, ("harbour", "southfields")),
    ("General Hospital Car Park", "hospital", 26, ("hillcrest", "north-shore")),
]
TRAP_LINES = [  # name, preferred district, species caught there
    ("Hillcrest Reserve line", "hillcrest", ("rat", "stoat", "possum", "hedgehog")),
    ("Harbour Wetlands line", "harbour", ("rat", "stoat", "mouse")),
    ("North Shore Dunes line", "north-shore", ("rat", "hedgehog", "mouse", "stoat")),
]
STREETS = ["Harbour Rd", "Market St", "Hill Ave", "River Walk", "Station Sq", "Elm St", "Bay Blvd", "Mill Ln"]
COUNTS = {"water-quality": 6, "air-quality": 8, "home-climate": 40, "waste-bin": 300, "predator-trap": 25}
FALLBACK_CENTRE = (-73.9060, 40.7128)  # lon, lat: used only when the city has no districts


@dataclass(frozen=True)
class Area:
    """A district as the plan needs it."""

    code: str
    name: str
    geometry: dict[str, Any]


@dataclass
class Device:
    kind: str
    name: str
    description: str
    lon: float
    lat: float
    district: str | None
    profile: Profile
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def department(self) -> str:
        return OWNER[self.kind]

    def thing_properties(self) -> dict[str, Any]:
        properties: dict[str, Any] = {"demo": True, "kind": self.kind, "department": self.department}
        if self.district:
            properties["district"] = self.district
        properties.update(self.properties)
        properties["simulation"] = self.profile.to_json()
        return properties


class _Places:
    """Random points inside districts (rejection sampling within each boundary)."""

    def __init__(self, rng: random.Random, areas: list[Area]) -> None:
        self.rng = rng
        self.areas = areas
        self.shapes = {a.code: shape(a.geometry) for a in areas}
        for geometry in self.shapes.values():
            shapely.prepare(geometry)

    def area(self, preferred: tuple[str, ...] = ()) -> Area | None:
        for code in preferred:
            for area in self.areas:
                if area.code == code:
                    return area
        return self.rng.choice(self.areas) if self.areas else None

    def point(
        self, area: Area | None, near: tuple[float, float] | None = None, radius: float = 0.0
    ) -> tuple[float, float]:
        if area is None:
            lon, lat = near or FALLBACK_CENTRE
            spread = radius or 0.05
            return lon + self.rng.uniform(-spread, spread), lat + self.rng.uniform(-spread, spread)
        polygon = self.shapes[area.code]
        x0, y0, x1, y1 = polygon.bounds
        for attempt in range(2000):
            if near is not None and attempt < 1000:
                x = near[0] + self.rng.uniform(-radius, radius)
                y = near[1] + self.rng.uniform(-radius, radius)
            else:
                x, y = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
            if polygon.contains(Point(x, y)):
                return round(x, 6), round(y, 6)
        centre = polygon.representative_point()
        return round(centre.x, 6), round(centre.y, 6)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _battery(rng: random.Random, now: datetime, *, level_now: float | None = None) -> tuple[dict[str, Any], datetime]:
    """Battery parameters: installed some months ago, draining a little each day."""
    days = rng.uniform(20, 400)
    level = level_now if level_now is not None else rng.uniform(35, 97)
    drain = (100.0 - level) / days
    return {"battery_start": 100.0, "battery_drain": round(drain, 5)}, now - timedelta(days=days)


def plan_city(rng: random.Random, areas: list[Area], now: datetime, *, scale: float = 1.0) -> list[Device]:
    """Every device of the demo city, with its faults; the same for the same seed, areas and now.

    ``scale`` shrinks the numerous kinds (bays, homes, bins, traps) for quick tests; faulty
    devices come first in each kind, so every fault is there at any scale.
    """
    places = _Places(rng, sorted(areas, key=lambda a: a.code))
    plan: list[Device] = []

    def count(full: int, least: int) -> int:
        return max(least, round(full * scale))

    def seed() -> int:
        return rng.randrange(1, 2**62)

    # Water quality: stations on the network; one sees a main burst, one has a failing pH probe.
    for number in range(1, COUNTS["water-quality"] + 1):
        area = places.area()
        params: dict[str, Any] = {
            "ph": round(rng.uniform(7.2, 7.6), 2),
            "turbidity": round(rng.uniform(0.2, 0.6), 2),
            "chlorine": round(rng.uniform(0.6, 1.0), 2),
            "conductivity": round(rng.uniform(300, 520), 0),
            "spike_high": 14.0,
            "spike_low": 0.0,
        }
        fault, stream, since = "", "", None
        if number in (2, 4):  # two stations, so one or the other has an episode soon after start
            fault, since = devices.TURBIDITY, now - timedelta(hours=rng.uniform(40, 60))
        elif number == 5:
            fault, stream, since = devices.SPIKES, "pH", now - timedelta(days=7)
        lon, lat = places.point(area)
        where = area.name if area else "the city"
        plan.append(
            Device(
                "water-quality",
                f"Water quality {number:02d} · {where}",
                f"Multi-parameter water-quality station on the {where} supply",
                lon,
                lat,
                area.code if area else None,
                Profile("water-quality", seed(), params, fault, stream, since),
            )
        )

    # Air quality: roadside and background stations; one stuck PM2.5 sensor, one spiking NO2, one flaky modem.
    for number in range(1, COUNTS["air-quality"] + 1):
        area = places.area()
        roadside = number % 2 == 1
        params = {
            "no2": round(rng.uniform(34, 48) if roadside else rng.uniform(16, 26), 1),
            "pm25": round(rng.uniform(6, 10) if roadside else rng.uniform(4, 7), 1),
            "spike_high": round(rng.uniform(900, 1200), 0),
            "spike_low": -50.0,
        }
        fault, stream, since = "", "", None
        if number == 3:
            fault, stream, since = devices.STUCK, "pm25", now - timedelta(hours=rng.uniform(26, 40))
        elif number == 6:
            fault, stream, since = devices.SPIKES, "no2", now - timedelta(days=7)
        elif number == 8:
            fault, since = devices.FLAKY, now - timedelta(days=3)
        lon, lat = places.point(area)
        site = "roadside" if roadside else "urban background"
        where = area.name if area else "the city"
        plan.append(
            Device(
                "air-quality",
                f"Air quality {number:02d} · {where}",
                f"Air-quality station ({site}) in {where}",
                lon,
                lat,
                area.code if area else None,
                Profile("air-quality", seed(), params, fault, stream, since),
                {"site": site},
            )
        )

    # Parking: four car parks of different kinds; bays report when a car arrives or leaves.
    bay_number = 0
    for car_park, pattern, full_bays, preferred in CAR_PARKS:
        bays = count(full_bays, 5)
        area = places.area(preferred)
        centre = places.point(area)
        for index in range(1, bays + 1):
            bay_number += 1
            battery, installed = _battery(rng, now)
            slots = rng.randint(3, 15)  # stays of 30 minutes to 2.5 hours
            params = {"pattern": pattern, "block_slots": slots, "phase": rng.randrange(slots), **battery}
            fault, since, silent = "", None, None
            if bay_number in (3, 8):
                silent = now - timedelta(hours=rng.uniform(30, 60))
            elif bay_number == 11:
                fault, since = devices.FLAKY, now - timedelta(days=2)
            row, column = divmod(index - 1, 12)
            # Bays in rows of twelve, 2.5 m apart, 6 m between rows.
            lon = round(centre[0] + column * 0.00003, 6)
            lat = round(centre[1] - row * 0.000055, 6)
            plan.append(
                Device(
                    "parking-bay",
                    f"{car_park} bay {index:03d}",
                    f"In-ground occupancy sensor, bay {index} of {car_park}",
                    lon,
                    lat,
                    area.code if area else None,
                    Profile(
                        "parking-bay", seed(), params, fault, "", since, silent_since=silent, installed_at=installed
                    ),
                    {"car_park": car_park, "car_park_id": _slug(car_park), "bay": index},
                )
            )

    # Council homes: most are fine; one is damp, two are borderline, one went quiet, one is flaky.
    for number in range(1, count(COUNTS["home-climate"], 8) + 1):
        area = places.area()
        lon, lat = places.point(area)
        battery, installed = _battery(rng, now, level_now=11.0 if number == 3 else None)
        params = {
            "setpoint": round(rng.uniform(19.0, 21.5), 1),
            "insulation": round(rng.uniform(0.4, 0.9), 2),
            "humidity": round(rng.uniform(44, 54), 1),
            **battery,
        }
        fault, since, silent = "", None, None
        if number == 2:
            fault, since = devices.DAMP, now - timedelta(days=30)
            params.update(setpoint=17.0, insulation=0.05, humidity=69.0)
        elif number in (4, 6):  # cold and poorly ventilated: humid nights and mornings
            params.update(setpoint=18.0, insulation=0.2, humidity=60.0)
        elif number == 5:
            silent = now - timedelta(hours=rng.uniform(18, 30))
        elif number == 7:
            fault, since = devices.FLAKY, now - timedelta(days=4)
        home_ref = f"H-{number:04d}"
        address = f"{rng.randint(1, 240)} {rng.choice(STREETS)}, Flat {rng.randint(1, 24)}"
        plan.append(
            Device(
                "home-climate",
                f"Council home {home_ref} climate sensor",
                f"Temperature and humidity sensor in the living room of {address}",
                lon,
                lat,
                area.code if area else None,
                Profile("home-climate", seed(), params, fault, "", since, silent_since=silent, installed_at=installed),
                # A tenant's home: private in the SensorThings API (staff in scope only, audited).
                {"home_ref": home_ref, "address": address, "tenure": "council", "private": True},
            )
        )

    # Waste bins: household and shop bins that fill at rates as different as real ones
    # (lognormal), emptied by the city's old fixed round: as often a week as keeps each bin at
    # most 85% full at its typical rate; a busy week still overflows some, and one never keeps up.
    for number in range(1, count(COUNTS["waste-bin"], 10) + 1):
        area = places.area()
        lon, lat = places.point(area)
        commercial = rng.random() < 0.25
        battery, installed = _battery(rng, now, level_now=8.0 if number == 7 else None)
        weekly = min(BIN_WEEKLY_FILL[1], max(BIN_WEEKLY_FILL[0], rng.lognormvariate(math.log(BIN_WEEKLY_FILL[2]), 0.5)))
        area_day = rng.randrange(5) if commercial else rng.randrange(6)
        days = [area_day] if number == 2 else round_weekdays(area_day, weekly)
        if number == 2:
            weekly = 135.0  # collected once a week: overflows days before its round
        params = {
            "pattern": "commercial" if commercial else "residential",
            "weekly_fill": round(weekly, 1),
            "collection_weekdays": days,
            "collection_hour": round(rng.uniform(6.0, 10.0), 2),
            "residue": round(rng.uniform(1.0, 5.0), 1),
            **battery,
        }
        fault, stream, since, silent = "", "", None, None
        if number in (4, 9):
            silent = now - timedelta(hours=rng.uniform(10, 80))
        elif number == 6:
            fault, stream, since = devices.STUCK, "fill-level", now - timedelta(days=rng.uniform(3, 6))
        bin_ref = f"BIN-{number:04d}"
        volume = rng.choice([660, 1100]) if commercial else rng.choice([240, 240, 360, 660])
        street = rng.choice(STREETS)
        plan.append(
            Device(
                "waste-bin",
                f"Bin {bin_ref} · {street}",
                f"{volume}-litre {'commercial' if commercial else 'household'} bin on {street}, ultrasonic fill sensor",
                lon,
                lat,
                area.code if area else None,
                Profile("waste-bin", seed(), params, fault, stream, since, silent_since=silent, installed_at=installed),
                {"bin_ref": bin_ref, "volume_litres": volume, "street": street},
            )
        )

    # Predator traps along three lines; catches are rare and mostly at night.
    lines = [(name, places.area((code,)), species) for name, code, species in TRAP_LINES]
    line_centres = [places.point(area) for _, area, _ in lines]
    for number in range(1, count(COUNTS["predator-trap"], 6) + 1):
        line_index = (number - 1) % len(lines)
        line, area, species = lines[line_index]
        lon, lat = places.point(area, near=line_centres[line_index], radius=0.006)
        battery, installed = _battery(rng, now)
        silent = None
        if number == 3:
            silent = now - timedelta(days=rng.uniform(5, 8))
        elif number == 5:  # flat battery two days ago: the trap went quiet
            installed = now - timedelta(days=300)
            battery = {"battery_start": 100.0, "battery_drain": round(100.0 / 298, 5)}
        params = {"catches_per_day": round(rng.uniform(0.08, 0.3), 3), "species": list(species), **battery}
        plan.append(
            Device(
                "predator-trap",
                f"Trap {number:02d} · {line}",
                f"Self-resetting predator trap with a strike sensor on the {line}",
                lon,
                lat,
                area.code if area else None,
                Profile("predator-trap", seed(), params, silent_since=silent, installed_at=installed),
                {"trap_line": line, "trap_ref": f"T-{number:03d}"},
            )
        )
    return plan


# Bins' typical fill per week (% of the bin): lowest, highest, median of a lognormal (sigma 0.5).
BIN_WEEKLY_FILL = (15.0, 250.0, 80.0)
ROUND_DAYS = (0, 1, 2, 3, 4, 5)  # Monday to Saturday


def round_weekdays(area_day: int, weekly_fill: float, *, most_full: float = 85.0) -> list[int]:
    """A bin's days on the old fixed round: its area's day and, where once a week is not enough,
    days spread over the week from it; the fewest (1, 2, 3 or 6 a week) after whose longest gap
    the bin is at most ``most_full`` % full at its typical rate (the waste module's baseline)."""
    for per_week in (1, 2, 3):
        days = sorted({ROUND_DAYS[(area_day + round(i * 6 / per_week)) % 6] for i in range(per_week)})
        gaps = [((days[(i + 1) % len(days)] - day) % 7 or 7) * 24 for i, day in enumerate(days)]
        if weekly_fill * max(gaps) / 168 <= most_full:
            return days
    return list(ROUND_DAYS)
