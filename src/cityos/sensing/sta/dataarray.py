"""The dataArray extension (OGC 18-088, 14.3): many observations in one compact request."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

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
        raise StaError(_('item %(position)s: Datastream must be {"@iot.id": <number>}') % {"position": position})
    return pk


def _rows(
    datastream_id: int, components: list[str], data_array: list[Any], width: int
) -> list[services.NewObservation | StaError]:
    """Decodes rows by column position, without a dict per row: batches hold a million rows."""
    position = {name: i for i, name in enumerate(components)}
    at_time, at_result = position.get("phenomenonTime"), position["result"]
    at_result_time, at_quality = position.get("resultTime"), position.get("resultQuality")
    at_valid, at_parameters = position.get("validTime"), position.get("parameters")
    at_foi = position.get("FeatureOfInterest/id")
    # The usual gateway row: [time, result]. Checked inline; anything unusual takes the general path.
    simple = at_time is not None and width == 2
    new = services.NewObservation
    out: list[services.NewObservation | StaError] = []
    append = out.append
    for values in data_array:
        if type(values) is not list or len(values) != width:
            append(StaError(_("a row must be a list of %(width)s values, one per component") % {"width": width}))
            continue
        if simple:
            text = values[at_time]  # type: ignore[index]
            if type(text) is str:
                try:
                    when = datetime.fromisoformat(text)
                except ValueError:
                    pass
                else:
                    if when.tzinfo is not None and services.FIRST_YEAR <= when.year <= services.LAST_YEAR:
                        append(new(datastream_id, (when, None), values[at_result]))
                        continue
        try:
            time = None if at_time is None else values[at_time]
            phenomenon = None if time is None else services.parse_interval(time, "phenomenonTime")
            result_time = (
                None
                if at_result_time is None or values[at_result_time] is None
                else services.parse_time(values[at_result_time], "resultTime")
            )
            valid = (
                None
                if at_valid is None or values[at_valid] is None
                else services.parse_interval(values[at_valid], "validTime")
            )
            parameters = None if at_parameters is None else values[at_parameters]
            if parameters is not None and not isinstance(parameters, dict):
                raise StaError(_("parameters must be a JSON object."))
            foi = None if at_foi is None else values[at_foi]
            if foi is not None and (isinstance(foi, bool) or not isinstance(foi, int)):
                raise StaError(_("FeatureOfInterest/id must be a number"))
        except StaError as error:
            append(error)
            continue
        append(
            new(
                datastream_id,
                phenomenon,
                values[at_result],
                result_time,
                None if at_quality is None else values[at_quality],
                valid,
                parameters,
                foi,
            )
        )
    return out


def decode(groups: Any) -> list[services.NewObservation | StaError]:
    """Rows as observations, or the reason a row cannot be read, in request order."""
    if not isinstance(groups, list):
        raise StaError(_("CreateObservations takes a JSON list of {Datastream, components, dataArray} objects."))
    rows: list[services.NewObservation | StaError] = []
    for position, group in enumerate(groups):
        if not isinstance(group, dict):
            raise StaError(
                _("item %(position)s: must be an object with Datastream, components and dataArray")
                % {"position": position}
            )
        if "MultiDatastream" in group:
            raise StaError(_("item %(position)s: MultiDatastreams are not supported") % {"position": position})
        datastream_id = _datastream_id(group, position)
        components = group.get("components")
        if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
            raise StaError(_("item %(position)s: components must be a list of names") % {"position": position})
        unknown = [c for c in components if c not in COMPONENTS]
        if unknown:
            raise StaError(
                _("item %(position)s: unknown components %(unknown)s; known: %(known)s")
                % {"position": position, "unknown": unknown, "known": sorted(COMPONENTS)}
            )
        # Each component names one column of every row: a name given twice leaves it unclear
        # which column holds the value, so the request is refused whole, as for an unknown name.
        repeated = sorted(name for name, count in Counter(components).items() if count > 1)
        if repeated:
            raise StaError(
                _("item %(position)s: components names %(repeated)s more than once; name each column once")
                % {"position": position, "repeated": repeated}
            )
        if "result" not in components:
            raise StaError(_("item %(position)s: components must include result") % {"position": position})
        data_array = group.get("dataArray")
        if not isinstance(data_array, list):
            raise StaError(_("item %(position)s: dataArray must be a list of rows") % {"position": position})
        width = len(components)
        rows.extend(_rows(datastream_id, components, data_array, width))
    return rows


def create_from_data_array(
    groups: Any, *, user: User | None, base: str, only_datastreams: set[int] | None = None
) -> list[str]:
    """Stores every readable row; answers a self link per row, or "error" for a row refused."""
    decoded = decode(groups)
    valid = [row for row in decoded if isinstance(row, services.NewObservation)]
    outcomes = iter(services.create_observations(valid, user=user, only_datastreams=only_datastreams))
    links: list[str] = []
    for row in decoded:
        outcome = row if isinstance(row, StaError) else next(outcomes)
        links.append(f"{base}/Observations({outcome})" if isinstance(outcome, int) else "error")
    return links
