"""H3 cells for spatial aggregation, for every app that counts things on the map.

Counts that could single a person out are withheld: a cell with fewer than
``settings.CITYOS_SMALL_COUNT_THRESHOLD`` items is left out of :func:`count_per_cell`
(and counted in ``suppressed_cells``), so an aggregate never reveals a small group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import h3
import shapely
from django.conf import settings
from shapely.geometry import shape

# Resolution 9 cells are ~0.1 km²: a few blocks, the grain places are stored at.
PLACE_RESOLUTION = 9

Containment = Literal["center", "full", "overlap"]


def cell_for(lat: float, lon: float, resolution: int = PLACE_RESOLUTION) -> str:
    """The cell holding a point; raises ValueError for coordinates or a resolution out of range."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"({lat}, {lon}) is not a latitude/longitude pair")
    try:
        return str(h3.latlng_to_cell(lat, lon, resolution))
    except h3.H3BaseException as error:
        raise ValueError(str(error)) from error


def coarser(cell: str, resolution: int) -> str:
    """The cell's ancestor at ``resolution`` (the cell itself at its own resolution)."""
    own = h3.get_resolution(cell)
    if resolution > own:
        raise ValueError(f"cannot aggregate a resolution {own} cell at the finer resolution {resolution}")
    return cell if resolution == own else str(h3.cell_to_parent(cell, resolution))


def small_count_threshold() -> int:
    return int(settings.CITYOS_SMALL_COUNT_THRESHOLD)


@dataclass(frozen=True)
class CellCounts:
    """Counts per cell that are safe to publish, and how many cells were withheld."""

    counts: dict[str, int] = field(default_factory=dict)
    suppressed_cells: int = 0
    threshold: int = 0

    @property
    def total_shown(self) -> int:
        return sum(self.counts.values())


def count_per_cell(cells: Iterable[str], *, resolution: int | None = None, threshold: int | None = None) -> CellCounts:
    """Count cell ids (optionally rolled up to a coarser ``resolution``), withholding small counts."""
    minimum = small_count_threshold() if threshold is None else threshold
    raw = Counter(coarser(c, resolution) if resolution is not None else c for c in cells)
    shown = {cell: n for cell, n in sorted(raw.items()) if n >= minimum}
    return CellCounts(counts=shown, suppressed_cells=len(raw) - len(shown), threshold=minimum)


def count_points(points: Iterable[tuple[float, float]], resolution: int, *, threshold: int | None = None) -> CellCounts:
    """Count (lat, lon) points per cell at ``resolution``, withholding small counts."""
    return count_per_cell((cell_for(lat, lon, resolution) for lat, lon in points), threshold=threshold)


def cell_polygon(cell: str) -> dict[str, Any]:
    """The cell's boundary as a GeoJSON Polygon (lon, lat order, closed ring)."""
    ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def cells_feature_collection(cells: Mapping[str, Any] | Iterable[str], *, value_name: str = "count") -> dict[str, Any]:
    """Cells as a GeoJSON FeatureCollection; a mapping's values become ``properties[value_name]``."""
    values: Mapping[str, Any] | None = cells if isinstance(cells, Mapping) else None
    features = []
    for cell in cells:
        properties: dict[str, Any] = {"cell": cell, "resolution": h3.get_resolution(cell)}
        if values is not None:
            properties[value_name] = values[cell]
        features.append({"type": "Feature", "id": cell, "geometry": cell_polygon(cell), "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def cells_covering(
    geometry: Mapping[str, Any] | shapely.Geometry, resolution: int, *, contain: Containment = "center"
) -> set[str]:
    """Cells of a (Multi)Polygon: by default those whose centre lies inside (h3 polygon_to_cells).

    ``contain="overlap"`` also takes cells that only touch the area, ``"full"`` only cells wholly
    inside. An area smaller than one cell still gets the cell under its representative point, so
    a district never aggregates to nothing.
    """
    geom = geometry if isinstance(geometry, shapely.Geometry) else shape(geometry)
    if contain == "center":
        cells = {str(c) for c in h3.geo_to_cells(geom, resolution)}
    else:
        h3shape = h3.geo_to_h3shape(geom)
        cells = {str(c) for c in h3.h3shape_to_cells_experimental(h3shape, resolution, contain=contain)}
    if not cells and contain != "full" and not geom.is_empty:
        point = geom.representative_point()
        cells = {cell_for(point.y, point.x, resolution)}
    return cells
