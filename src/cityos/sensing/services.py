"""Every write to sensing data: the SensorThings API calls these, and so will MQTT ingest.

Each public function validates its input, runs in one transaction and publishes events on
commit. Observations are written in batches (:func:`create_observations`), whatever their
source: one HTTP POST, a dataArray of thousands, or an MQTT batch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

import orjson
from django.db import IntegrityError, connections, models, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from cityos.core.accounts.models import Department, Role, User
from cityos.core.events import publish
from cityos.core.geo.models import District
from cityos.core.inputs import JSON_NUL_ESCAPE, nul_path
from cityos.sensing.events import EntityChanged, ObservationsCreated
from cityos.sensing.geojson import check_geojson
from cityos.sensing.models import (
    GEOJSON,
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Location,
    Observation,
    ObservationRollup,
    ObservationType,
    Thing,
)
from cityos.sensing.sta.errors import Forbidden, NotFound, StaError
from cityos.sensing.sta.schema import ENTITY_TYPES, EntityType
from cityos.sensing.timeseries import rollups

# Staff roles that may create and change sensing data (administrators always may).
WRITER_ROLES = (Role.OPERATOR, Role.DATA_PUBLISHER)
OBSERVATION_BATCH_SIZE = 5000
ONE_HOUR = timedelta(hours=1)


# --- input parsing, shared by HTTP and MQTT ------------------------------------------------
# Years an instant may have: any offset keeps it within Python's 1-9999 once in UTC, and a day
# added to it (rollups, retention) too.
FIRST_YEAR, LAST_YEAR = 2, 9997


def in_range(moment: datetime) -> bool:
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def refuse_nul(body: bytes, data: Any) -> None:
    """Raise :class:`StaError` if the JSON ``data`` decoded from ``body`` holds a NUL character
    (the bytes are looked at first, so clean bodies cost one scan)."""
    if JSON_NUL_ESCAPE in body and nul_path(data) is not None:
        raise StaError(_("Null characters (\\u0000) are not allowed."))


def parse_time(value: Any, name: str) -> datetime:
    """An ISO 8601 instant with a time zone; without one it would be ambiguous, so it is refused."""
    if type(value) is str:  # the well-formed case costs one C call (3.11 reads the Z suffix itself)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None and FIRST_YEAR <= parsed.year <= LAST_YEAR:
                return parsed
    if not isinstance(value, str):
        raise StaError(_("%(name)s must be an ISO 8601 time in text, such as 2026-01-31T08:00:00Z") % {"name": name})
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise StaError(
            _("%(name)s %(value)s is not an ISO 8601 time such as 2026-01-31T08:00:00Z")
            % {"name": name, "value": repr(value)}
        ) from None
    if parsed.tzinfo is None:
        raise StaError(
            _("%(name)s %(value)s has no time zone; add Z or an offset such as +08:00")
            % {"name": name, "value": repr(value)}
        )
    if not in_range(parsed):
        raise StaError(
            _("%(name)s %(value)s is out of range: give a year from %(first)s to %(last)s")
            % {"name": name, "value": repr(value), "first": f"{FIRST_YEAR:04d}", "last": LAST_YEAR}
        )
    return parsed


def parse_interval(value: Any, name: str) -> tuple[datetime, datetime | None]:
    """An instant, or an interval ``start/end``; the end is None for an instant."""
    if isinstance(value, str) and "/" in value:
        start_text, end_text = value.split("/", 1)
        start, end = parse_time(start_text, name), parse_time(end_text, name)
        if end < start:
            raise StaError(_("%(name)s ends before it starts") % {"name": name})
        return start, end
    return parse_time(value, name), None


def bounding_box(geojson: Any) -> tuple[float, float, float, float] | None:
    from cityos.sensing.sta.compile import geometry_of

    geometry = geometry_of(geojson)
    if geometry is None or geometry.is_empty:
        return None
    min_x, min_y, max_x, max_y = geometry.bounds
    return min_x, min_y, max_x, max_y


def check_geometry(value: Any, name: str) -> dict[str, Any]:
    """A Location's location or a FeatureOfInterest's feature: GeoJSON in WGS 84 degrees, else a
    StaError naming the member at fault (see :mod:`cityos.sensing.geojson`)."""
    check_geojson(value, name)
    if bounding_box(value) is None:  # well formed, yet shapely cannot read it
        raise StaError(
            _("%(name)s must be a GeoJSON geometry or Feature, such as %(example)s")
            % {"name": name, "example": '{"type": "Point", ...}'}
        )
    assert isinstance(value, dict)
    return value


def set_bounding_box(obj: Location | FeatureOfInterest | Datastream, geojson: Any) -> None:
    box = bounding_box(geojson)
    obj.bbox_min_x, obj.bbox_min_y, obj.bbox_max_x, obj.bbox_max_y = box if box else (None, None, None, None)


def check_result(value: Any, observation_type: str, datastream_id: int) -> float | None:
    """Validates ``value`` for the datastream's observationType; returns its numeric copy."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and not math.isfinite(value):
        raise _not_finite()
    fits = {
        ObservationType.MEASUREMENT: is_number,
        ObservationType.COUNT: isinstance(value, int) and not isinstance(value, bool),
        ObservationType.TRUTH: isinstance(value, bool),
        ObservationType.CATEGORY: isinstance(value, str),
    }.get(observation_type)  # type: ignore[call-overload]
    if fits is False:
        kind = observation_type.rsplit("/", 1)[-1]
        raise StaError(
            _("Datastream(%(id)s) is %(kind)s: its result must be %(expected)s, not %(value)s")
            % {"id": datastream_id, "kind": kind, "expected": EXPECTED_RESULTS[observation_type], "value": repr(value)}
        )
    return float(value) if is_number else None


# What each observationType's result must be, in check_result's message.
EXPECTED_RESULTS: dict[str, Promise] = {
    ObservationType.MEASUREMENT: pgettext_lazy("observation result", "a number"),
    ObservationType.COUNT: pgettext_lazy("observation result", "a whole number"),
    ObservationType.TRUTH: pgettext_lazy("observation result", "true or false"),
    ObservationType.CATEGORY: pgettext_lazy("observation result", "text"),
}


def _not_finite() -> StaError:
    return StaError(_("result must be a finite number"))


def thing_kind(properties: Any) -> str:
    """The kind of device named in a Thing's properties ("water-quality"...), or empty."""
    kind = properties.get("kind") if isinstance(properties, dict) else None
    return str(kind).strip()[: Thing._meta.get_field("kind").max_length] if kind not in (None, "") else ""


