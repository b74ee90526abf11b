"""Reads of sensing data for pages, exports and other modules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from cityos.sensing.models import Datastream, FeatureOfInterest, Observation


def datastream(pk: int) -> Datastream | None:
    return Datastream.objects.select_related("thing", "observed_property").filter(pk=pk).first()


def observation_rows(datastream_id: int, start: datetime | None, end: datetime | None) -> Iterator[dict[str, Any]]:
    """One datastream's observations in time order, streamed from the database in chunks."""
    observations = Observation.objects.filter(datastream_id=datastream_id)
    if start is not None:
        observations = observations.filter(phenomenon_time_start__gte=start)
    if end is not None:
        observations = observations.filter(phenomenon_time_start__lt=end)
    columns = ("id", "phenomenon_time_start", "phenomenon_time_end", "result_time", "result", "feature_of_interest_id")
    yield from observations.order_by("phenomenon_time_start", "id").values(*columns).iterator(chunk_size=5000)


def feature_geometries(ids: set[int]) -> dict[int, Any]:
    features = FeatureOfInterest.objects.filter(pk__in=ids).values_list("pk", "feature")
    return {pk: (f.get("geometry") if isinstance(f, dict) and f.get("type") == "Feature" else f) for pk, f in features}
