"""Travel times over a road network given as GeoJSON (CITYOS_WASTE_ROAD_NETWORK).

The file is a FeatureCollection of LineStrings (an OpenStreetMap export cut to the city works);
each line's vertices are joined both ways unless ``"oneway": true``; ``"maxspeed"`` (km/h) sets
its speed, else the default. Points are snapped to the nearest network vertex; shortest
distances and shortest times come from Dijkstra over the whole graph (scipy).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from cityos.waste.routing import Matrix, haversine_m


@dataclass
class RoadNetwork:
    name = "road network"
    nodes: np.ndarray
    length: csr_matrix
    time: csr_matrix
    speed_kmh: float

    @classmethod
    def from_geojson(cls, data: dict[str, Any], *, speed_kmh: float = 25.0) -> RoadNetwork:
        index: dict[tuple[float, float], int] = {}
        rows: list[int] = []
        cols: list[int] = []
        metres: list[float] = []
        seconds: list[float] = []

        def node(coordinate: Sequence[float]) -> int:
            key = (round(float(coordinate[0]), 7), round(float(coordinate[1]), 7))
            return index.setdefault(key, len(index))

        for feature in data.get("features", []):
            geometry = feature.get("geometry") or {}
            props = feature.get("properties") or {}
            lines = [geometry.get("coordinates", [])] if geometry.get("type") == "LineString" else []
            if geometry.get("type") == "MultiLineString":
                lines = geometry.get("coordinates", [])
            speed = float(props.get("maxspeed") or speed_kmh) * 0.8  # trucks rarely reach the limit
            for line in lines:
                for a, b in pairwise(line):
                    i, j = node(a), node(b)
                    d = float(haversine_m([(a[0], a[1]), (b[0], b[1])])[0, 1])
                    pairs = [(i, j)] if props.get("oneway") is True else [(i, j), (j, i)]
                    for u, v in pairs:
                        rows.append(u)
                        cols.append(v)
                        metres.append(max(d, 0.01))
                        seconds.append(max(d, 0.01) / (speed / 3.6))
        if not index:
            raise ValueError(
                "the road network has no LineString feature: give CITYOS_WASTE_ROAD_NETWORK a GeoJSON file"
                " of the roads as LineStrings, or leave it empty for straight-line travel times"
            )
        n = len(index)
        nodes = np.array(list(index.keys()), dtype=np.float64)
        return cls(
            nodes,
            csr_matrix((metres, (rows, cols)), shape=(n, n)),
            csr_matrix((seconds, (rows, cols)), shape=(n, n)),
            speed_kmh,
        )

    @classmethod
    def from_file(cls, path: str | Path, *, speed_kmh: float = 25.0) -> RoadNetwork:
        return cls.from_geojson(json.loads(Path(path).read_text()), speed_kmh=speed_kmh)

    def matrices(self, points: Sequence[tuple[float, float]]) -> tuple[Matrix, Matrix]:
        coords = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        # Snap on a local equirectangular projection so longitude degrees are not overweighted.
        scale = np.cos(np.radians(float(self.nodes[:, 1].mean())))
        tree = cKDTree(self.nodes * [scale, 1.0])
        _, nearest = tree.query(coords * [scale, 1.0])
        unique, inverse = np.unique(nearest, return_inverse=True)
        # Off-network legs (point to its vertex) are added at the default speed.
        walk = np.array(
            [float(haversine_m([tuple(p), tuple(self.nodes[k])])[0, 1]) for p, k in zip(coords, nearest, strict=True)]
        )
        metres = dijkstra(self.length, directed=True, indices=unique)[:, unique][np.ix_(inverse, inverse)]
        seconds = dijkstra(self.time, directed=True, indices=unique)[:, unique][np.ix_(inverse, inverse)]
        # Unreachable pairs (a disconnected piece) fall back to a long straight-line detour.
        fallback = haversine_m(coords) * 3.0
        metres = np.where(np.isinf(metres), fallback, metres) + walk[:, None] + walk[None, :]
        seconds = np.where(np.isinf(seconds), fallback / (self.speed_kmh / 3.6), seconds)
        seconds = seconds + (walk[:, None] + walk[None, :]) / (self.speed_kmh / 3.6)
        np.fill_diagonal(metres, 0)
        np.fill_diagonal(seconds, 0)
        return np.rint(metres).astype(np.int64), np.rint(seconds).astype(np.int64)
