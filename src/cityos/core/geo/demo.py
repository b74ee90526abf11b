"""Geography of the demo city: districts cut from a coastline-shaped area, and public places."""

from __future__ import annotations

import math
from typing import Any

import h3
import shapely
from django.utils import translation
from shapely.geometry import MultiPoint, Point, mapping

from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.registry import DemoContext

CENTRE = (40.7128, -73.9060)  # lat, lon of the fictional city of Harbourview
H3_RESOLUTION = 9

DISTRICTS = [
    ("north-shore", "North Shore", "北岸", "Costa Norte"),
    ("old-town", "Old Town", "舊城", "Casco Antiguo"),
    ("riverside", "Riverside", "河濱", "Ribera"),
    ("harbour", "Harbour", "港區", "Puerto"),
    ("hillcrest", "Hillcrest", "山頂", "Cerro Alto"),
    ("east-gate", "East Gate", "東門", "Puerta Este"),
    ("market", "Market Quarter", "市場區", "Barrio del Mercado"),
    ("southfields", "Southfields", "南田", "Campos del Sur"),
]

PLACE_COUNTS = {
    PlaceKind.TESTING_SITE: 10,
    PlaceKind.CLINIC: 8,
    PlaceKind.HOSPITAL: 3,
    PlaceKind.VACCINATION_SITE: 6,
    PlaceKind.WIFI_HOTSPOT: 14,
    PlaceKind.MASK_MACHINE: 10,
    PlaceKind.SHELTER: 5,
    PlaceKind.FOOD_BANK: 5,
    PlaceKind.LIBRARY: 6,
    PlaceKind.SERVICE_CENTRE: 4,
}
STREETS = ["Harbour Rd", "Market St", "Hill Ave", "River Walk", "Station Sq", "Elm St", "Bay Blvd", "Mill Ln"]


def _city_outline(ctx: DemoContext) -> shapely.Polygon:
    lat0, lon0 = CENTRE
    points = []
    for step in range(36):
        angle = 2 * math.pi * step / 36
        radius = 0.06 * (1 + 0.18 * math.sin(3 * angle) + ctx.rng.uniform(-0.05, 0.05))
        points.append((lon0 + radius * math.cos(angle) * 1.3, lat0 + radius * math.sin(angle)))
    return shapely.Polygon(points)


def _hours(ctx: DemoContext, kind: str) -> dict[str, list[list[str]]]:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    if kind in {PlaceKind.HOSPITAL, PlaceKind.WIFI_HOTSPOT, PlaceKind.MASK_MACHINE, PlaceKind.SHELTER}:
        return {d: [["00:00", "24:00"]] for d in days}
    opens = ctx.rng.choice(["08:00", "08:30", "09:00"])
    closes = ctx.rng.choice(["17:00", "18:00", "19:30"])
    hours = {d: [[opens, closes]] for d in days[:5]}
    hours["sat"] = [["10:00", "14:00"]] if ctx.rng.random() < 0.6 else []
    hours["sun"] = []
    return hours


def _place_names(district: District, kind: PlaceKind, number: int) -> dict[str, Any]:
    """A demo place's name in English and in the city's other languages, as residents read it on
    the map (each in its own language, whatever language the command runs in)."""
    with translation.override("en"):
        name = f"{district.name} {kind.label} {number}"
    with translation.override("zh-hant"):
        zh = f"{district.names['zh-hant']}{kind.label}{number}號"
    with translation.override("es"):
        es = f"{kind.label} {district.names['es']} {number}"
    return {"name": name, "names": {"zh-hant": zh, "es": es}}


def build(ctx: DemoContext) -> None:
    if District.objects.exists():
        ctx.data["district_ids"] = list(District.objects.values_list("pk", flat=True))
        ctx.say("geography: already built")
        return
    outline = _city_outline(ctx)
    minx, miny, maxx, maxy = outline.bounds
    seeds: list[Point] = []
    while len(seeds) < len(DISTRICTS):
        p = Point(ctx.rng.uniform(minx, maxx), ctx.rng.uniform(miny, maxy))
        if outline.contains(p):
            seeds.append(p)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline)
    polygons = sorted((c.intersection(outline) for c in cells.geoms), key=lambda g: (-g.centroid.y, g.centroid.x))
    districts = []
    for (code, name, zh, es), polygon in zip(DISTRICTS, polygons, strict=True):
        polygon = shapely.set_precision(polygon, 1e-6)
        centroid = polygon.centroid
        districts.append(
            District.objects.create(
                code=code,
                name=name,
                names={"zh-hant": zh, "es": es},
                geometry=mapping(polygon),
                population=ctx.rng.randint(40_000, 160_000),
                centroid_lat=centroid.y,
                centroid_lon=centroid.x,
                # degrees² to km² at this latitude
                area_km2=round(polygon.area * 111.32 * 111.32 * math.cos(math.radians(centroid.y)), 2),
            )
        )
    ctx.data["district_ids"] = [d.pk for d in districts]
    created = 0
    for kind, count in PLACE_COUNTS.items():
        for number in range(1, count + 1):
            district = ctx.rng.choice(districts)
            polygon = shapely.geometry.shape(district.geometry)
            bx0, by0, bx1, by1 = polygon.bounds
            while True:
                point = Point(ctx.rng.uniform(bx0, bx1), ctx.rng.uniform(by0, by1))
                if polygon.contains(point):
                    break
            Place.objects.create(
                kind=kind,
                **_place_names(district, PlaceKind(kind), number),
                address=f"{ctx.rng.randint(1, 400)} {ctx.rng.choice(STREETS)}, {district.name}",
                lat=round(point.y, 6),
                lon=round(point.x, 6),
                h3_cell=h3.latlng_to_cell(point.y, point.x, H3_RESOLUTION),
                district=district,
                opening_hours=_hours(ctx, kind),
                phone=f"+1 212 555 0{ctx.rng.randint(100, 199)}",
            )
            created += 1
    ctx.say(f"geography: {len(districts)} districts, {created} places")
