"""GeoJSON and GPX of bins and routes (exports, the map layers, crews' navigation apps)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

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
            "missed_reason": stop.missed_reason or None,
            "required": stop.required,
            "predicted_fill": stop.predicted_fill,
        },
    }


GPX_NS = "http://www.topografix.com/GPX/1/1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def route_gpx(route: Route) -> str:
    """GPX 1.1 of one route, for crews' navigation apps.

    The stops (breaks left out) appear twice, in visiting order: as waypoints (``wpt``), which every
    app shows as markers, and as the route (``rte``/``rtept``) to follow. A bin's point is named by
    its order and reference and described by its address; times are the expected times in UTC.
    Elements follow the order the GPX 1.1 schema requires (metadata, wpt, rte; in a point: time,
    name, desc, type).
    """
    stops = [s for s in route.stops.select_related("bin") if s.kind != StopKind.BREAK]
    name = f"{route.vehicle.name} {route.plan.date.isoformat()}"
    # Plain tag names under a default namespace declared once (ElementTree would otherwise prefix them).
    root = ET.Element(
        "gpx",
        {
            "version": "1.1",
            "creator": "CityOS",
            "xmlns": GPX_NS,
            "xmlns:xsi": XSI_NS,
            "xsi:schemaLocation": f"{GPX_NS} {GPX_NS}/gpx.xsd",
        },
    )
    metadata = ET.SubElement(root, "metadata")
    _text(metadata, "name", name)
    _text(metadata, "time", _gpx_time(route.plan.created_at))
    for stop in stops:
        _gpx_point(root, "wpt", stop)
    rte = ET.SubElement(root, "rte")
    _text(rte, "name", name)
    for stop in stops:
        _gpx_point(rte, "rtept", stop)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _gpx_point(parent: ET.Element, tag: str, stop: Stop) -> None:
    point = ET.SubElement(parent, tag, {"lat": f"{stop.latitude:.6f}", "lon": f"{stop.longitude:.6f}"})
    _text(point, "time", _gpx_time(stop.eta))
    if stop.kind == StopKind.BIN and stop.bin is not None:
        _text(point, "name", f"{stop.sequence}. {stop.bin.ref}")
        if stop.bin.address:
            _text(point, "desc", stop.bin.address)
    else:
        _text(point, "name", f"{stop.sequence}. {stop.label}")
    _text(point, "type", stop.kind)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = _xml_chars(text)


def _gpx_time(moment: datetime) -> str:
    """xsd:dateTime in UTC, as GPX asks."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml_chars(text: str) -> str:
    """Drops the control characters XML 1.0 cannot carry (ElementTree escapes the rest)."""
    return _NOT_XML.sub("", text)
