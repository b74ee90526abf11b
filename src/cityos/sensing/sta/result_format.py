"""Reading Observations as data arrays: ``$resultFormat=dataArray`` (OGC 18-088, 14.3).

The page of Observations a request names (``$filter``, ``$orderby``, ``$top``, ``$skip``,
``$count`` apply as to entities) is answered as one compact table per Datastream, in the order
the page meets them::

    {"@iot.count": 42,
     "value": [{"Datastream@iot.navigationLink": ".../Datastreams(1)",
                "components": ["id", "phenomenonTime", "resultTime", "result", ...],
                "dataArray@iot.count": 3,
                "dataArray": [[1, "2005-08-05T12:21:13Z", null, 20], ...]}],
     "@iot.nextLink": "...?$resultFormat=dataArray&$top=3&$skip=3"}

``components`` are the Observation's properties in the standard's order, or those ``$select``
names in the order it names them (as FROST keeps them), which may include ``FeatureOfInterest/id``;
each row holds their values in that order, as the entity JSON would. It is the shape
``POST /CreateObservations`` reads (:mod:`cityos.sensing.sta.dataarray`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from django.db.models import QuerySet
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.options import DATA_ARRAY_LINK, Options
from cityos.sensing.sta.render import Renderer
from cityos.sensing.sta.schema import EntityType, property_value

COMPONENTS = ("id", "phenomenonTime", "resultTime", "result", "resultQuality", "validTime", "parameters")


def components(options: Options) -> list[str]:
    """The columns: every property, or those ``$select`` names in its order (no navigation link
    but ``FeatureOfInterest/id``)."""
    if options.select is None:
        return list(COMPONENTS)
    links = sorted(options.select - {*COMPONENTS, DATA_ARRAY_LINK})
    if links:
        raise StaError(
            _(
                "$select: a dataArray has a column per Observation property (%(properties)s) "
                "and %(link)s, not %(names)s; each group already links its Datastream"
            )
            % {"properties": ", ".join(COMPONENTS), "link": DATA_ARRAY_LINK, "names": ", ".join(links)}
        )
    return list(options.select_order)


def cell(entity_type: EntityType, name: str, observation: Any) -> Any:
    """One component's value in an Observation's row."""
    if name == DATA_ARRAY_LINK:
        return observation.feature_of_interest_id
    return property_value(entity_type, name, observation)


def data_array_response(
    entity_type: EntityType,
    queryset: QuerySet[Any],
    options: Options,
    *,
    base: str,
    collection: bool,
    next_link: Callable[[], str],
) -> HttpResponse:
    """The page of ``queryset`` (Observations) as data arrays grouped per Datastream."""
    if entity_type.name != "Observation":
        raise StaError(
            _("$resultFormat=dataArray is for Observations (/Observations, /Datastreams(1)/Observations), not %(type)s")
            % {"type": entity_type.plural}
        )
    if not collection:
        raise StaError(
            _("$resultFormat=dataArray reads a collection of Observations, not one entity, property or $ref")
        )
    if options.expand:
        raise StaError(_("$resultFormat=dataArray cannot be combined with $expand: its rows hold no related entities"))
    columns = components(options)
    page, more, count = Renderer.page(options.apply(queryset), options)
    groups: dict[int, list[list[Any]]] = {}  # datastream id -> rows, in the order the page meets them
    for observation in page:
        row = [cell(entity_type, name, observation) for name in columns]
        groups.setdefault(observation.datastream_id, []).append(row)
    body: dict[str, Any] = {}
    if count is not None:
        body["@iot.count"] = count
    body["value"] = [
        {
            "Datastream@iot.navigationLink": f"{base}/Datastreams({datastream_id})",
            "components": columns,
            "dataArray@iot.count": len(rows),
            "dataArray": rows,
        }
        for datastream_id, rows in groups.items()
    ]
    if more:
        body["@iot.nextLink"] = next_link()
    try:
        content = orjson.dumps(body)  # pages of up to 10,000 rows: several times json's speed
    except TypeError:  # an integer beyond 64 bits, stored by a path other than this API's
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(content, content_type="application/json")
