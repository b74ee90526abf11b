"""The measuring geospatial functions of ``$filter`` (OGC 18-088, 9.3.3.5.2): ``geo.distance``,
``geo.length``, and the DE-9IM test ``st_relate``.

Geometries are GeoJSON in JSON columns (no PostGIS), so, like the other spatial functions in
:mod:`cityos.sensing.sta.compile`, these are evaluated by shapely in Python, the same on SQLite
and PostgreSQL, and become ``pk IN (ids)``: they combine with ``and``/``or``/``not`` like any
other condition.

Units are those of the coordinates, as the standard leaves them to the CRS and as FROST answers
(PostGIS ``ST_Distance``/``ST_Length`` on geometry): WGS 84 degrees, planar. A degree of latitude
is about 111 km; a degree of longitude shrinks with the cosine of the latitude.

- ``geo.distance(a, b)``: the shortest planar distance between two geometries (0 when they meet).
- ``geo.length(g)``: the length of a LineString or MultiLineString (the linear parts of a
  GeometryCollection, added); 0 for points and polygons, as PostGIS gives.

A measure compares with a number: ``geo.distance(location, geography'POINT(-73.9 40.7)') lt 0.01``
(either side, the number may be arithmetic on literals, such as ``500 div 111320``). A row without
a geometry, or with one that cannot be read, has no measure and matches no comparison.

A measure on its own also orders results, as FROST does:
``$orderby=geo.distance(location, geography'POINT(-73.9 40.7)')`` lists the nearest first (``desc``
the farthest), other keys may follow, and ties are broken by id, so ``$top``/``$skip`` pages and
nextLinks are stable. The measures of the rows being ordered (after ``$filter``) are computed in
Python and handed to the database as a CASE on the id; rows without a measure sort as if farthest
(last ascending, first descending, as PostgreSQL sorts NULL). At most :data:`ORDER_LIMIT` rows can
be ordered this way: a larger set is refused with 400, to be narrowed with a ``$filter`` (such as
``geo.distance(...) lt 0.1``) first.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import shapely
from django.db import models
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry.base import BaseGeometry

from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.filter import BinOp, Call, Literal, Negate, Node, unparse

if TYPE_CHECKING:
    from cityos.sensing.sta.compile import Compiler

MEASURES = ("geo.distance", "geo.length")
EXAMPLES = {
    "geo.distance": "geo.distance(location, geography'POINT(-73.9 40.7)') lt 0.01",
    "geo.length": "geo.length(location) gt 1",
}
WHAT = {  # what each measure takes, in its message when given something else
    "geo.distance": gettext_lazy(
        "$filter: %(name)s() measures between a location property and a literal such as %(example)s, or two literals"
    ),
    "geo.length": gettext_lazy(
        "$filter: %(name)s() measures a location property such as location, or a literal such as %(example)s"
    ),
}
WHAT_EXAMPLES = {"geo.distance": "geography'POINT(1 2)'", "geo.length": "geography'LINESTRING(0 0, 1 1)'"}
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "mod": math.fmod,  # SQL's sign: that of the dividend
}
# EWKT's "SRID=4326;" prefix (FROST accepts it); coordinates are WGS 84, the only CRS here.
_SRID = re.compile(r"^\s*SRID\s*=\s*(\d+)\s*;", re.IGNORECASE)
WGS84 = "4326"
_PATTERN = re.compile(r"^[TF*012]{9}$")
# The most rows one $orderby on a measure orders (two query parameters each: SQLite takes 32,766).
ORDER_LIMIT = 5000
_LEAF = 64  # CASE branches per leaf of the id search tree (see _by_id)


def literal_geometry(text: object) -> BaseGeometry:
    """A ``geography'...'`` literal's geometry: WKT, optionally after ``SRID=4326;``."""
    wkt = str(text)
    srid = _SRID.match(wkt)
    if srid:
        if srid.group(1) != WGS84:
            raise StaError(
                _("$filter: the geography literal is in SRID %(srid)s; only SRID=4326 (WGS 84) is supported")
                % {"srid": srid.group(1)}
            )
        wkt = wkt[srid.end() :]
    try:
        return shapely.from_wkt(wkt)
    except shapely.errors.ShapelyError as error:
        raise StaError(_("$filter: the geography literal is not valid WKT (%(error)s)") % {"error": error}) from None


