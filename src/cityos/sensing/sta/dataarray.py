"""The dataArray extension (OGC 18-088, 14.3): many observations in one compact request."""

from __future__ import annotations

from typing import Any

from cityos.core.accounts.models import User
from cityos.sensing import services
from cityos.sensing.sta.errors import StaError

COMPONENTS = {
    "phenomenonTime",
    "resultTime",
    "result",
    "resultQuality",
    "validTime",
    "parameters",
    "FeatureOfInterest/id",
}


def _datastream_id(group: dict[str, Any], position: int) -> int:
    reference = group.get("Datastream")
    pk = reference.get("@iot.id") if isinstance(reference, dict) else None
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise StaError(f'item {position}: Datastream must be {{"@iot.id": <number>}}')
    return pk


def decode(groups: Any) -> list[services.NewObservation | StaError]:
    """Rows as observations, or the reason a row cannot be read, in request order."""
    if not isinstance(groups, list):
        raise StaError("CreateObservations takes a JSON list of {Datastream, components, dataArray} objects.")
    rows: list[services.NewObservation | StaError] = []
    for position, group in enumerate(groups):
        if not isinstance(group, dict):
            raise StaError(f"item {position}: must be an object with Datastream, components and dataArray")
        if "MultiDatastream" in group:
            raise StaError(f"item {position}: MultiDatastreams are not supported")
        datastream_id = _datastream_id(group, position)
        components = group.get("components")
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise StaError(f"item {position}: components must be a list of names")
        unknown = [c for c in components if c not in COMPONENTS]
        if unknown:
            raise StaError(f"item {position}: unknown components {unknown}; known: {sorted(COMPONENTS)}")
        if "result" not in components:
            raise StaError(f"item {position}: components must include result")
        data_array = group.get("dataArray")
        if not isinstance(data_array, list):
            raise StaError(f"item {position}: dataArray must be a list of rows")
        width = len(components)
        for values in data_array:
            if not isinstance(values, list) or len(values) != width:
                rows.append(StaError(f"a row must be a list of {width} values, one per component"))
                continue
            member = dict(zip(components, values, strict=True))
            foi = member.pop("FeatureOfInterest/id", None)
            try:
                if foi is not None and (isinstance(foi, bool) or not isinstance(foi, int)):
                    raise StaError("FeatureOfInterest/id must be a number")
                rows.append(services.observation_from_json(member, datastream_id, foi))
            except StaError as error:
                rows.append(error)
    return rows


def create_from_data_array(groups: Any, *, user: User | None, base: str) -> list[str]:
    """Stores every readable row; answers a self link per row, or "error" for a row refused."""
    decoded = decode(groups)
    valid = [row for row in decoded if isinstance(row, services.NewObservation)]
    outcomes = iter(services.create_observations(valid, user=user))
    links: list[str] = []
    for row in decoded:
        outcome = row if isinstance(row, StaError) else next(outcomes)
        links.append(f"{base}/Observations({outcome})" if isinstance(outcome, int) else "error")
    return links
