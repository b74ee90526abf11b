"""SensorThings JSON of entities, with their links, $select and nested $expand (OGC 18-088, 9.2)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from django.db.models import QuerySet

from cityos.sensing.sta.options import Options
from cityos.sensing.sta.schema import ENTITY_TYPES, EntityType, property_value


class Renderer:
    """SensorThings JSON of entities under ``base`` (the service root, e.g.
    https://city.example/sta/v1.1): for the HTTP API and for what is published over MQTT."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def self_link(self, entity_type: EntityType, pk: int) -> str:
        return f"{self.base}/{entity_type.plural}({pk})"

    def entity(self, entity_type: EntityType, obj: Any, options: Options) -> dict[str, Any]:
        link = self.self_link(entity_type, obj.pk)
        selected = options.select
        out: dict[str, Any] = {}
        if selected is None or "id" in selected:
            out["@iot.id"] = obj.pk
            out["@iot.selfLink"] = link
        for name in entity_type.props:
            if name != "id" and (selected is None or name in selected):
                out[name] = property_value(entity_type, name, obj)
        for name, nav in entity_type.navs.items():
            if name in options.expand:
                nested = options.expand[name]
                related_type = ENTITY_TYPES[nav.target]
                if nav.many:
                    related = nested.apply(getattr(obj, nav.accessor).all())
                    page, more, count = self.page(related, nested)
                    out[name] = [self.entity(related_type, item, nested) for item in page]
                    if count is not None:
                        out[f"{name}@iot.count"] = count
                    if more:
                        out[f"{name}@iot.nextLink"] = f"{link}/{name}?{self.next_query(nested)}"
                else:
                    item = getattr(obj, nav.accessor)
                    out[name] = self.entity(related_type, item, nested) if item is not None else None
            elif selected is None or name in selected:
                out[f"{name}@iot.navigationLink"] = f"{link}/{name}"
        return out

    @staticmethod
    def next_query(options: Options) -> str:
        """The query of the next page: the options as given ($filter, $orderby...), the next $skip."""
        params = {name: value for name, value in options.given.items() if name not in ("$top", "$skip")}
        params.update({"$top": str(options.page_size()), "$skip": str(options.skip + options.page_size())})
        return urlencode(params, safe="$()/',", quote_via=quote)

    @staticmethod
    def page(queryset: QuerySet[Any], options: Options) -> tuple[list[Any], bool, int | None]:
        size = options.page_size()
        count = queryset.count() if options.count else None
        if size == 0:  # $top=0 asks for the count alone: no rows, and no next page to link to
            return [], False, count
        rows = list(queryset[options.skip : options.skip + size + 1])
        return rows[:size], len(rows) > size, count
