"""Turns a parsed ``$filter``/``$orderby`` into Django expressions for one entity type.

Comparisons and functions become SQL. Spatial functions have no SQL without PostGIS, so they
become ``pk IN (ids)`` where the ids are found by a bounding-box prefilter in the database and
an exact shapely test in Python; they therefore compose with ``and``/``or``/``not`` like any
other condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import shapely
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.fields.json import KT, KeyTextTransform
from django.db.models.functions import (
    Cast,
    Ceil,
    Concat,
    Extract,
    Floor,
    Length,
    Lower,
    Mod,
    Now,
    Round,
    StrIndex,
    Substr,
    Trim,
    TruncDate,
    TruncTime,
    Upper,
)
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from cityos.sensing.sta import geo_functions
from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.filter import BinOp, Call, Literal, Negate, Node, Not, Path
from cityos.sensing.sta.schema import ENTITY_TYPES, EntityType

MIN_DATETIME = "0001-01-01T00:00:00Z"
MAX_INTEGER = 2**63 - 1  # a whole-number literal beyond a 64-bit column cannot be sent to the database


@dataclass
class Typed:
    expr: Any
    kind: str  # number, string, datetime, bool, null, json, result, geometry, date, time
    field: str = ""  # the Django path, for json/result/geometry references
    model: type[models.Model] | None = None  # geometry: the model that holds it
    label: str = ""  # a whole JSON property as the request named it, e.g. Thing/properties
    column: str = ""  # a JSON member: the Django path of its JSON column, e.g. datastream__thing__properties


LOOKUPS = {"eq": Exact, "gt": GreaterThan, "ge": GreaterThanOrEqual, "lt": LessThan, "le": LessThanOrEqual}
GEO_PREDICATES = {
    "geo.intersects": "intersects",
    "st_intersects": "intersects",
    "st_equals": "equals",
    "st_disjoint": "disjoint",
    "st_touches": "touches",
    "st_within": "within",
    "st_overlaps": "overlaps",
    "st_crosses": "crosses",
    "st_contains": "contains",
}
EXTRACTS = {"year": "year", "month": "month", "day": "day", "hour": "hour", "minute": "minute", "second": "second"}


MAX_JSON_DEPTH = 16


class Compiler:
    def __init__(self, entity_type: EntityType) -> None:
        self.entity_type = entity_type
        self.crosses_many = False  # a path through a to-many link: the caller must de-duplicate

    # --- conditions ---------------------------------------------------------------------
    def condition(self, node: Node) -> Q:
        if isinstance(node, BinOp) and node.op in ("and", "or"):
            # "a and b and c ..." leans left, as deep as it is long (up to MAX_TERMS): its
            # operands are gathered in a loop and joined in one flat Q, never recursively.
            op, operands = node.op, [node.right]
            left = node.left
            while isinstance(left, BinOp) and left.op == op:
                operands.append(left.right)
                left = left.left
            operands.append(left)
            conditions = [self.condition(operand) for operand in reversed(operands)]
            return Q(*conditions, _connector=Q.AND if op == "and" else Q.OR)
        if isinstance(node, Not):
            return ~self.condition(node.operand)
        from cityos.sensing.sta.privacy import through_visible  # here: privacy imports the options

        limited = through_visible(self, node)  # a link that may lead to private Things the reader may not see
        if limited is not None:
            return limited
        if isinstance(node, BinOp) and node.op in ("eq", "ne", "gt", "ge", "lt", "le"):
            measured = geo_functions.comparison(self, node)  # geo.distance/geo.length, evaluated in Python
            if measured is not None:
                return measured
            return self.comparison(node.op, self.value(node.left), self.value(node.right))
        if isinstance(node, Call) and node.name in ("substringof", "startswith", "endswith"):
            return Q(self.string_match(node))
        if isinstance(node, Call) and node.name in GEO_PREDICATES:
            return self.spatial(node)
        if isinstance(node, Call) and node.name == "st_relate":
            return geo_functions.relate(self, node)
        if isinstance(node, Literal) and node.kind == "bool":
            return Q(pk__isnull=False) if node.value else Q(pk__isnull=True)
        typed = self.value(node)
        if typed.kind in ("json", "result"):
            return Q(**{typed.field: True})
        raise StaError(_("$filter: this part is not a condition (true or false): %(part)s") % {"part": describe(node)})

    def comparison(self, op: str, left: Typed, right: Typed) -> Q:
        if right.kind == "null" or left.kind == "null":
            other = left if right.kind == "null" else right
            if op not in ("eq", "ne"):
                raise StaError(_("$filter: null can only be compared with eq or ne"))
            expr = F(other.field) if other.field else other.expr
            condition = Q(IsNull(expr, True))
            return condition if op == "eq" else ~condition
        for json_side, other in ((left, right), (right, left)):
            if (json_side.kind in ("json", "result") and other.kind == "bool") or (
                json_side.kind == "result" and other.kind == "string"
            ):
                if not isinstance(other.expr, Value) or op not in ("eq", "ne"):
                    raise StaError(
                        _("$filter: %(property)s can only be compared with eq or ne and a literal")
                        % {"property": json_side.field}
                    )
                condition = Q(**{json_side.field: other.expr.value})
                return condition if op == "eq" else ~condition
        left, right = self.coerce(left, right), self.coerce(right, left)
        left, right = as_date_if_compared_with_one(left, right), as_date_if_compared_with_one(right, left)
        if not compatible(left.kind, right.kind):
            raise StaError(
                _("$filter: cannot compare %(left)s with %(right)s")
                % {"left": kind_label(left.kind), "right": kind_label(right.kind)}
            )
        if op == "ne":
            return ~Q(Exact(left.expr, right.expr))
        return Q(LOOKUPS[op](left.expr, right.expr))

    def coerce(self, typed: Typed, other: Typed) -> Typed:
        """Untyped JSON (properties/..., result) takes the type of what it is compared with."""
        if typed.kind == "result":
            return Typed(F(typed.field.removesuffix("result") + "result_number"), "number")
        if typed.kind == "json":
            if other.kind == "number":
                return Typed(Cast(member_text(typed), models.FloatField()), "number")
            if other.kind == "datetime":
                return Typed(Cast(member_text(typed), models.DateTimeField()), "datetime")
            return Typed(member_text(typed), "string")
        return typed

    def string_match(self, node: Call) -> Any:
        first, second = (self.text(a) for a in node.args)
        if node.name == "substringof":
            return Contains(second, first)
        return (StartsWith if node.name == "startswith" else EndsWith)(first, second)

    # --- values -------------------------------------------------------------------------
    def value(self, node: Node) -> Typed:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, Path):
            return self.path(node)
        if isinstance(node, Negate):
            operand = self.number(node.operand)
            return Typed(operand * Value(-1), "number")
        if isinstance(node, BinOp) and node.op in ("add", "sub", "mul", "div", "mod"):
            left, right = self.number(node.left), self.number(node.right)
            if node.op == "mod":
                return Typed(Mod(left, right, output_field=models.FloatField()), "number")
            symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[node.op]
            float_left = Cast(left, models.FloatField()) if node.op == "div" else left
            return Typed(
                models.ExpressionWrapper(
                    models.expressions.CombinedExpression(float_left, symbol, right),
                    output_field=models.FloatField(),
                ),
                "number",
            )
        if isinstance(node, Call):
            return self.function(node)
        raise StaError(_("$filter: a condition cannot be used as a value: %(part)s") % {"part": describe(node)})

    def literal(self, node: Literal) -> Typed:
        if node.kind == "number" and isinstance(node.value, int) and not -MAX_INTEGER - 1 <= node.value <= MAX_INTEGER:
            raise StaError(
                _(
                    "$filter: the number %(number)s is too large; whole numbers go up to %(largest)s "
                    "(write it with a decimal point, e.g. 1.0e20, to compare as a decimal)"
                )
                % {"number": node.value, "largest": MAX_INTEGER}
            )
        if node.kind == "number":
            field: models.Field[Any, Any] = (
                models.FloatField() if isinstance(node.value, float) else models.BigIntegerField()
            )
            return Typed(Value(node.value, output_field=field), "number")
        if node.kind == "string":
            return Typed(Value(node.value, output_field=models.TextField()), "string")
        if node.kind == "bool":
            return Typed(Value(node.value, output_field=models.BooleanField()), "bool")
        if node.kind == "datetime":
            return Typed(Value(node.value, output_field=models.DateTimeField()), "datetime")
        if node.kind == "time":
            return Typed(Value(node.value, output_field=models.TimeField()), "time")
        if node.kind == "geography":
            return Typed(Value(node.value), "geography")
        return Typed(Value(None), "null")

    def number(self, node: Node) -> Any:
        typed = self.value(node)
        if typed.kind in ("result", "json"):
            typed = self.coerce(typed, Typed(None, "number"))
        if typed.kind != "number":
            raise StaError(
                _("$filter: arithmetic needs numbers, but %(part)s is %(kind)s")
                % {"part": describe(node), "kind": kind_label(typed.kind)}
            )
        return typed.expr

    def text(self, node: Node) -> Any:
        typed = self.value(node)
        if typed.kind == "json":
            return member_text(typed)
        if typed.kind != "string":
            raise StaError(
                _("$filter: %(part)s is %(kind)s, not text") % {"part": describe(node), "kind": kind_label(typed.kind)}
            )
        return typed.expr

    def when(self, node: Node) -> Any:
        typed = self.value(node)
        if typed.kind == "json":
            return Cast(member_text(typed), models.DateTimeField())
        if typed.kind != "datetime":
            raise StaError(
                _("$filter: %(part)s is %(kind)s, not a time")
                % {"part": describe(node), "kind": kind_label(typed.kind)}
            )
        return typed.expr

    def path(self, node: Path) -> Typed:
        entity_type, prefix = self.entity_type, ""
        parts = list(node.parts)
        while parts and parts[0] in entity_type.navs:
            nav = entity_type.navs[parts.pop(0)]
            self.crosses_many = self.crosses_many or nav.many
            prefix += nav.accessor + "__"
            entity_type = ENTITY_TYPES[nav.target]
        if not parts:
            raise StaError(
                _("$filter: %(path)s is an entity, not a property; name one of its properties")
                % {"path": "/".join(node.parts)}
            )
        name = parts[0]
        prop = entity_type.props.get(name)
        if name == "@iot.id":
            prop = entity_type.props["id"]
        if prop is None:
            known = ", ".join(sorted(entity_type.props))
            raise StaError(
                _("$filter: %(type)s has no property %(name)s (it has %(known)s)")
                % {"type": entity_type.name, "name": repr(name), "known": known}
            )
        if len(parts) > 1:
            if prop.kind not in ("json", "result"):
                raise StaError(
                    _("$filter: %(name)s has no members; only JSON properties such as properties/... do")
                    % {"name": name}
                )
            if len(parts) - 1 > MAX_JSON_DEPTH:  # Django builds one nested lookup per member
                raise StaError(
                    _("$filter: %(name)s is followed by more than %(limit)s members")
                    % {"name": name, "limit": MAX_JSON_DEPTH}
                )
            return Typed(None, "json", field=prefix + "__".join([prop.field, *parts[1:]]), column=prefix + prop.field)
        path = prefix + prop.field
        kind = {"id": "number", "interval": "datetime", "string": "string", "datetime": "datetime"}.get(prop.kind)
        if kind:
            return Typed(F(path), kind, field=path)
        if prop.kind == "result":
            return Typed(F(path), "result", field=path)
        if prop.kind == "geometry":
            return Typed(F(path), "geometry", field=path, model=entity_type.model)
        return Typed(F(path), "json", field=path, label="/".join(node.parts))

    def function(self, node: Call) -> Typed:
        name, args = node.name, node.args
        if name == "length":
            return Typed(Length(self.text(args[0])), "number")
        if name == "indexof":
            return Typed(StrIndex(self.text(args[0]), self.text(args[1])) - Value(1), "number")
        if name == "substring":
            start = self.number(args[1]) + Value(1)
            if len(args) == 3:
                return Typed(Substr(self.text(args[0]), start, self.number(args[2])), "string")
            return Typed(Substr(self.text(args[0]), start), "string")
        if name in ("tolower", "toupper", "trim"):
            function = {"tolower": Lower, "toupper": Upper, "trim": Trim}[name]
            return Typed(function(self.text(args[0])), "string")
        if name == "concat":
            return Typed(Concat(self.text(args[0]), self.text(args[1]), output_field=models.TextField()), "string")
        # Times are rendered in UTC ("...Z"), so their parts are read in UTC too, whatever the
        # city's zone: hour(phenomenonTime) agrees with the phenomenonTime a client sees.
        if name in EXTRACTS:
            return Typed(Extract(self.when(args[0]), EXTRACTS[name], tzinfo=UTC), "number")
        if name == "date":
            return Typed(TruncDate(self.when(args[0]), tzinfo=UTC), "date")
        if name == "time":
            return Typed(TruncTime(self.when(args[0]), tzinfo=UTC), "time")
        if name == "totaloffsetminutes":
            self.when(args[0])  # checks that it is a time
            return Typed(Value(0), "number")
        if name == "now":
            return Typed(Now(), "datetime")
        if name in ("mindatetime", "maxdatetime"):
            if args:
                target = self.path(args[0]) if isinstance(args[0], Path) else None
                prop = self.interval_columns(args[0]) if target else None
                if prop is None:
                    raise StaError(
                        _("$filter: %(name)s() takes a time interval property such as phenomenonTime") % {"name": name}
                    )
                return Typed(F(prop[0] if name == "mindatetime" else prop[1]), "datetime")
            limit = datetime(1, 1, 1, tzinfo=UTC) if name == "mindatetime" else datetime(9999, 12, 31, tzinfo=UTC)
            return Typed(Value(limit, output_field=models.DateTimeField()), "datetime")
        if name in ("round", "floor", "ceiling"):
            rounding: Any = {"round": Round, "floor": Floor, "ceiling": Ceil}[name]
            return Typed(rounding(self.number(args[0])), "number")
        if name in geo_functions.MEASURES:
            raise geo_functions.only_in_comparisons(name)
        raise StaError(_("$filter: the function %(name)s() is not supported here") % {"name": name})

    def interval_columns(self, node: Node) -> tuple[str, str] | None:
        assert isinstance(node, Path)
        entity_type, prefix = self.entity_type, ""
        parts = list(node.parts)
        while parts and parts[0] in entity_type.navs:
            nav = entity_type.navs[parts.pop(0)]
            prefix += nav.accessor + "__"
            entity_type = ENTITY_TYPES[nav.target]
        prop = entity_type.props.get(parts[0]) if len(parts) == 1 else None
        if prop is None or prop.kind != "interval":
            return None
        return prefix + prop.field, prefix + prop.end_field

    # --- space --------------------------------------------------------------------------
    def spatial(self, node: Call) -> Q:
        first, second = (self.value(a) for a in node.args)
        if first.kind == "geography" and second.kind == "geometry":
            first, second = second, first
            predicate = {"within": "contains", "contains": "within"}.get(GEO_PREDICATES[node.name])
            predicate = predicate or GEO_PREDICATES[node.name]
        else:
            predicate = GEO_PREDICATES[node.name]
        if first.kind != "geometry" or second.kind != "geography":
            raise StaError(
                _("$filter: %(name)s() compares a location property with a literal such as %(example)s")
                % {"name": node.name, "example": "geography'POINT(1 2)'"}
            )
        literal = geo_functions.literal_geometry(second.expr.value)  # WKT, or EWKT with SRID=4326
        assert first.model is not None
        ids = matching_ids(first.model, first.field.rsplit("__", 1)[-1], literal, predicate)
        owner = first.field.rsplit("__", 1)[0] + "__pk" if "__" in first.field else "pk"
        return Q(**{f"{owner}__in": ids})


def matching_ids(model: type[models.Model], field: str, literal: BaseGeometry, predicate: str) -> list[int]:
    """Ids of ``model`` rows whose GeoJSON ``field`` satisfies ``predicate`` against ``literal``."""
    rows = model._default_manager.exclude(**{f"{field}__isnull": True})
    if predicate in ("intersects", "within", "equals", "touches", "overlaps", "crosses", "contains"):
        # Every one of these implies the boxes meet; rows without a box are checked anyway.
        min_x, min_y, max_x, max_y = literal.bounds
        rows = rows.filter(
            Q(bbox_min_x__isnull=True)
            | Q(bbox_min_x__lte=max_x, bbox_max_x__gte=min_x, bbox_min_y__lte=max_y, bbox_max_y__gte=min_y)
        )
    ids = []
    for pk, geojson in rows.values_list("pk", field).iterator(chunk_size=2000):
        geometry = geometry_of(geojson)
        if geometry is not None and getattr(geometry, predicate)(literal):
            ids.append(pk)
    return ids


def geometry_of(geojson: Any) -> BaseGeometry | None:
    """A shapely geometry from a GeoJSON geometry or Feature; None when it is not one."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    try:
        return shape(geojson) if isinstance(geojson, dict) else None
    except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.ShapelyError):
        return None