# Kinds of thing that watch people (a home's rooms...): every Thing of one is private, whatever
# its properties say. Declared at start-up by the module that knows why (monitoring declares
# "home-climate"); a Thing of another kind is private when its properties.private is true.
_PRIVATE_KINDS: set[str] = set()


def declare_private_kind(kind: str) -> None:
    """Every Thing of ``kind`` is private: staff whose sensing role covers it read it, audited;
    nobody else sees it, its place, datastreams or observations (cityos.sensing.sta.privacy)."""
    _PRIVATE_KINDS.add(kind)


def private_kinds() -> frozenset[str]:
    return frozenset(_PRIVATE_KINDS)


def thing_private(properties: Any, kind: str, *, current: bool = False) -> bool:
    """Whether a Thing with these properties is private: its kind was declared private, or
    properties.private says so (a true or false; without it, a Thing stays as it was)."""
    flag = properties.get("private") if isinstance(properties, dict) else None
    if flag is not None and not isinstance(flag, bool):
        raise StaError(_("properties.private must be true or false, not %(value)s.") % {"value": repr(flag)})
    return kind in _PRIVATE_KINDS or (flag if flag is not None else current)


def _finite(value: float) -> float:
    if value - value != 0:  # inf - inf and nan - nan are nan; a finite number gives 0
        raise _not_finite()
    return value


def result_checker(observation_type: str, datastream_id: int) -> Callable[[Any], float | None]:
    """A fast check of results for one datastream (what :func:`check_result` does, per item).

    Batches of a million results are checked here, so the common cases (a float for a
    measurement) take one type test.
    """

    def measurement(value: Any) -> float | None:
        kind = type(value)
        if kind is float:
            return _finite(value)
        if kind is int:
            return float(value)
        return check_result(value, observation_type, datastream_id)

    def count(value: Any) -> float | None:
        return float(value) if type(value) is int else check_result(value, observation_type, datastream_id)

    def other(value: Any) -> float | None:
        return check_result(value, observation_type, datastream_id)

    if observation_type == ObservationType.MEASUREMENT:
        return measurement
    if observation_type == ObservationType.COUNT:
        return count
    return other


