"""GeoJSON of the monitoring services, shaped for core's map (static/cityos/map.js): each
feature's ``name``, ``kind_label`` (a line of status text) and ``open_now`` (true: good / free,
false: a problem / full, absent: unknown) drive its popup and marker."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from cityos.monitoring import meanings, selectors


def _feature(lon: float | None, lat: float | None, properties: dict[str, Any]) -> dict[str, Any] | None:
    if lon is None or lat is None:
        return None
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


def _collection(features: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [f for f in features if f is not None]}


def car_parks(parks: Iterable[selectors.CarPark]) -> dict[str, Any]:
    def properties(park: selectors.CarPark) -> dict[str, Any]:
        status = (
            _("No recent data")
            if park.stale
            else _("%(free)s of %(total)s bays free") % {"free": park.free, "total": park.total}
        )
        data: dict[str, Any] = {"id": park.id, "name": park.name, "kind_label": status, "free": park.free}
        data["total"] = park.total
        data["stale"] = park.stale
        if not park.stale:
            data["open_now"] = park.free > 0
        return data

    return _collection(_feature(p.longitude, p.latitude, properties(p)) for p in parks)


def water_stations(stations: Iterable[selectors.WaterStation]) -> dict[str, Any]:
    labels = meanings.status_labels()

    def properties(station: selectors.WaterStation) -> dict[str, Any]:
        data: dict[str, Any] = {"id": station.id, "name": station.name, "status": station.status}
        data["kind_label"] = str(labels[station.status])
        if station.status != "unknown":
            data["open_now"] = station.status == "good"
        return data

    return _collection(_feature(s.longitude, s.latitude, properties(s)) for s in stations)


def air_stations(stations: Iterable[selectors.AirStation]) -> dict[str, Any]:
    def properties(station: selectors.AirStation) -> dict[str, Any]:
        data: dict[str, Any] = {"id": station.id, "name": station.name}
        if station.aqi is None:
            data["kind_label"] = _("No recent data")
        else:
            data["kind_label"] = _("AQI %(index)s: %(category)s") % {
                "index": station.aqi.index,
                "category": station.aqi.category.label,
            }
            data["aqi"] = station.aqi.index
            data["category"] = station.aqi.category.key
            data["open_now"] = station.aqi.index <= meanings.AQI_CATEGORIES[1].high
        return data

    return _collection(_feature(s.longitude, s.latitude, properties(s)) for s in stations)


def traps(items: Iterable[selectors.Trap]) -> dict[str, Any]:
    def properties(trap: selectors.Trap) -> dict[str, Any]:
        label = _("%(count)s catches") % {"count": trap.catches}
        if trap.last_catch:
            label += " · " + _("last %(when)s") % {"when": date_format(localtime(trap.last_catch), "SHORT_DATE_FORMAT")}
        return {
            "id": trap.id,
            "name": trap.name,
            "address": trap.trap_line,
            "kind_label": label,
            "catches": trap.catches,
            "species": trap.species,
        }

    return _collection(_feature(t.longitude, t.latitude, properties(t)) for t in items)


def trap_events(events: Iterable[selectors.TrapEvent]) -> dict[str, Any]:
    return _collection(
        _feature(
            e.longitude,
            e.latitude,
            {
                "id": e.id,
                "trap_id": e.trap_id,
                "trap": e.trap_name,
                "trap_line": e.trap_line,
                "time": e.time.isoformat(),
                "count": e.count,
                "species": e.species,
            },
        )
        for e in events
    )
