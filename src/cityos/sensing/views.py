"""Exports of a datastream's observations over a time range, as CSV or GeoJSON.

Streamed, so a year of one-second data leaves memory flat. Reads follow the SensorThings
API's rules: public unless CITYOS_STA_PUBLIC_READ is false, and a private Thing's datastream
(a home's) only for the staff whose role covers it, each export audited.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cityos.core.audit.context import acting_as
from cityos.core.audit.models import AuditAction
from cityos.core.audit.services import record_access
from cityos.sensing import conf, selectors
from cityos.sensing.services import no_entity_message, parse_time
from cityos.sensing.sta.errors import NotFound, StaError, Unauthorized
from cityos.sensing.sta.privacy import Visibility
from cityos.sensing.sta.schema import format_time
from cityos.sensing.sta.views import actor_of, caller, error_response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _time_param(request: HttpRequest, name: str) -> Any:
    value = request.GET.get(name)
    return parse_time(value, name) if value else None


def _csv(datastream_id: int, rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(["id", "datastream", "phenomenon_time_start", "phenomenon_time_end", "result_time", "result"])
    for row in rows:
        result = row["result"]
        yield writer.writerow(
            [
                row["id"],
                datastream_id,
                format_time(row["phenomenon_time_start"]),
                format_time(row["phenomenon_time_end"]) or "",
                format_time(row["result_time"]) or "",
                result if isinstance(result, str) else json.dumps(result),
            ]
        )


def _geojson(datastream_id: int, rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield '{"type": "FeatureCollection", "features": ['
    geometries: dict[int, Any] = {}
    first = True
    for row in rows:
        foi = row["feature_of_interest_id"]
        if foi not in geometries:
            geometries.update(selectors.feature_geometries({foi}))
        feature = {
            "type": "Feature",
            "id": row["id"],
            "geometry": geometries.get(foi),
            "properties": {
                "datastream": datastream_id,
                "phenomenonTime": format_time(row["phenomenon_time_start"]),
                "resultTime": format_time(row["result_time"]),
                "result": row["result"],
            },
        }
        yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
        first = False
    yield "]}"


@require_GET
def export_observations(request: HttpRequest, pk: str, fmt: str) -> HttpResponseBase:
    """``/sensing/datastreams/<id>/observations.csv?from=...&to=...`` (or ``.geojson``)."""
    try:
        user = caller(request)
        if user is None and not conf.public_reads():
            raise Unauthorized(_("Reading sensing data needs a signed-in session or an API token."))
        datastream = selectors.datastream(int(pk))
        visibility = Visibility.of(user)
        if datastream is None or not visibility.sees("Datastream", datastream.pk):
            raise NotFound(no_entity_message("Datastream", pk))
        start, end = _time_param(request, "from"), _time_param(request, "to")
        if start and end and end <= start:
            raise StaError(_("to must be after from."))
    except StaError as error:
        return error_response(error)
    if datastream.thing.private:  # a home's readings, exported by staff whose role covers it
        with acting_as(actor_of(request, user)):
            record_access(datastream, ("observations",), action=AuditAction.EXPORT)
    rows = selectors.observation_rows(int(pk), start, end)
    filename = f"datastream-{pk}-observations.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv(int(pk), rows), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(_geojson(int(pk), rows), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