def member_text(typed: Typed) -> Any:
    """A member of a JSON property (properties/name) as text; a whole JSON object has none."""
    if typed.expr is not None:
        raise StaError(
            _("$filter: %(property)s is a JSON object; use one of its members, such as properties/name")
            % {"property": typed.label}
        )
    return json_member(typed)


def json_member(typed: Typed) -> Any:
    """A JSON member as text. Django's KT("a__b__c") reads column a with keys b and c, so a
    column reached through links (Datastream/Thing/properties/kind) is followed by its path."""
    if not typed.column:
        return KT(typed.field)
    member: Any = typed.column
    for key in typed.field[len(typed.column) + 2 :].split("__"):
        member = KeyTextTransform(key, member)
    return member


def as_date_if_compared_with_one(typed: Typed, other: Typed) -> Typed:
    """A literal instant compared with date(...) is its UTC day: 2026-03-01 means that day, not
    its midnight, and a date column is never equal to a timestamp."""
    if other.kind == "date" and typed.kind == "datetime" and isinstance(typed.expr, Value):
        instant = typed.expr.value
        if isinstance(instant, datetime):
            return Typed(Value(instant.astimezone(UTC).date(), output_field=models.DateField()), "date")
    return typed


def compatible(left: str, right: str) -> bool:
    if left == right:
        return True
    pairs = {frozenset({"date", "datetime"}), frozenset({"time", "datetime"})}
    return frozenset({left, right}) in pairs


