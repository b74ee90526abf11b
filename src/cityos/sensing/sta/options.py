"""Query options: ``$filter $expand $select $orderby $top $skip $count``, nested in ``$expand``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

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
                raise StaError(_("unbalanced ')' in %(text)s") % {"text": repr(text)})
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if depth != 0 or quoted:
        raise StaError(_("unbalanced parentheses or quotes in %(text)s") % {"text": repr(text)})
    parts.append("".join(current))
    return parts


MAX_EXPAND_DEPTH = 5
LARGEST_SKIP = 2**62  # $skip plus a page must still fit a database's 64-bit integer


def _whole_number(name: str, text: str, largest: int | None = None) -> int:
    if not text.strip().isdigit():
        raise StaError(
            _("%(option)s must be a whole number of zero or more, not %(text)s") % {"option": name, "text": repr(text)}
        )
    if largest is not None and int(text) > largest:
        raise StaError(
            _("%(option)s must be at most %(largest)s, not %(text)s")
            % {"option": name, "largest": largest, "text": text.strip()}
        )
    return int(text)


def parse_options(entity_type: EntityType, params: Mapping[str, str], *, depth: int = 0) -> Options:
    if depth > MAX_EXPAND_DEPTH:
        raise StaError(_("$expand is nested too deeply (at most %(levels)s levels)") % {"levels": MAX_EXPAND_DEPTH})
    options = Options(entity_type)
    for name in params:
        if name.startswith("$") and name not in KNOWN:
            raise StaError(
                _("unknown query option %(name)s; known: %(known)s")
                % {"name": repr(name), "known": ", ".join(sorted(KNOWN))}
            )
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
                # The compiler's messages name $filter (kept verbatim in every translation).
                raise StaError(error.message.replace("$filter", "$orderby")) from None
            options.order.append(expression.desc() if descending else expression.asc())
    if "$top" in params:
        options.top = _whole_number("$top", params["$top"])
    if "$skip" in params:
        options.skip = _whole_number("$skip", params["$skip"], largest=LARGEST_SKIP)
    if "$count" in params:
        if params["$count"] not in ("true", "false"):
            raise StaError(_("$count must be true or false"))
        options.count = params["$count"] == "true"
    if "$resultFormat" in params:
        if depth > 0:
            raise StaError(_("$resultFormat applies to the whole response; it cannot be given inside $expand"))
        if params["$resultFormat"].lower() != "dataarray":
            raise StaError(
                _("$resultFormat: the only format is dataArray, not %(format)s")
                % {"format": repr(params["$resultFormat"])}
            )
        options.result_format = "dataArray"
    if "$select" in params:
        options.select = set()
        for name in (n.strip() for n in params["$select"].split(",")):
            if name == "@iot.id":
                name = "id"
            if name == DATA_ARRAY_LINK and not options.result_format:
                raise StaError(
                    _("$select: %(name)s is a column of $resultFormat=dataArray, not an entity property")
                    % {"name": name}
                )
            if name not in entity_type.props and name not in entity_type.navs and name != DATA_ARRAY_LINK:
                raise StaError(
                    _("$select: %(type)s has no property %(name)s") % {"type": entity_type.name, "name": repr(name)}
                )
            if name not in options.select:
                options.select_order.append(name)
            options.select.add(name)
    if "$expand" in params:
        for item in split_top_level(params["$expand"], ","):
            _add_expand(options, item.strip(), depth)
    return options


def _add_expand(options: Options, item: str, depth: int) -> None:
    if not item:
        raise StaError(_("$expand has an empty item"))
    path, _paren, rest = item.partition("(")
    if rest and not rest.endswith(")"):
        raise StaError(_("$expand: options of %(path)s must end with ')'") % {"path": path})
    nested_params: dict[str, str] = {}
    if rest:
        for option in split_top_level(rest[:-1], ";"):
            key, equals, value = option.partition("=")
            if not equals:
                raise StaError(
                    _("$expand: %(option)s in %(path)s(...) is not name=value") % {"option": repr(option), "path": path}
                )
            nested_params[key.strip()] = value
    names = path.strip().split("/")
    current = options
    for position, name in enumerate(names):
        nav = current.entity_type.navs.get(name)
        if nav is None:
            known = ", ".join(current.entity_type.navs)
            raise StaError(
                _("$expand: %(type)s has no link %(name)s (it has %(known)s)")
                % {"type": current.entity_type.name, "name": repr(name), "known": known}
            )
        target = ENTITY_TYPES[nav.target]
        last = position == len(names) - 1
        if last and nested_params:
            current.expand[name] = parse_options(target, nested_params, depth=depth + 1)
        elif name not in current.expand:
            current.expand[name] = Options(target)
        current = current.expand[name]