def linear_length(geometry: BaseGeometry) -> float:
    """PostGIS' ST_Length on geometry: lines measure, points and polygons are 0."""
    kind = geometry.geom_type
    if kind in ("LineString", "LinearRing", "MultiLineString"):
        return float(geometry.length)
    if kind == "GeometryCollection":  # nested at most 4 deep (sensing.geojson checks it)
        return sum(linear_length(part) for part in geometry.geoms)  # type: ignore[attr-defined]
    return 0.0


def only_in_comparisons(name: str) -> StaError:
    """A measure used anywhere but directly in a comparison with a number."""
    return StaError(
        _(
            "$filter: %(name)s() can only be compared with a number, as in %(example)s "
            "(arithmetic with literals around it is fine), or order results on its own, as in "
            "%(order)s; it cannot be another function's argument"
        )
        % {"name": name, "example": EXAMPLES[name], "order": f"$orderby={EXAMPLES[name].rsplit(' ', 2)[0]} desc"}
    )


def is_measure(node: Node) -> bool:
    return isinstance(node, Call) and node.name in MEASURES


def constant(compiler: Compiler, node: Node) -> float | None:
    """The value of a number made of literals (``500 div 111320``, ``-1``, a measure of literals);
    None when the node depends on the row."""
    if isinstance(node, Literal):
        if node.kind == "number" and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return float(node.value)
        return None
    if isinstance(node, Negate):
        operand = constant(compiler, node.operand)
        return None if operand is None else -operand
    if isinstance(node, BinOp) and node.op in ARITHMETIC:
        left, right = constant(compiler, node.left), constant(compiler, node.right)
        if left is None or right is None:
            return None
        if node.op in ("div", "mod") and right == 0:
            raise _divided_by_zero()
        try:
            return ARITHMETIC[node.op](left, right)
        except (ValueError, OverflowError):  # fmod of an infinity
            raise StaError(
                _("$filter: %(part)s has no value (a number beyond the largest)") % {"part": describe(node)}
            ) from None
    if is_measure(node):
        assert isinstance(node, Call)
        measure = Measure(compiler, node)
        return measure.value if measure.constant else None
    return None


class Measure:
    """``geo.distance``/``geo.length`` of one geometry property (per row) or of literals only."""

    def __init__(self, compiler: Compiler, node: Call) -> None:
        self.name = node.name
        self.field = ""
        self.model: type[models.Model] | None = None
        literals: list[BaseGeometry] = []
        for argument in node.args:
            typed = compiler.value(argument)
            if typed.kind == "geography":
                literals.append(literal_geometry(typed.expr.value))
            elif typed.kind == "geometry" and not self.field:
                self.field, self.model = typed.field, typed.model
            else:
                raise StaError(str(WHAT[node.name]) % {"name": node.name, "example": WHAT_EXAMPLES[node.name]})
        self.literal = literals[0] if literals else None
        self.constant = not self.field
        self.value: float | None = None
        if self.constant:
            self.value = self.of(literals[-1] if node.name == "geo.distance" else literals[0])

    def of(self, geometry: BaseGeometry) -> float | None:
        """The measure for a row's geometry (or the second literal); None when it has none."""
        if self.name == "geo.length":
            value = linear_length(geometry)
        else:
            assert self.literal is not None
            value = float(self.literal.distance(geometry))
        return None if math.isnan(value) else value

    def condition(self, op: str, limit: float, scale: Callable[[float], float] | None = None) -> Q:
        """Rows whose measure, through ``scale`` (arithmetic around it), compares ``op`` with ``limit``."""
        test = COMPARE[op]
        if self.constant:
            holds = self.value is not None and _holds(test, self.value, limit, scale)
            return Q(pk__isnull=not holds)
        assert self.model is not None
        column = self.field.rsplit("__", 1)[-1]
        rows = self.model._default_manager.exclude(**{f"{column}__isnull": True})
        if self.name == "geo.distance" and scale is None and op in ("lt", "le", "eq") and limit >= 0:
            # Within ``limit`` of the literal means within its box grown by ``limit``.
            assert self.literal is not None
            min_x, min_y, max_x, max_y = self.literal.bounds
            rows = rows.filter(
                Q(bbox_min_x__isnull=True)
                | Q(
                    bbox_min_x__lte=max_x + limit,
                    bbox_max_x__gte=min_x - limit,
                    bbox_min_y__lte=max_y + limit,
                    bbox_max_y__gte=min_y - limit,
                )
            )
        ids = []
        for pk, geojson in rows.values_list("pk", column).iterator(chunk_size=2000):
            geometry = _geometry_of(geojson)
            value = None if geometry is None else self.of(geometry)
            if value is not None and _holds(test, value, limit, scale):
                ids.append(pk)
        owner = self.field.rsplit("__", 1)[0] + "__pk" if "__" in self.field else "pk"
        return Q(**{f"{owner}__in": ids})


