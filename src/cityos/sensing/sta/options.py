"""Query options: ``$filter $expand $select $orderby $top $skip $count``, nested in ``$expand``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from cityos.sensing import conf
from cityos.sensing.sta.compile import compile_filter, compile_order
from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.filter import parse
from cityos.sensing.sta.geo_functions import MeasureOrder
from cityos.sensing.sta.schema import ENTITY_TYPES, EntityType

DATA_ARRAY_LINK = "FeatureOfInterest/id"  # a dataArray component (OGC 18-088, 14.3), not a property
KNOWN = {"$filter", "$expand", "$select", "$orderby", "$top", "$skip", "$count", "$resultFormat"}


@dataclass
class Options:
    entity_type: EntityType
    condition: Q | None = None
    crosses_many: bool = False
    order: list[Any] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool = False
    select: set[str] | None = None
    select_order: list[str] = field(default_factory=list)  # $select's names as written (dataArray components)
    expand: dict[str, Options] = field(default_factory=dict)
    result_format: str = ""  # "dataArray" (OGC 18-088, 14.3; sta/result_format.py), or "" for entities
    given: dict[str, str] = field(default_factory=dict)  # the options as written, for a nested nextLink

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Filter and order (not page) ``queryset``."""
        if self.condition is not None:
            if self.crosses_many:
                model = self.entity_type.model
                matching = model._default_manager.filter(self.condition).values("pk")
                queryset = queryset.filter(pk__in=matching)
            else:
                queryset = queryset.filter(self.condition)
        keys = [key.expression(queryset) if isinstance(key, MeasureOrder) else key for key in self.order]
        return queryset.order_by(*(key for key in keys if key is not None), "pk")

    def page_size(self) -> int:
        return min(self.top if self.top is not None else conf.default_top(), conf.max_top())


def split_top_level(text: str, separator: str) -> list[str]:
    """Splits on ``separator`` outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                raise StaError(f"unbalanced ')' in {text!r}")
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if depth != 0 or quoted:
        raise StaError(f"unbalanced parentheses or quotes in {text!r}")
    parts.append("".join(current))
    return parts


LARGEST_SKIP = 2**62  # $skip plus a page must still fit a database's 64-bit integer


def _whole_number(name: str, text: str, largest: int | None = None) -> int:
    if not text.strip().isdigit():
        raise StaError(f"{name} must be a whole number of zero or more, not {text!r}")
    if largest is not None and int(text) > largest:
        raise StaError(f"{name} must be at most {largest}, not {text.strip()}")
    return int(text)


def parse_options(entity_type: EntityType, params: Mapping[str, str], *, depth: int = 0) -> Options:
    if depth > 5:
        raise StaError("$expand is nested too deeply (at most 5 levels)")
    options = Options(entity_type)
    for name in params:
        if name.startswith("$") and name not in KNOWN:
            raise StaError(f"unknown query option {name!r}; known: {', '.join(sorted(KNOWN))}")
    options.given = {name: params[name] for name in params if name.startswith("$")}
    if "$filter" in params:
        options.condition, options.crosses_many = compile_filter(entity_type, parse(params["$filter"]))
    if "$orderby" in params:
        for item in split_top_level(params["$orderby"], ","):
            words = item.strip().rsplit(" ", 1)
            descending = len(words) == 2 and words[1].lower() == "desc"
            expression_text = words[0] if len(words) == 2 and words[1].lower() in ("asc", "desc") else item
            try:
                expression = compile_order(entity_type, parse(expression_text))
            except StaError as error:
                raise StaError(error.message.replace("$filter", "$orderby")) from None
            options.order.append(expression.desc() if descending else expression.asc())
    if "$top" in params:
        options.top = _whole_number("$top", params["$top"])
    if "$skip" in params:
        options.skip = _whole_number("$skip", params["$skip"], largest=LARGEST_SKIP)
    if "$count" in params:
        if params["$count"] not in ("true", "false"):
            raise StaError("$count must be true or false")
        options.count = params["$count"] == "true"
    if "$resultFormat" in params:
        if depth > 0:
            raise StaError("$resultFormat applies to the whole response; it cannot be given inside $expand")
        if params["$resultFormat"].lower() != "dataarray":
            raise StaError(f"$resultFormat: the only format is dataArray, not {params['$resultFormat']!r}")
        options.result_format = "dataArray"
    if "$select" in params:
        options.select = set()
        for name in (n.strip() for n in params["$select"].split(",")):
            if name == "@iot.id":
                name = "id"
            if name == DATA_ARRAY_LINK and not options.result_format:
                raise StaError(f"$select: {name} is a column of $resultFormat=dataArray, not an entity property")
            if name not in entity_type.props and name not in entity_type.navs and name != DATA_ARRAY_LINK:
                raise StaError(f"$select: {entity_type.name} has no property {name!r}")
            if name not in options.select:
                options.select_order.append(name)
            options.select.add(name)
    if "$expand" in params:
        for item in split_top_level(params["$expand"], ","):
            _add_expand(options, item.strip(), depth)
    return options


def _add_expand(options: Options, item: str, depth: int) -> None:
    if not item:
        raise StaError("$expand has an empty item")
    path, _, rest = item.partition("(")
    if rest and not rest.endswith(")"):
        raise StaError(f"$expand: options of {path} must end with ')'")
    nested_params: dict[str, str] = {}
    if rest:
        for option in split_top_level(rest[:-1], ";"):
            key, equals, value = option.partition("=")
            if not equals:
                raise StaError(f"$expand: {option!r} in {path}(...) is not name=value")
            nested_params[key.strip()] = value
    names = path.strip().split("/")
    current = options
    for position, name in enumerate(names):
        nav = current.entity_type.navs.get(name)
        if nav is None:
            known = ", ".join(current.entity_type.navs)
            raise StaError(f"$expand: {current.entity_type.name} has no link {name!r} (it has {known})")
        target = ENTITY_TYPES[nav.target]
        last = position == len(names) - 1
        if last and nested_params:
            current.expand[name] = parse_options(target, nested_params, depth=depth + 1)
        elif name not in current.expand:
            current.expand[name] = Options(target)
        current = current.expand[name]
