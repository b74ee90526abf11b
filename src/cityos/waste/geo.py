"""GeoJSON and GPX of bins and routes (exports, the map layers, crews' navigation apps)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from cityos.waste.models import Bin, Route, Stop, StopKind


def bins_geojson(bins: Iterable[Bin]) -> dict[str, Any]:
    features = []
    for b in bins:
        if not b.has_location:
            continue
        features.append(
            {
                "type": "Feature",
                "id": b.pk,
                "geometry": {"type": "Point", "coordinates": [b.longitude, b.latitude]},
                "properties": {
                    "name": b.ref,
                    "kind": b.kind,
                    "volume_litres": b.volume_litres,
                    "fill": b.last_fill,
                    "overflow_risk": b.overflow_risk,
                    "full_at": b.full_at.isoformat() if b.full_at else None,
                    "address": b.address,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def route_geojson(routes: Iterable[Route]) -> dict[str, Any]:
    """Each route as a line, and its stops as points (in order, with their state)."""
    features: list[dict[str, Any]] = []
    for route in routes:
        stops = list(route.stops.all())
        features.append(
            {
                "type": "Feature",
                "id": f"route-{route.pk}",
                "geometry": {"type": "LineString", "coordinates": [[s.longitude, s.latitude] for s in stops]},
                "properties": {
                    "name": route.vehicle.name,
                    "route": route.pk,
                    "status": route.status,
                    "distance_km": round(route.distance_m / 1000, 1),
                },
            }
        )
        for stop in stops:
            if stop.kind == StopKind.BREAK:
                continue
            features.append(_stop_feature(route, stop))
    return {"type": "FeatureCollection", "features": features}


def _stop_feature(route: Route, stop: Stop) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": f"stop-{stop.pk}",
        "geometry": {"type": "Point", "coordinates": [stop.longitude, stop.latitude]},
        "properties": {
            "name": f"{stop.sequence}. {stop.label}",
            "route": route.pk,
            "vehicle": route.vehicle.name,
            "kind": stop.kind,
            "eta": stop.eta.isoformat(),
            "collected": stop.collected,
            "required": stop.required,
            "predicted_fill": stop.predicted_fill,
        },
    }


def route_gpx(route: Route) -> str:
    """GPX 1.1: the stops as a route (rtept) for navigation apps, in visiting order."""
    points = []
    for stop in route.stops.all():
        if stop.kind == StopKind.BREAK:
            continue
        points.append(
            f'    <rtept lat="{stop.latitude:.6f}" lon="{stop.longitude:.6f}">'
            f"<time>{stop.eta.isoformat()}</time><name>{escape(f'{stop.sequence}. {stop.label}')}</name>"
            f"<type>{escape(stop.kind)}</type></rtept>"
        )
    name = escape(f"{route.vehicle.name} {route.plan.date.isoformat()}")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="CityOS" xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"  <rte>\n    <name>{name}</name>\n" + "\n".join(points) + "\n  </rte>\n</gpx>\n"
    )