def _holds(
    test: Callable[[float, float], bool], value: float, limit: float, scale: Callable[[float], float] | None
) -> bool:
    if scale is not None:
        try:
            value = scale(value)
        except (ZeroDivisionError, ValueError, OverflowError):  # as SQL's NULL: matches nothing
            return False
    return test(value, limit)


def _measures_in(node: Node) -> list[Call]:
    """The measures a side of a comparison holds, directly or through arithmetic."""
    if isinstance(node, Call):
        return [node] if node.name in MEASURES else []
    if isinstance(node, Negate):
        return _measures_in(node.operand)
    if isinstance(node, BinOp) and node.op in ARITHMETIC:
        return _measures_in(node.left) + _measures_in(node.right)
    return []


def _scale(compiler: Compiler, node: Node, measured: Call) -> Callable[[float], float]:
    """The arithmetic around ``measured`` in ``node``, as a function of its value."""
    if node is measured:
        return lambda value: value
    if isinstance(node, Negate):
        inner = _scale(compiler, node.operand, measured)
        return lambda value: -inner(value)
    if isinstance(node, BinOp) and node.op in ARITHMETIC and any(m is measured for m in _measures_in(node)):
        if node.op in ("div", "mod") and constant(compiler, node.right) == 0:
            raise _divided_by_zero()
        left, right = _scale(compiler, node.left, measured), _scale(compiler, node.right, measured)
        combine = ARITHMETIC[node.op]
        return lambda value: combine(left(value), right(value))
    number = constant(compiler, node)
    if number is None:
        raise _not_a_number(measured.name)
    return lambda value: number


def _not_a_number(name: str) -> StaError:
    return StaError(
        _(
            "$filter: %(name)s() can only be compared with a number made of literals (one measure of the row "
            "per comparison), as in %(example)s"
        )
        % {"name": name, "example": EXAMPLES[name]}
    )


def _divided_by_zero() -> StaError:
    return StaError(_("$filter: a number is divided by zero"))


def comparison(compiler: Compiler, node: BinOp) -> Q | None:
    """The condition of a comparison with ``geo.distance``/``geo.length`` on either side, maybe
    inside arithmetic with literals (``geo.distance(...) mul 111320 lt 500``); None when it has
    none, so the compiler's own comparison applies."""
    left, right = _measures_in(node.left), _measures_in(node.right)
    if not left and not right:
        return None
    row_measures = [
        (call, side, measure)
        for calls, side in ((left, node.left), (right, node.right))
        for call in calls
        if not (measure := Measure(compiler, call)).constant
    ]
    if not row_measures:  # measures of literals only: the comparison is true or false for every row
        first, second = constant(compiler, node.left), constant(compiler, node.right)
        if first is None or second is None:
            raise _not_a_number((left or right)[0].name)
        return Q(pk__isnull=not COMPARE[node.op](first, second))
    if len(row_measures) > 1:
        raise _not_a_number(row_measures[1][0].name)
    measured, side, measure = row_measures[0]
    other, op = (node.right, node.op) if side is node.left else (node.left, FLIPPED[node.op])
    limit = constant(compiler, other)
    if limit is None:
        raise _not_a_number(measured.name)
    scale = None if side is measured else _scale(compiler, side, measured)
    return measure.condition(op, limit, scale)


def transposed(pattern: str) -> str:
    """The DE-9IM pattern of relate(b, a) from that of relate(a, b)."""
    return "".join(pattern[row + 3 * column] for row in range(3) for column in range(3))


