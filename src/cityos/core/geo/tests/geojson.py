"""Small GeoJSON documents for the tests: districts as squares near (0, 0)."""

from __future__ import annotations

import json
from typing import Any


def square(x: float, y: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0.01], [0.01, 0], [0, 0.01], [0, 0]]]}


def feature(code: Any = "west", name: Any = "West", geometry: Any = None, **properties: Any) -> dict[str, Any]:
    props = {"code": code, "name": name, **properties}
    props = {k: v for k, v in props.items() if v is not None}
    return {"type": "Feature", "geometry": square(0, 0) if geometry is None else geometry, "properties": props}


def collection(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def two_districts() -> str:
    return collection(
        feature("west", "West", square(0, 0), names={"zh-hant": "西區", "es": "Oeste"}, population=1200),
        feature("east", "East", square(0.01, 0), name_es="Este"),
    )