# --- permissions ---------------------------------------------------------------------------
def can_write(user: User | None, department_id: int | None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    department = Department(pk=department_id) if department_id else None
    return any(user.has_role(role, department=department) for role in WRITER_ROLES)


def require_write(user: User | None, department_id: int | None) -> None:
    if not can_write(user, department_id):
        raise Forbidden(_("Only operators or data publishers of the department that owns this thing may change it."))


def owning_department_id(entity_type: str, obj: models.Model) -> int | None:
    if isinstance(obj, Thing):
        return obj.department_id
    if isinstance(obj, Datastream | HistoricalLocation):
        return obj.thing.department_id
    if isinstance(obj, Observation):
        return obj.datastream.thing.department_id
    return None


# --- generic entity writing ----------------------------------------------------------------
@dataclass
class Parent:
    """Entities the new one is linked to by the URL or by the enclosing deep insert."""

    links: dict[str, models.Model] = field(default_factory=dict)
    # The writer's token may only publish Observations to these datastreams (PublishGrant).
    only_datastreams: set[int] | None = None


def _is_reference(data: Mapping[str, Any]) -> bool:
    """An entity with an ``@iot.id`` links to that entity; its other members are ignored (as FROST does)."""
    return "@iot.id" in data


def _writer_visibility(user: User | None, *, system: bool = False) -> Any:
    """What of private Things the writer sees (a ``sta.privacy.Visibility``); None: everything
    (the platform itself). Set by the SensorThings API for its request, else found here."""
    from cityos.sensing.sta.privacy import Visibility, current_visibility  # the STA layer; imported late

    if system:
        return None
    return current_visibility() or Visibility.of(user)


def _lookup(type_name: str, pk: Any) -> models.Model:
    entity_type = ENTITY_TYPES[type_name]
    if isinstance(pk, bool) or not isinstance(pk, int | str) or not str(pk).isdigit():
        raise StaError(
            _("@iot.id of a %(type)s must be a whole number, not %(value)s") % {"type": type_name, "value": repr(pk)}
        )
    obj = entity_type.model._default_manager.filter(pk=int(pk)).first()
    # A private Thing's entities the writer may not see are not there for them: a link to one
    # would confirm it exists, and could make its Location or feature (a home) public.
    from cityos.sensing.sta.privacy import current_visibility  # the STA layer; imported late

    visibility = current_visibility()
    if obj is None or (visibility is not None and not visibility.sees(type_name, obj.pk)):
        raise StaError(no_entity_message(type_name, pk))
    return obj


def no_entity_message(type_name: str, pk: object) -> str:
    return _("There is no %(type)s with @iot.id %(id)s.") % {"type": type_name, "id": pk}


def _entity_data(data: Any, type_name: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise StaError(_("A %(type)s must be a JSON object.") % {"type": type_name})
    return data


def _values(entity_type: EntityType, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Model field values from the entity's JSON, validated; unknown members are refused."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key.startswith("@iot.") or key in entity_type.navs:
            continue
        prop = entity_type.props.get(key)
        if prop is None or not prop.writable or prop.kind == "id":
            known = ", ".join(n for n, p in entity_type.props.items() if p.writable and p.kind != "id")
            raise StaError(
                _("%(type)s has no writable property %(name)s (it has %(known)s).")
                % {"type": entity_type.name, "name": repr(key), "known": known}
            )
        if prop.kind == "string":
            if not isinstance(value, str):
                raise StaError(_("%(name)s of a %(type)s must be text.") % {"name": key, "type": entity_type.name})
            values[prop.field] = value
        elif prop.kind == "geometry":
            values[prop.field] = check_geometry(value, key)
        elif prop.kind == "datetime":
            values[prop.field] = None if value is None and not prop.required else parse_time(value, key)
        elif prop.kind == "interval":
            start, end = (None, None) if value is None else parse_interval(value, key)
            values[prop.field], values[prop.end_field] = start, end
        elif key == "properties" and value is not None and not isinstance(value, dict):
            raise StaError(_("properties of a %(type)s must be a JSON object.") % {"type": entity_type.name})
        elif key == "unitOfMeasurement" and not isinstance(value, dict):
            raise StaError(_("unitOfMeasurement must be an object with name, symbol and definition."))
        else:
            values[prop.field] = value
    if not partial:
        for name, prop in entity_type.props.items():
            if prop.required and prop.kind != "result" and name not in data:
                raise StaError(_("A %(type)s needs %(name)s.") % {"type": entity_type.name, "name": name})
    if values.get("observation_type") is not None and values["observation_type"] not in ObservationType.values:
        raise StaError(_("observationType must be one of: %(types)s") % {"types": ", ".join(ObservationType.values)})
    return values


def _link_or_create(type_name: str, data: Any, user: User | None, parent: Parent) -> models.Model:
    data = _entity_data(data, type_name)
    if _is_reference(data):
        return _lookup(type_name, data["@iot.id"])
    return _create(type_name, data, user, parent)


def _to_one(entity_type: EntityType, nav_name: str, data: dict[str, Any], user: User | None, parent: Parent) -> Any:
    if nav_name in parent.links:
        return parent.links[nav_name]
    if nav_name not in data:
        return None
    return _link_or_create(entity_type.navs[nav_name].target, data[nav_name], user, Parent())


def _list(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise StaError(_("%(name)s must be a list of entities.") % {"name": name})
    return value


def _owner(properties: Any, user: User | None) -> tuple[int | None, int | None]:
    """A new Thing's department and district: named in properties, else the writer's own."""
    properties = properties if isinstance(properties, dict) else {}
    department_id = None
    if properties.get("department"):
        department = Department.objects.filter(code=str(properties["department"])).first()
        if department is None:
            raise StaError(
                _("properties.department: there is no department with code %(code)s.")
                % {"code": repr(properties["department"])}
            )
        department_id = department.pk
    elif user is not None and user.is_authenticated:
        departments = {r.department_id for r in user.staff_roles.all() if r.role in (*WRITER_ROLES, Role.ADMINISTRATOR)}
        if len(departments) == 1:
            department_id = departments.pop()
    district_id = None
    if properties.get("district"):
        district = District.objects.filter(code=str(properties["district"])).first()
        if district is None:
            raise StaError(
                _("properties.district: there is no district with code %(code)s.")
                % {"code": repr(properties["district"])}
            )
        district_id = district.pk
    return department_id, district_id


def _locations(data: dict[str, Any], user: User | None) -> list[Location]:
    return [cast(Location, _link_or_create("Location", item, user, Parent())) for item in _list(data, "Locations")]


def _new_historical_location(thing: Thing, locations: Iterable[Location]) -> HistoricalLocation:
    historical = HistoricalLocation.objects.create(thing=thing, time=timezone.now())
    historical.locations.set(list(locations))
    return historical


def _create(type_name: str, data: dict[str, Any], user: User | None, parent: Parent) -> models.Model:
    entity_type = ENTITY_TYPES[type_name]
    if type_name == "Observation":
        if parent.only_datastreams is not None:
            for name in ("Datastream", "FeatureOfInterest"):
                if name in data and not (isinstance(data[name], dict) and _is_reference(data[name])):
                    raise Forbidden(
                        _("This token may only publish Observations; link %(name)s by %(reference)s.")
                        % {"name": name, "reference": '{"@iot.id": ...}'}
                    )
        datastream = _to_one(entity_type, "Datastream", data, user, parent)
        foi = _to_one(entity_type, "FeatureOfInterest", data, user, parent)
        if datastream is None:
            raise StaError(
                _("An Observation needs its Datastream, e.g. %(example)s.")
                % {"example": '"Datastream": {"@iot.id": 1}'}
            )
        new = observation_from_json(data, datastream.pk, foi.pk if foi else None)
        (result,) = _store_observations([new], user, strict=True, only_datastreams=parent.only_datastreams)
        assert isinstance(result, int)
        return Observation.objects.get(pk=result)
    values = _values(entity_type, data, partial=False)
    for nav_name, nav in entity_type.navs.items():
        if nav_name in data and not nav.many and not isinstance(data[nav_name], dict):
            raise StaError(
                _("%(name)s must be an entity object or %(reference)s.")
                % {"name": nav_name, "reference": '{"@iot.id": ...}'}
            )
    obj: models.Model
    if type_name == "Thing":
        department_id, district_id = _owner(values.get("properties"), user)
        require_write(user, department_id)
        kind = thing_kind(values.get("properties"))
        obj = Thing.objects.create(
            **values,
            kind=kind,
            private=thing_private(values.get("properties"), kind),
            department_id=department_id,
            district_id=district_id,
        )
        locations = _locations(data, user)
        if "Locations" in parent.links:  # POST /Locations(1)/Things
            locations.append(cast(Location, parent.links["Locations"]))
        if locations:
            obj.locations.set(locations)
            _new_historical_location(obj, locations)
        for item in _list(data, "Datastreams"):
            _create("Datastream", _entity_data(item, "Datastream"), user, Parent({"Thing": obj}))
    elif type_name == "Location":
        require_write(user, None)
        obj = Location(**values)
        set_bounding_box(obj, values.get("location"))
        obj.save()
        things = [_link_or_create("Thing", item, user, Parent()) for item in _list(data, "Things")]
        if "Things" in parent.links:
            things.append(parent.links["Things"])
        for thing in things:
            assert isinstance(thing, Thing)
            require_write(user, thing.department_id)
            thing.locations.set([obj])  # a Thing's Location is replaced, with a history entry
            _new_historical_location(thing, [obj])  # type: ignore[list-item]
    elif type_name == "HistoricalLocation":
        thing = _to_one(entity_type, "Thing", data, user, parent)
        if thing is None:
            raise StaError(_("A HistoricalLocation needs its Thing."))
        require_write(user, thing.department_id)
        obj = HistoricalLocation.objects.create(thing=thing, **values)
        obj.locations.set(_locations(data, user))
    elif type_name == "Datastream":
        links = {
            name: _to_one(entity_type, name, data, user, parent) for name in ("Thing", "Sensor", "ObservedProperty")
        }
        missing = [name for name, linked in links.items() if linked is None]
        if missing:
            raise StaError(
                _("A Datastream needs its %(links)s.")
                % {"links": get_text_list(missing, pgettext("the last of a list", "and"))}
            )
        require_write(user, links["Thing"].department_id)
        obj = Datastream.objects.create(
            **values, thing=links["Thing"], sensor=links["Sensor"], observed_property=links["ObservedProperty"]
        )
        observations = _list(data, "Observations")
        if observations:
            rows = []
            for item in observations:
                item = _entity_data(item, "Observation")
                foi = _to_one(ENTITY_TYPES["Observation"], "FeatureOfInterest", item, user, Parent())
                rows.append(observation_from_json(item, obj.pk, foi.pk if foi else None))
            _store_observations(rows, user, strict=True)
    elif type_name in ("Sensor", "ObservedProperty"):
        require_write(user, None)
        obj = entity_type.model._default_manager.create(**values)
        for item in _list(data, "Datastreams"):
            _create("Datastream", _entity_data(item, "Datastream"), user, Parent({type_name: obj}))
    elif type_name == "FeatureOfInterest":
        require_write(user, None)
        obj = FeatureOfInterest(**values)
        set_bounding_box(obj, values.get("feature"))
        obj.save()
        for item in _list(data, "Observations"):
            _create("Observation", _entity_data(item, "Observation"), user, Parent({"FeatureOfInterest": obj}))
    else:  # pragma: no cover - every type is handled above
        raise StaError(_("%(type)s cannot be created.") % {"type": type_name})
    publish(EntityChanged(entity_type=type_name, id=obj.pk, change="created"))
    return obj


def create_entity(
    type_name: str,
    data: Any,
    *,
    user: User | None,
    links: dict[str, models.Model] | None = None,
    only_datastreams: set[int] | None = None,
) -> Any:
    """Creates an entity with everything nested in it (deep insert) or linked by ``@iot.id``.

    ``only_datastreams``: the writer's token is limited by PublishGrants; it may then create
    only Observations, of these datastreams.
    """
    data = _entity_data(data, type_name)
    if only_datastreams is not None and type_name != "Observation":
        raise Forbidden(_("This token may only publish Observations to the datastreams it is granted."))
    with transaction.atomic():
        return _create(type_name, data, user, Parent(dict(links or {}), only_datastreams))


# --- observations in batches ---------------------------------------------------------------
@dataclass(slots=True)
class NewObservation:
    """A decoded observation, before validation against its datastream."""

    datastream_id: int
    phenomenon_time: tuple[datetime, datetime | None] | None
    result: Any
    result_time: datetime | None = None
    result_quality: Any = None
    valid_time: tuple[datetime, datetime | None] | None = None
    parameters: Any = None
    feature_of_interest_id: int | None = None


_OBSERVATION_MEMBERS = frozenset(ENTITY_TYPES["Observation"].props) | {"Datastream", "FeatureOfInterest"}


def observation_from_json(data: Mapping[str, Any], datastream_id: int, foi_id: int | None) -> NewObservation:
    """Decodes an Observation's JSON members; raises :class:`StaError` on any bad member."""
    for key in data:
        if not key.startswith("@iot.") and key not in _OBSERVATION_MEMBERS:
            raise StaError(_("Observation has no property %(name)s.") % {"name": repr(key)})
        if key == "id":
            raise StaError(_("id is given by the server."))
    if "result" not in data:
        raise StaError(_("An Observation needs a result."))
    parameters = data.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise StaError(_("parameters must be a JSON object."))
    phenomenon = data.get("phenomenonTime")
    result_time = data.get("resultTime")
    valid = data.get("validTime")
    return NewObservation(
        datastream_id=datastream_id,
        phenomenon_time=parse_interval(phenomenon, "phenomenonTime") if phenomenon is not None else None,
        result=data["result"],
        result_time=parse_time(result_time, "resultTime") if result_time is not None else None,
        result_quality=data.get("resultQuality"),
        valid_time=parse_interval(valid, "validTime") if valid is not None else None,
        parameters=parameters,
        feature_of_interest_id=foi_id,
    )


def _default_feature(thing: Thing) -> int | None:
    """The FeatureOfInterest made from the Thing's Location, as the standard asks (10.2.1.1)."""
    location = thing.locations.order_by("pk").first()
    if location is None:
        return None
    feature = FeatureOfInterest.objects.filter(from_location=location).first()
    if feature is None:
        feature = FeatureOfInterest(
            name=location.name,
            description=location.description,
            encoding_type=location.encoding_type or GEOJSON,
            feature=location.location,
            from_location=location,
        )
        set_bounding_box(feature, location.location)
        try:
            with transaction.atomic():  # two writers may make it at once; the second uses the first's
                feature.save()
        except IntegrityError:
            feature = FeatureOfInterest.objects.get(from_location=location)
    return feature.pk


def _hold(model: type[Datastream] | type[FeatureOfInterest], ids: set[int]) -> set[int]:
    """Locks these rows against deletion until commit (PostgreSQL), in id order; returns those that exist.

    Observations have no database foreign keys (see the model), so this is what keeps a
    concurrent delete from leaving observations without their datastream or feature: the
    deleter locks the same rows FOR UPDATE first (see :func:`delete_entity`) and so waits.
    """
    connection = connections[model.objects.db]
    if connection.vendor != "postgresql":
        return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {model._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",  # noqa: S608
            [sorted(ids)],
        )
        return {pk for (pk,) in cursor.fetchall()}


def _lock_for_delete(type_name: str, pk: int) -> list[int]:
    """Before a delete that takes observations with it: wait for batches writing to them.

    Returns the datastreams deleted with the entity.
    """
    datastreams = Datastream.objects.none()
    if type_name == "Datastream":
        datastreams = Datastream.objects.filter(pk=pk)
    elif type_name in ("Thing", "Sensor", "ObservedProperty"):
        link = {"Thing": "thing_id", "Sensor": "sensor_id", "ObservedProperty": "observed_property_id"}[type_name]
        datastreams = Datastream.objects.filter(**{link: pk})
    elif type_name == "FeatureOfInterest":
        list(FeatureOfInterest.objects.select_for_update().filter(pk=pk).values_list("pk"))
    return list(datastreams.select_for_update().order_by("pk").values_list("pk", flat=True))


def _existing_default_features(datastreams: Mapping[int, Datastream]) -> dict[int, int]:
    """Each datastream's default FeatureOfInterest (its Thing's first Location's) when it exists;
    two queries for the whole batch instead of two per datastream."""
    things = {ds.thing_id for ds in datastreams.values()}
    first_location: dict[int, int] = {}
    links = Thing.locations.through.objects.filter(thing_id__in=things).values_list("thing_id", "location_id")
    for thing_id, location_id in links:
        if thing_id not in first_location or location_id < first_location[thing_id]:
            first_location[thing_id] = location_id
    made = dict(
        FeatureOfInterest.objects.filter(from_location_id__in=set(first_location.values())).values_list(
            "from_location_id", "pk"
        )
    )
    by_thing = {thing: made[location] for thing, location in first_location.items() if location in made}
    return {pk: by_thing[ds.thing_id] for pk, ds in datastreams.items() if ds.thing_id in by_thing}


def _store_observations(
    items: list[NewObservation],
    user: User | None,
    *,
    strict: bool,
    system: bool = False,
    only_datastreams: set[int] | None = None,
) -> list[int | StaError]:
    """Validates and writes ``items`` (inside the caller's transaction); one result per item.

    ``strict``: the first bad item raises; otherwise bad items get their error and the rest
    are stored (the dataArray extension's contract).
    """
    _hold(Datastream, {item.datastream_id for item in items})  # a deleted datastream then reads as unknown
    # A private Thing's datastreams and features the writer may not see are unknown to them, as
    # its links by @iot.id are (_lookup): "another department" would confirm that a home exists.
    # The SensorThings API sets the writer's visibility; other callers (a dead letter's replay)
    # get the same one here. Only the platform itself (MQTT ingest, simulators) sees everything.
    visibility = _writer_visibility(user, system=system)
    streams = Datastream.objects.select_related("thing").filter(pk__in={item.datastream_id for item in items})
    datastreams = (streams if visibility is None else visibility.restrict("Datastream", streams)).in_bulk()
    features: dict[int, int | None] = {}
    named_features = FeatureOfInterest.objects.filter(
        pk__in={i.feature_of_interest_id for i in items if i.feature_of_interest_id}
    )
    if visibility is not None:
        named_features = visibility.restrict("FeatureOfInterest", named_features)
    known_features: set[int] = set(named_features.values_list("pk", flat=True))
    # A request naming an unknown datastream, or one the writer may not touch, is refused whole.
    unknown = sorted({item.datastream_id for item in items} - set(datastreams))
    if unknown:
        raise StaError(no_entity_message("Datastream", ", ".join(map(str, unknown))))
    if only_datastreams is not None:
        outside = sorted(set(datastreams) - only_datastreams)
        if outside:
            raise Forbidden(
                _("This token may only publish to Datastream %(granted)s, not %(others)s.")
                % {"granted": ", ".join(map(str, sorted(only_datastreams))), "others": ", ".join(map(str, outside))}
            )
    for datastream in datastreams.values():
        if not system and not can_write(user, datastream.thing.department_id):
            raise Forbidden(
                _("You may not add observations to Datastream(%(id)s): it belongs to another department.")
                % {"id": datastream.pk}
            )
    now = timezone.now()
    outcomes: list[int | StaError] = []
    rows: list[ObservationRow] = []
    row_positions: list[int] = []
    # Per datastream once, not per item: how to check its results and its default feature.
    checkers = {pk: result_checker(ds.observation_type, pk) for pk, ds in datastreams.items()}
    new_row = tuple.__new__
    if any(item.feature_of_interest_id is None for item in items):
        features.update(_existing_default_features(datastreams))
    for position, item in enumerate(items):
        try:
            datastream_id = item.datastream_id
            number = checkers[datastream_id](item.result)
            foi_id = item.feature_of_interest_id
            if foi_id is None:
                foi_id = features.get(datastream_id, 0)
                if foi_id == 0:
                    foi_id = features[datastream_id] = _default_feature(datastreams[datastream_id].thing)
                if foi_id is None:
                    raise StaError(
                        _("Datastream(%(id)s)'s Thing has no Location, so the Observation needs a FeatureOfInterest.")
                        % {"id": datastream_id}
                    )
            elif foi_id not in known_features:
                raise StaError(no_entity_message("FeatureOfInterest", foi_id))
            start, end = item.phenomenon_time or (now, None)
            valid_start, valid_end = item.valid_time or (None, None)
        except StaError as error:
            if strict:
                raise
            outcomes.append(error)
            continue
        outcomes.append(0)
        row_positions.append(position)
        rows.append(
            new_row(  # tuple.__new__: a NamedTuple's own __new__ is Python code, slow per row
                ObservationRow,
                (
                    datastream_id,
                    start,
                    end,
                    item.result_time,
                    item.result,
                    number,
                    item.result_quality,
                    valid_start,
                    valid_end,
                    item.parameters,
                    foi_id,
                ),
            )
        )
    if rows:
        features_used = {row.feature_of_interest_id for row in rows}
        if len(_hold(FeatureOfInterest, features_used)) < len(features_used):
            raise StaError(_("A FeatureOfInterest of these observations was deleted meanwhile; send them again."))
        ids = insert_observation_rows(rows)
        for position, pk in zip(row_positions, ids, strict=True):
            outcomes[position] = pk
        _upkeep(rows, {pk: ds.thing_id for pk, ds in datastreams.items()})
        publish(ObservationsCreated(ids=ids, datastream_ids=sorted({row.datastream_id for row in rows})))
    return outcomes


class ObservationRow(NamedTuple):
    """One row of the observation table, in column order (without the id)."""

    datastream_id: int
    phenomenon_time_start: datetime
    phenomenon_time_end: datetime | None
    result_time: datetime | None
    result: Any
    result_number: float | None
    result_quality: Any
    valid_time_start: datetime | None
    valid_time_end: datetime | None
    parameters: Any
    feature_of_interest_id: int


OBSERVATION_COLUMNS = ("id", *ObservationRow._fields)
JSON_COLUMNS = {"result", "result_quality", "parameters"}
TIME_COLUMNS = {"phenomenon_time_start", "phenomenon_time_end", "result_time", "valid_time_start", "valid_time_end"}


def json_text(value: Any) -> str:
    """JSON text of a value; numbers (nearly every result) skip the encoder."""
    kind = type(value)
    if kind is float:
        return repr(value)  # finite: checked by check_result
    if kind is int:
        return str(value)
    return _dumps(value)


def _dumps(value: Any) -> str:
    """orjson where it can (the standard encoder costs microseconds per small object at ingest
    rates); the standard one for what orjson refuses, such as integers beyond 64 bits."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def _copy_json(value: Any) -> str:
    """A JSON value as a field of COPY's text format (backslash is COPY's escape character)."""
    kind = type(value)
    if kind is float:
        return repr(value)
    if kind is int:
        return str(value)
    if value is None:
        return "\\N"
    return _dumps(value).replace("\\", "\\\\")  # JSON text has no raw tab or newline


SHORT_COLUMNS = ("id", "datastream_id", "phenomenon_time_start", "result", "result_number", "feature_of_interest_id")


def copy_text(ids: list[int], rows: list[ObservationRow]) -> tuple[tuple[str, ...], Iterator[bytes]]:
    """The rows as COPY text and its columns, built by hand: psycopg's write_row adapts value by
    value, which is most of the time of a large batch. Times go as ISO 8601 with their offset.

    A batch of plain rows (a time and a result, as gateways send) leaves the empty columns out,
    which spares both sides the work of six more fields per row. The text comes in chunks, so
    the database parses one while the next is being built (on two cores, at the same time).
    """
    plain = all(
        row.phenomenon_time_end is None
        and row.result_time is None
        and row.result_quality is None
        and row.valid_time_start is None
        and row.parameters is None
        for row in rows
    )
    return (SHORT_COLUMNS if plain else OBSERVATION_COLUMNS), _copy_chunks(ids, rows, plain)


def _copy_chunks(ids: list[int], rows: list[ObservationRow], plain: bool) -> Iterator[bytes]:
    for first in range(0, len(rows), COPY_CHUNK):
        lines: list[str] = []
        append = lines.append
        chunk = zip(ids[first : first + COPY_CHUNK], rows[first : first + COPY_CHUNK], strict=True)
        if plain:
            for pk, (ds, start, _, _, result, number, _, _, _, _, foi) in chunk:
                if type(result) is float:
                    text = repr(result)
                    append(f"{pk}\t{ds}\t{start.isoformat()}\t{text}\t{text}\t{foi}\n")
                else:
                    append(
                        f"{pk}\t{ds}\t{start.isoformat()}\t{_copy_json(result)}"
                        f"\t{NULL if number is None else repr(number)}\t{foi}\n"
                    )
        else:
            for pk, (
                ds,
                start,
                end,
                result_time,
                result,
                number,
                quality,
                valid_start,
                valid_end,
                params,
                foi,
            ) in chunk:
                append(
                    f"{pk}\t{ds}\t{start.isoformat()}\t{NULL if end is None else end.isoformat()}"
                    f"\t{NULL if result_time is None else result_time.isoformat()}\t{_copy_json(result)}"
                    f"\t{NULL if number is None else repr(number)}\t{NULL if quality is None else _copy_json(quality)}"
                    f"\t{NULL if valid_start is None else valid_start.isoformat()}"
                    f"\t{NULL if valid_end is None else valid_end.isoformat()}"
                    f"\t{NULL if params is None else _copy_json(params)}\t{foi}\n"
                )
        yield "".join(lines).encode()


COPY_CHUNK = 2000
NULL = "\\N"


ID_BLOCK = 1000  # the observation id sequence's increment on PostgreSQL (migration 0004)
_id_steps: dict[str, int] = {}


def _draw_ids(cursor: Any, table: str, count: int) -> list[int]:
    """``count`` new ids from the table's sequence, atomically, with few nextval calls.

    On PostgreSQL the sequence counts in steps of ID_BLOCK, so each nextval() hands out a
    block of ids no one else gets: a batch of 10,000 costs 10 calls instead of 10,000 (which
    took as long as the COPY itself). A single insert wastes the rest of its block; a bigint
    has room for that.
    """
    step = _id_steps.get(table)
    if step is None:
        cursor.execute(
            "SELECT seqincrement FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence(%s, 'id')::regclass", [table]
        )
        step = _id_steps[table] = max(1, int(cursor.fetchone()[0]))
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, -(-count // step)]
    )
    ids: list[int] = []
    for (first,) in cursor.fetchall():
        ids.extend(range(first, first + step))
    del ids[count:]
    return ids


def insert_observation_rows(rows: list[ObservationRow]) -> list[int]:
    """Writes validated rows straight to the table (COPY on PostgreSQL) and returns their new ids.

    The ORM's bulk_create spends most of a large batch building model instances and SQL; this
    is the storage step of every ingest path, so it speaks to the database directly. Ids are
    taken from the table's sequence first, so they are known without RETURNING.
    """
    connection = connections[Observation.objects.db]
    table = Observation._meta.db_table
    json_positions = [i for i, name in enumerate(ObservationRow._fields) if name in JSON_COLUMNS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids = _draw_ids(cursor, table, len(rows))
            columns, chunks = copy_text(ids, rows)
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for chunk in chunks:
                    copy.write(chunk)
            return ids
        # SQLite: writers are serialised (IMMEDIATE transactions), so the next ids are ours.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our own table name
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        sequence = cursor.fetchone()
        first = max(highest, sequence[0] if sequence else 0) + 1
        ids = list(range(first, first + len(rows)))
        time_positions = [i for i, name in enumerate(ObservationRow._fields) if name in TIME_COLUMNS]
        adapt = connection.ops.adapt_datetimefield_value
        prepared = []
        for pk, row in zip(ids, rows, strict=True):
            values = [pk, *row]
            for i in json_positions:
                if values[i + 1] is not None:
                    values[i + 1] = json_text(values[i + 1])
            for i in time_positions:
                values[i + 1] = adapt(values[i + 1])
            prepared.append(values)
        placeholders = ", ".join(["%s"] * len(OBSERVATION_COLUMNS))
        for start in range(0, len(prepared), OBSERVATION_BATCH_SIZE):
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(OBSERVATION_COLUMNS)}) VALUES ({placeholders})",  # noqa: S608
                prepared[start : start + OBSERVATION_BATCH_SIZE],
            )
        return ids


def create_observations(
    items: list[NewObservation], *, user: User | None, system: bool = False, only_datastreams: set[int] | None = None
) -> list[int | StaError]:
    """Stores the valid items in one transaction; each outcome is the new id or why it was refused.

    ``system``: the caller is the platform itself (MQTT ingest, simulators), already trusted
    by the broker's access control, so no staff member is needed. ``only_datastreams``: the
    caller's token is limited to these datastreams (see PublishGrant).
    """
    with transaction.atomic():
        return _store_observations(items, user, strict=False, system=system, only_datastreams=only_datastreams)


def _upkeep(rows: list[ObservationRow], things: Mapping[int, int]) -> None:
    """What every stored batch keeps up to date, in the caller's transaction.

    Per datastream: its time ranges and newest value (by phenomenon time); per thing: when it
    was last heard from; per hour and day: the rollups. One pass over the rows, then a few
    statements whatever the batch size.
    """
    # datastream -> [first, last, first result time, last result time, newest time, newest row]
    spans: dict[int, list[Any]] = {}
    hours: rollups.Hours = {}  # (datastream, hour_index) -> [count, total, minimum, maximum]
    hour_offset = rollups.hour_offset()
    # The hour of the previous row: rows come mostly in time order, so most need no arithmetic.
    hour_low = hour_high = datetime.min.replace(tzinfo=UTC)
    hour = 0
    for row in rows:
        datastream_id, start, end, result_time, _, number, _, _, _, _, _ = row
        if end is None:
            end = start
        span = spans.get(datastream_id)
        if span is None:
            spans[datastream_id] = [start, end, result_time, result_time, start, row]
        else:
            if start < span[0]:
                span[0] = start
            if end > span[1]:
                span[1] = end
            if result_time is not None:
                if span[2] is None or result_time < span[2]:
                    span[2] = result_time
                if span[3] is None or result_time > span[3]:
                    span[3] = result_time
            if start >= span[4]:
                span[4], span[5] = start, row
        if number is not None:
            if not hour_low <= start < hour_high:
                hour = rollups.hour_index(start.timestamp(), hour_offset)
                hour_low = rollups.hour_bucket_start(hour, hour_offset)
                hour_high = hour_low + ONE_HOUR
            summary = hours.get((datastream_id, hour))
            if summary is None:
                hours[datastream_id, hour] = [1, number, number, number]
            else:
                summary[0] += 1
                summary[1] += number
                if number < summary[2]:
                    summary[2] = number
                elif number > summary[3]:
                    summary[3] = number
    connection = connections[Datastream.objects.db]
    datastream_ids = sorted(spans)
    rollups.hold_datastreams(datastream_ids)  # concurrent batches queue here, in id order
    with connection.cursor() as cursor:
        _update_datastreams(cursor, connection, [(pk, *spans[pk][:4], spans[pk][5]) for pk in datastream_ids])
        seen: dict[int, datetime] = {}
        now = timezone.now()
        for pk in datastream_ids:
            newest = min(spans[pk][4], now)  # a clock ahead is not "seen in the future"
            thing_id = things[pk]
            if thing_id not in seen or newest > seen[thing_id]:
                seen[thing_id] = newest
        _update_things(cursor, connection, sorted(seen.items()))
    rollups.add_hours(hours)


def _sql_functions(postgres: bool) -> tuple[str, str]:
    return ("LEAST", "GREATEST") if postgres else ("MIN", "MAX")


def _update_datastreams(cursor: Any, connection: Any, spans: list[tuple[Any, ...]]) -> None:
    postgres = connection.vendor == "postgresql"
    least, greatest = _sql_functions(postgres)
    adapt = (lambda v: v) if postgres else connection.ops.adapt_datetimefield_value
    types = ("bigint", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "jsonb", "float8")
    casts = [f"::{name}" if postgres else "" for name in types]
    row_sql = "(" + ", ".join(f"%s{cast}" for cast in casts) + ")"
    for first in range(0, len(spans), 500):
        chunk = spans[first : first + 500]
        params: list[Any] = []
        for pk, start, end, result_start, result_end, newest in chunk:
            params.extend(
                (
                    pk,
                    adapt(start),
                    adapt(end),
                    adapt(result_start),
                    adapt(result_end),
                    adapt(newest.phenomenon_time_start),
                    json_text(newest.result),
                    newest.result_number,
                )
            )
        newer = "(d.last_phenomenon_time IS NULL OR d.last_phenomenon_time <= v.newest)"
        keep_time = "COALESCE({f}(COALESCE(d.{c}, v.{v}), v.{v}), d.{c})"
        sql = (  # only our own fragments; values are parameters
            "WITH v(id, first, last, rfirst, rlast, newest, result, number) AS (VALUES "  # noqa: S608
            + ", ".join([row_sql] * len(chunk))
            + ") UPDATE sensing_datastream AS d SET "  # noqa: S608
            f"phenomenon_time_start = {least}(COALESCE(d.phenomenon_time_start, v.first), v.first), "
            f"phenomenon_time_end = {greatest}(COALESCE(d.phenomenon_time_end, v.last), v.last), "
            f"result_time_start = {keep_time.format(f=least, c='result_time_start', v='rfirst')}, "
            f"result_time_end = {keep_time.format(f=greatest, c='result_time_end', v='rlast')}, "
            f"last_phenomenon_time = CASE WHEN {newer} THEN v.newest ELSE d.last_phenomenon_time END, "
            f"last_result = CASE WHEN {newer} THEN v.result ELSE d.last_result END, "
            f"last_result_number = CASE WHEN {newer} THEN v.number ELSE d.last_result_number END "
            "FROM v WHERE d.id = v.id"
        )
        cursor.execute(
            sql,
            params,
        )


def _update_things(cursor: Any, connection: Any, seen: list[tuple[int, datetime]]) -> None:
    postgres = connection.vendor == "postgresql"
    _, greatest = _sql_functions(postgres)
    adapt = (lambda v: v) if postgres else connection.ops.adapt_datetimefield_value
    row_sql = "(%s::bigint, %s::timestamptz)" if postgres else "(%s, %s)"
    for first in range(0, len(seen), 500):
        chunk = seen[first : first + 500]
        sql = (  # only our own fragments; values are parameters
            f"WITH v(id, seen) AS (VALUES {', '.join([row_sql] * len(chunk))}) UPDATE sensing_thing AS t "  # noqa: S608
            f"SET last_seen_at = {greatest}(COALESCE(t.last_seen_at, v.seen), v.seen) FROM v WHERE t.id = v.id"
        )
        cursor.execute(
            sql,
            [value for pk, when in chunk for value in (pk, adapt(when))],
        )


def recompute_time_ranges(datastream_ids: Iterable[int], *, latest: bool = True) -> None:
    """After observations change or go, ranges are recomputed from what is left.

    ``latest``: the newest value too (not after retention, which keeps the newest value known
    even when every raw observation is older than the datastream keeps them).
    """
    for datastream_id in sorted(set(datastream_ids)):
        if latest:
            newest = (
                Observation.objects.filter(datastream_id=datastream_id)
                .order_by("-phenomenon_time_start", "-id")
                .values_list("phenomenon_time_start", "result", "result_number")
                .first()
            )
            when, result, number = newest or (None, None, None)
            Datastream.objects.filter(pk=datastream_id).update(
                last_phenomenon_time=when, last_result=result, last_result_number=number
            )
        observations = Observation.objects.filter(datastream_id=datastream_id)
        ranges = observations.aggregate(
            first=Min("phenomenon_time_start"),
            last_start=Max("phenomenon_time_start"),
            last_end=Max("phenomenon_time_end"),
            first_result=Min("result_time"),
            last_result=Max("result_time"),
        )
        ends = [t for t in (ranges["last_start"], ranges["last_end"]) if t is not None]
        Datastream.objects.filter(pk=datastream_id).update(
            phenomenon_time_start=ranges["first"],
            phenomenon_time_end=max(ends) if ends else None,
            result_time_start=ranges["first_result"],
            result_time_end=ranges["last_result"],
        )


# --- update and delete ---------------------------------------------------------------------
def _with_owner(type_name: str, pk: int) -> models.Model:
    model = ENTITY_TYPES[type_name].model
    queryset = model._default_manager.all()
    if type_name in ("Datastream", "HistoricalLocation"):
        queryset = queryset.select_related("thing")
    elif type_name == "Observation":
        queryset = queryset.select_related("datastream__thing")
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise NotFound(no_entity_message(type_name, pk))
    return obj


def update_entity(type_name: str, pk: int, data: Any, *, user: User | None, replace: bool = False) -> Any:
    """PATCH (only the given members) or PUT (``replace``: every required member given)."""
    entity_type = ENTITY_TYPES[type_name]
    data = _entity_data(data, type_name)
    with transaction.atomic():
        obj = _with_owner(type_name, pk)
        require_write(user, owning_department_id(type_name, obj))
        if type_name == "Observation":
            _update_observation(obj, data, user=user, replace=replace)  # type: ignore[arg-type]
        else:
            values = _values(entity_type, data, partial=not replace)
            for name, value in values.items():
                setattr(obj, name, value)
            if type_name in ("Location", "FeatureOfInterest") and values:
                set_bounding_box(obj, getattr(obj, "location" if type_name == "Location" else "feature"))  # type: ignore[arg-type]
            named = values.get("properties") or {}
            if type_name == "Thing" and "properties" in values:
                obj.kind = thing_kind(values["properties"])  # type: ignore[attr-defined]
                obj.private = thing_private(values["properties"], obj.kind, current=obj.private)  # type: ignore[attr-defined]
            if type_name == "Thing" and ("department" in named or "district" in named):
                department_id, district_id = _owner(named, user)
                if "department" in named and department_id != obj.department_id:  # type: ignore[attr-defined]
                    require_write(user, department_id)
                    obj.department_id = department_id  # type: ignore[attr-defined]
                if "district" in named:
                    obj.district_id = district_id  # type: ignore[attr-defined]
            for nav_name, nav in entity_type.navs.items():
                if nav_name not in data:
                    continue
                if nav.many and not (type_name == "Thing" and nav_name == "Locations"):
                    raise StaError(
                        _("%(name)s cannot be changed through an update of a %(type)s.")
                        % {"name": nav_name, "type": type_name}
                    )
                if nav.many:
                    locations = _locations(data, user)
                    obj.locations.set(locations)  # type: ignore[attr-defined]
                    _new_historical_location(cast(Thing, obj), locations)
                    continue
                reference = _entity_data(data[nav_name], nav_name)
                if not _is_reference(reference):
                    raise StaError(
                        _("An update links %(name)s by %(reference)s only.")
                        % {"name": nav_name, "reference": '{"@iot.id": ...}'}
                    )
                target = _lookup(nav.target, reference["@iot.id"])
                if isinstance(target, Thing):
                    require_write(user, target.department_id)
                setattr(obj, nav.accessor, target)
            obj.save()
        publish(EntityChanged(entity_type=type_name, id=obj.pk, change="updated"))
        return obj


def _update_observation(obj: Observation, data: dict[str, Any], *, user: User | None, replace: bool) -> None:
    merged: dict[str, Any] = (
        {}
        if replace
        else {
            "phenomenonTime": None,
            "result": obj.result,
        }
    )
    merged.update(data)
    old_datastream, old_time = obj.datastream_id, obj.phenomenon_time_start
    datastream_id = obj.datastream_id
    if "Datastream" in data:
        reference = _entity_data(data["Datastream"], "Datastream")
        datastream_id = _lookup("Datastream", reference.get("@iot.id")).pk
    new = observation_from_json(merged, datastream_id, None)
    datastream = Datastream.objects.select_related("thing").get(pk=datastream_id)
    if datastream_id != old_datastream:  # moved: the writer must write to where it goes, too
        require_write(user, datastream.thing.department_id)
    obj.result_number = check_result(new.result, datastream.observation_type, datastream_id)
    obj.result = new.result
    obj.datastream = datastream
    if "phenomenonTime" in data:
        assert new.phenomenon_time is not None
        obj.phenomenon_time_start, obj.phenomenon_time_end = new.phenomenon_time
    if "resultTime" in data or replace:
        obj.result_time = new.result_time
    if "validTime" in data or replace:
        obj.valid_time_start, obj.valid_time_end = new.valid_time or (None, None)
    if "resultQuality" in data or replace:
        obj.result_quality = new.result_quality
    if "parameters" in data or replace:
        obj.parameters = new.parameters
    if "FeatureOfInterest" in data:
        reference = _entity_data(data["FeatureOfInterest"], "FeatureOfInterest")
        obj.feature_of_interest_id = _lookup("FeatureOfInterest", reference.get("@iot.id")).pk
    obj.save()
    recompute_time_ranges({old_datastream, datastream_id})
    rollups.recompute(old_datastream, old_time, old_time)
    rollups.recompute(datastream_id, obj.phenomenon_time_start, obj.phenomenon_time_start)


def delete_entity(type_name: str, pk: int, *, user: User | None) -> None:
    """Deletes the entity and what the standard deletes with it (its Datastreams, Observations...)."""
    with transaction.atomic():
        obj = _with_owner(type_name, pk)
        require_write(user, owning_department_id(type_name, obj))
        doomed = _lock_for_delete(type_name, obj.pk)
        # Datastreams losing observations, with the time span lost: their rollups are rebuilt.
        affected: dict[int, tuple[datetime, datetime]] = {}
        if type_name == "Observation":
            when = obj.phenomenon_time_start  # type: ignore[attr-defined]
            affected = {obj.datastream_id: (when, when)}  # type: ignore[attr-defined]
        elif type_name == "FeatureOfInterest":
            spans = (
                Observation.objects.filter(feature_of_interest_id=obj.pk)
                .order_by()
                .values("datastream_id")
                .annotate(first=Min("phenomenon_time_start"), last=Max("phenomenon_time_start"))
            )
            affected = {span["datastream_id"]: (span["first"], span["last"]) for span in spans}
        elif type_name == "Location":
            HistoricalLocation.objects.filter(locations__pk=obj.pk).delete()
        # Observations and rollups go in one statement each, before Django's cascade: it would
        # load every one of them (the audit log listens to deletes) - millions for a datastream.
        database = Observation.objects.db
        if doomed:
            Observation.objects.filter(datastream_id__in=doomed)._raw_delete(database)  # type: ignore[attr-defined]
            ObservationRollup.objects.filter(datastream_id__in=doomed)._raw_delete(database)  # type: ignore[attr-defined]
        elif type_name == "FeatureOfInterest":
            Observation.objects.filter(feature_of_interest_id=obj.pk)._raw_delete(database)  # type: ignore[attr-defined]
        obj.delete()
        recompute_time_ranges(affected)
        for datastream_id, (first, last) in affected.items():
            rollups.recompute(datastream_id, first, last)
        publish(EntityChanged(entity_type=type_name, id=pk, change="deleted"))