def relate(compiler: Compiler, node: Call) -> Q:
    """``st_relate(a, b, 'T*F**F***')``: whether a and b stand in the DE-9IM relation the
    pattern describes; one of a and b is a location property, the other a literal."""
    first, second, pattern_node = node.args
    pattern_typed = compiler.value(pattern_node)
    pattern = pattern_typed.expr.value if pattern_typed.kind == "string" else None
    if not isinstance(pattern, str) or not _PATTERN.match(pattern.upper()):
        raise StaError(
            _("$filter: st_relate() takes a DE-9IM pattern of nine of T F * 0 1 2, such as %(example)s")
            % {"example": "'T*F**F***'"}
        )
    pattern = pattern.upper()
    a, b = compiler.value(first), compiler.value(second)
    if a.kind == "geography" and b.kind == "geometry":
        a, b, pattern = b, a, transposed(pattern)
    if a.kind != "geometry" or b.kind != "geography":
        raise StaError(
            _("$filter: st_relate() relates a location property and a literal such as %(example)s")
            % {"example": "geography'POINT(1 2)'"}
        )
    literal = literal_geometry(b.expr.value)
    assert a.model is not None
    column = a.field.rsplit("__", 1)[-1]
    rows = a.model._default_manager.exclude(**{f"{column}__isnull": True})
    ids = []
    for pk, geojson in rows.values_list("pk", column).iterator(chunk_size=2000):
        geometry = _geometry_of(geojson)
        if geometry is not None and geometry.relate_pattern(literal, pattern):
            ids.append(pk)
    owner = a.field.rsplit("__", 1)[0] + "__pk" if "__" in a.field else "pk"
    return Q(**{f"{owner}__in": ids})


@dataclass(frozen=True)
class MeasureOrder:
    """An ``$orderby`` key on ``geo.distance``/``geo.length``, measured per row by shapely."""

    measure: Measure
    descending: bool = False

    def asc(self) -> MeasureOrder:
        return replace(self, descending=False)

    def desc(self) -> MeasureOrder:
        return replace(self, descending=True)

    def expression(self, queryset: QuerySet[Any]) -> OrderBy | None:
        """The key for the rows of ``queryset`` (filtered, not paged); None for a measure of
        literals, the same for every row."""
        if self.measure.constant:
            return None
        field = self.measure.field
        rows = list(
            queryset.exclude(**{f"{field}__isnull": True}).order_by().values_list("pk", field)[: ORDER_LIMIT + 1]
        )
        if len(rows) > ORDER_LIMIT:
            raise StaError(
                _(
                    "$orderby: %(name)s() can order at most %(limit)s entities with a location; "
                    "narrow them with a $filter first, such as %(example)s"
                )
                % {"name": self.measure.name, "limit": ORDER_LIMIT, "example": EXAMPLES[self.measure.name]}
            )
        values: dict[int, float] = {}
        for pk, geojson in rows:
            geometry = _geometry_of(geojson)
            value = None if geometry is None else self.measure.of(geometry)
            if value is not None and math.isfinite(value):
                values[pk] = value
        key = _by_id(sorted(values.items()))
        return key.desc(nulls_first=True) if self.descending else key.asc(nulls_last=True)


def _by_id(values: list[tuple[int, float]]) -> Any:
    """``CASE`` giving each id (ascending) its value, NULL for the others: a tree on the id, so a
    row is matched in a few comparisons rather than one per ordered row."""
    if len(values) <= _LEAF:
        branches = [When(pk=pk, then=Value(value)) for pk, value in values]
        return Case(*branches, default=Value(None), output_field=models.FloatField())
    middle = len(values) // 2
    return Case(
        When(pk__lt=values[middle][0], then=_by_id(values[:middle])),
        default=_by_id(values[middle:]),
        output_field=models.FloatField(),
    )


def order(compiler: Compiler, node: Call) -> MeasureOrder:
    """``$orderby`` on a measure of a row's geometry (or of literals: the same for every row)."""
    return MeasureOrder(Measure(compiler, node))


def describe(node: Node) -> str:
    text = unparse(node)
    return text if len(text) <= 200 else text[:200] + "…"


def _geometry_of(geojson: Any) -> BaseGeometry | None:
    from cityos.sensing.sta.compile import geometry_of

    return geometry_of(geojson)