# The kinds of value a filter's parts have, as its messages name them ("cannot compare a string
# with a number"): with the article, which each language places its own way.
KIND_LABELS = {
    "number": pgettext_lazy("filter value", "a number"),
    "string": pgettext_lazy("filter value", "a string"),
    "datetime": pgettext_lazy("filter value", "a datetime"),
    "date": pgettext_lazy("filter value", "a date"),
    "time": pgettext_lazy("filter value", "a time of day"),
    "bool": pgettext_lazy("filter value", "a boolean"),
    "null": pgettext_lazy("filter value", "null"),
    "json": pgettext_lazy("filter value", "a JSON value"),
    "result": pgettext_lazy("filter value", "a result"),
    "geometry": pgettext_lazy("filter value", "a geometry"),
    "geography": pgettext_lazy("filter value", "a geography literal"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def describe(node: Node) -> str:
    """The part of a filter an error is about, shortened: it may be a chain of hundreds of terms."""
    from cityos.sensing.sta.filter import unparse

    text = unparse(node)
    return text if len(text) <= 200 else text[:200] + "…"


def compile_filter(entity_type: EntityType, node: Node) -> tuple[Q, bool]:
    """The condition and whether it crosses a to-many link (then rows must be de-duplicated)."""
    compiler = Compiler(entity_type)
    return compiler.condition(node), compiler.crosses_many


def _through_many() -> StaError:
    return StaError(_("$orderby: a property reached through a list of entities cannot order results"))


def compile_order(entity_type: EntityType, node: Node) -> Any:
    compiler = Compiler(entity_type)
    if geo_functions.is_measure(node):  # geo.distance/geo.length: measured in Python, see geo_functions
        assert isinstance(node, Call)
        key = geo_functions.order(compiler, node)
        if compiler.crosses_many:
            raise _through_many()
        return key
    typed = compiler.value(node)
    if compiler.crosses_many:
        raise _through_many()
    if typed.kind == "result":
        return F(typed.field.removesuffix("result") + "result_number")
    if typed.kind == "json" and typed.field:
        if typed.expr is not None:  # a whole JSON object, not one of its members
            raise StaError(
                _("$orderby: %(part)s is a JSON object; order by one of its members, such as properties/name")
                % {"part": describe(node)}
            )
        return json_member(typed)
    return typed.expr
