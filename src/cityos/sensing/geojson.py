"""GeoJSON (RFC 7946) as Locations and FeaturesOfInterest carry it, checked before it is stored.

Shapely reads much that is not GeoJSON (lower-case types, LinearRings, unclosed rings,
positions nested the wrong way, a longitude of 500), and what it read would then sit on maps,
in spatial filters and in every FeatureOfInterest made from the Location. The encodingTypes
``application/geo+json`` and ``application/vnd.geo+json`` both mean this: WGS 84 longitude and
latitude in degrees (RFC 7946, 4). :func:`cityos.sensing.services.check_geometry` is the one caller.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityos.sensing.sta.errors import StaError

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
# How deeply each type's coordinates nest positions: a Point's is one position, a Polygon's a
# list of rings, each a list of positions.
NESTING = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
NESTED_LISTS = {
    1: gettext_lazy("a list of positions, such as [[121.5, 25.0], [121.6, 25.1]]"),
    2: gettext_lazy("a list of lists of positions"),
    3: gettext_lazy("a list of lists of lists of positions"),
}
# GeometryCollections inside GeometryCollections (RFC 7946, 3.1.8 advises none); the limit keeps
# the check and shapely clear of deep recursion.
MAX_COLLECTION_DEPTH = 4
EXAMPLE = '{"type": "Point", "coordinates": [121.5, 25.0]}'
POSITION = gettext_lazy("[longitude, latitude] or [longitude, latitude, altitude], in WGS 84 degrees")


def check_geojson(value: Any, name: str) -> None:
    """Raises :class:`StaError` naming the member that is not GeoJSON, e.g. ``location.coordinates[0]``."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        geometry = value.get("geometry")
        if geometry is None:
            raise StaError(
                _("%(name)s.geometry is missing: a Feature here needs a geometry, such as %(example)s")
                % {"name": name, "example": EXAMPLE}
            )
        _geometry(geometry, f"{name}.geometry", 0)
    else:
        _geometry(value, name, 0)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def _geometry(value: Any, where: str, collections: int) -> None:
    if not isinstance(value, dict):
        raise StaError(
            _("%(name)s must be a GeoJSON geometry or Feature, such as %(example)s")
            % {"name": where, "example": EXAMPLE}
        )
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise StaError(
            _(
                "%(name)s must be a GeoJSON geometry or Feature: its type must be one of %(types)s "
                "(or Feature), spelt so, not %(value)s"
            )
            % {"name": where, "types": ", ".join(GEOMETRY_TYPES), "value": _show(kind)}
        )
    if kind == "GeometryCollection":
        members = value.get("geometries")
        if not isinstance(members, list) or not members:
            raise StaError(_("%(name)s.geometries must be a list of one or more geometries") % {"name": where})
        if collections >= MAX_COLLECTION_DEPTH:
            raise StaError(
                _("%(name)s: GeometryCollections may be nested at most %(depth)s deep")
                % {"name": where, "depth": MAX_COLLECTION_DEPTH}
            )
        for index, member in enumerate(members):
            _geometry(member, f"{where}.geometries[{index}]", collections + 1)
        return
    where = f"{where}.coordinates"
    coordinates: Any = value.get("coordinates")  # a list, once _nested has passed it
    _nested(coordinates, where, NESTING[kind])
    if kind == "LineString":
        _line(coordinates, where)
    elif kind == "MultiLineString":
        _each(coordinates, where, _line)
    elif kind == "Polygon":
        _polygon(coordinates, where)
    elif kind == "MultiPolygon":
        _each(coordinates, where, _polygon)
    elif kind == "MultiPoint" and not coordinates:
        raise StaError(_("%(name)s is empty: give at least one position") % {"name": where})


def _nested(value: Any, where: str, depth: int) -> None:
    """Lists nested ``depth`` deep around positions; each position checked."""
    if depth == 0:
        _position(value, where)
        return
    if not isinstance(value, list) or any(not isinstance(item, list) for item in value):
        raise StaError(
            _("%(name)s must be %(expected)s, not %(value)s")
            % {"name": where, "expected": NESTED_LISTS[depth], "value": _show(value)}
        )
    for index, item in enumerate(value):
        _nested(item, f"{where}[{index}]", depth - 1)


def _position(value: Any, where: str) -> None:
    if not isinstance(value, list) or not 2 <= len(value) <= 3:
        raise StaError(
            _("%(name)s must be a position, %(position)s, not %(value)s")
            % {"name": where, "position": POSITION, "value": _show(value)}
        )
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise StaError(
                _("%(name)s must be a number, not %(value)s") % {"name": f"{where}[{index}]", "value": _show(item)}
            )
        try:
            finite = math.isfinite(item)
        except OverflowError:  # an integer beyond any float
            finite = False
        if not finite:
            raise StaError(
                _("%(name)s must be a finite number, not %(value)s")
                % {"name": f"{where}[{index}]", "value": _show(item)}
            )
    longitude, latitude = value[0], value[1]
    if not -180 <= longitude <= 180:
        raise StaError(
            _("%(name)s: the longitude %(value)s is not between -180 and 180 (a position is %(position)s)")
            % {"name": f"{where}[0]", "value": _show(longitude), "position": POSITION}
        )
    if not -90 <= latitude <= 90:
        raise StaError(
            _("%(name)s: the latitude %(value)s is not between -90 and 90 (a position is %(position)s)")
            % {"name": f"{where}[1]", "value": _show(latitude), "position": POSITION}
        )


def _each(parts: list[Any], where: str, check_part: Any) -> None:
    if not parts:
        raise StaError(_("%(name)s is empty: give at least one part") % {"name": where})
    for index, part in enumerate(parts):
        check_part(part, f"{where}[{index}]")


def _line(positions: list[Any], where: str) -> None:
    if len(positions) < 2:
        raise StaError(_("%(name)s must hold at least 2 positions: a line runs between two points") % {"name": where})


def _polygon(rings: list[Any], where: str) -> None:
    if not rings:
        raise StaError(_("%(name)s is empty: a polygon needs its outer ring") % {"name": where})
    for index, ring in enumerate(rings):
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise StaError(
                _("%(name)s is not a closed ring: it needs at least 4 positions, the last the same as the first")
                % {"name": f"{where}[{index}]"}
            )
