"""Private Things in the SensorThings API: who may see them, and the audit of the staff who do.

A Thing is private when it watches people, such as a council home's room sensor
(``Thing.private``, kept by :func:`cityos.sensing.services.thing_private`). To a reader whose
sensing role does not cover it (anyone anonymous, residents, staff of other departments or
districts) it does not exist, nor does what only it leads to:

- its Datastreams and their Observations, and its HistoricalLocations;
- its Locations, unless a Thing the reader sees stands (or stood) there too;
- the FeaturesOfInterest made from such a Location or observed only by its Datastreams.

Collections leave them out, an id answers 404, ``$expand`` and navigation paths skip them, and a
``$filter`` through a link that can lead from what the reader sees to what they may not
(:data:`CROSSING`) only looks at what they see. Staff whose role covers a private Thing (an
operator or data publisher of its department and district; administrators) read it as anything
else, and each read of private data is an audit entry naming the entities and properties shown.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from cityos.core.audit.services import record_bulk_access
from cityos.sensing.models import Datastream, HistoricalLocation, Location, Observation, Thing
from cityos.sensing.ops.scope import Scope, scope_of
from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.filter import BinOp, Call, Negate, Node, Not, Path
from cityos.sensing.sta.options import Options
from cityos.sensing.sta.render import Renderer
from cityos.sensing.sta.schema import ENTITY_TYPES, EntityType

# The links along which a reader can get from what they see to what they may not: a Location
# shared with a private Thing, the shared catalogue of Sensors and ObservedProperties, and a
# FeatureOfInterest observed by public and private Datastreams alike. Every other link leads
# from a visible entity only to visible ones (a visible Thing's Datastreams, a visible
# Observation's FeatureOfInterest...), so a $filter along it needs no extra condition.
CROSSING = {
    ("Location", "Things"),
    ("Location", "HistoricalLocations"),
    ("Sensor", "Datastreams"),
    ("ObservedProperty", "Datastreams"),
    ("FeatureOfInterest", "Observations"),
}
Marks = Callable[[str], Q]  # the Things in question, as a condition on a path's prefix ("thing__")


def _private(prefix: str) -> Q:
    return Q(**{f"{prefix}private": True})


def only_through(type_name: str, marks: Marks) -> Q | None:
    """Entities of ``type_name`` reached only through the Things ``marks`` names (None: no rule)."""
    if type_name == "Thing":
        return marks("")
    if type_name in ("Datastream", "HistoricalLocation"):
        return marks("thing__")
    if type_name == "Observation":
        return Q(datastream_id__in=Datastream.objects.filter(marks("thing__")).values("pk"))
    if type_name == "Location":
        return _marked_locations(marks)
    if type_name == "FeatureOfInterest":
        marked_streams = Datastream.objects.filter(marks("thing__")).values("pk")
        observed = Observation.objects.filter(feature_of_interest=OuterRef("pk"))
        return ~Exists(observed.exclude(datastream_id__in=marked_streams)) & (
            Exists(observed.filter(datastream_id__in=marked_streams))
            | Q(from_location__in=Location.objects.filter(_marked_locations(marks)).values("pk"))
        )
    return None  # Sensors and ObservedProperties are a shared catalogue: never private


def _marked_locations(marks: Marks) -> Q:
    """Locations where a marked Thing stands or stood, and no other Thing ever did."""
    now = Thing.locations.through.objects.filter(location_id=OuterRef("pk"))
    then = HistoricalLocation.locations.through.objects.filter(location_id=OuterRef("pk"))
    marked = Exists(now.filter(marks("thing__"))) | Exists(then.filter(marks("historicallocation__thing__")))
    other = Exists(now.exclude(marks("thing__"))) | Exists(then.exclude(marks("historicallocation__thing__")))
    return marked & ~other


@dataclass
class Visibility:
    """What one reader may see of private Things, found once per request."""

    user: Any = None
    scope: Scope = field(default_factory=lambda: Scope(()))
    restricts: bool = False  # some private Thing is hidden from this reader
    audits: bool = False  # this reader sees some private Thing: their reads of it are recorded
    _shown: dict[str, dict[int, set[str]]] = field(default_factory=lambda: defaultdict(dict))

    @classmethod
    def of(cls, user: Any) -> Visibility:
        if not Thing.objects.filter(private=True).exists():
            return cls(user)
        scope = scope_of(user) if user is not None else Scope(())
        if scope.everything:
            return cls(user, scope, restricts=False, audits=True)
        if scope.nothing:
            return cls(user, scope, restricts=True, audits=False)
        private = Thing.objects.filter(private=True)
        return cls(
            user,
            scope,
            restricts=private.exclude(scope.q()).exists(),
            audits=private.filter(scope.q()).exists(),
        )

    def hidden(self, prefix: str) -> Q:
        """The private Things this reader may not see, as a condition on ``prefix`` ("thing__")."""
        if self.scope.nothing:
            return _private(prefix)
        return _private(prefix) & ~self.scope.q(prefix)

    def condition(self, type_name: str) -> Q | None:
        """What of ``type_name`` this reader sees, or None when they see all of it."""
        if not self.restricts:
            return None
        marked = only_through(type_name, self.hidden)
        return None if marked is None else ~marked

    def restrict(self, type_name: str, queryset: QuerySet[Any]) -> QuerySet[Any]:
        condition = self.condition(type_name)
        return queryset if condition is None else queryset.filter(condition)

    def sees(self, type_name: str, pk: int) -> bool:
        """Whether this reader may see the entity with this id (which exists)."""
        if not self.restricts:
            return True
        model = ENTITY_TYPES[type_name].model
        return self.restrict(type_name, model._default_manager.filter(pk=pk)).exists()

    def restrict_expands(self, options: Options) -> None:
        """Every $expand of ``options``, at any depth, shows only what this reader sees."""
        for nested in options.expand.values():
            condition = self.condition(nested.entity_type.name)
            if condition is not None:
                nested.condition = condition if nested.condition is None else nested.condition & condition
            self.restrict_expands(nested)

    # --- the audit of staff reads -------------------------------------------------------
    def renderer(self, base: str) -> Renderer:
        """The renderer of a response: one that notes what it shows, when reads are audited."""
        return NotingRenderer(base, self) if self.audits else Renderer(base)

    def note(self, entity_type: EntityType, obj: Any, shown: dict[str, Any]) -> None:
        if self.audits:
            names = {name for name in shown if name in entity_type.props}
            self._shown[entity_type.name].setdefault(obj.pk, set()).update(names)

    def note_rows(self, entity_type: EntityType, ids: list[int], names: list[str]) -> None:
        if self.audits:
            for pk in ids:
                self._shown[entity_type.name].setdefault(pk, set()).update(names)

    def record(self, where: str) -> None:
        """One audit entry per type of private entity the response showed (if any); ``where``
        describes the request, e.g. "SensorThings API GET /sta/v1.1/Things?..."."""
        for type_name, shown in self._shown.items():
            marked = only_through(type_name, _private)
            if marked is None or not shown:
                continue
            model = ENTITY_TYPES[type_name].model
            private: list[int] = []
            ids = sorted(shown)
            for start in range(0, len(ids), 2000):
                chunk = ids[start : start + 2000]
                private += model._default_manager.filter(marked, pk__in=chunk).values_list("pk", flat=True)
            if private:
                names = sorted(set().union(*(shown[pk] for pk in private)))
                record_bulk_access(model, sorted(private), names, description=where[:200])
        self._shown.clear()


class NotingRenderer(Renderer):
    """A renderer that tells the reader's Visibility each entity it shows, for the audit."""

    def __init__(self, base: str, visibility: Visibility) -> None:
        super().__init__(base)
        self.visibility = visibility

    def entity(self, entity_type: EntityType, obj: Any, options: Options) -> dict[str, Any]:
        out = super().entity(entity_type, obj, options)
        self.visibility.note(entity_type, obj, out)
        return out


# --- $filter through links that may reach what the reader may not see --------------------------
_reading: ContextVar[Visibility | None] = ContextVar("cityos_sta_visibility", default=None)


@contextmanager
def reading(visibility: Visibility) -> Iterator[Visibility]:
    """Options parsed inside compile their $filter for this reader (see :func:`through_visible`)."""
    token = _reading.set(visibility)
    try:
        yield visibility
    finally:
        _reading.reset(token)


def current_visibility() -> Visibility | None:
    """The reader (or writer) of the SensorThings request being answered, if any."""
    return _reading.get()


def _paths(node: Node) -> Iterator[Path]:
    if isinstance(node, Path):
        yield node
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _paths(arg)
    elif isinstance(node, BinOp):
        yield from _paths(node.left)
        yield from _paths(node.right)
    elif isinstance(node, (Not, Negate)):
        yield from _paths(node.operand)


def _strip(node: Node, count: int) -> Node:
    """``node`` with ``count`` leading links taken off each of its paths."""
    if isinstance(node, Path):
        return Path(node.parts[count:])
    if isinstance(node, Call):
        return dataclasses.replace(node, args=tuple(_strip(arg, count) for arg in node.args))
    if isinstance(node, BinOp):
        return dataclasses.replace(node, left=_strip(node.left, count), right=_strip(node.right, count))
    if isinstance(node, (Not, Negate)):
        return dataclasses.replace(node, operand=_strip(node.operand, count))
    return node


def _crossing(entity_type: EntityType, parts: tuple[str, ...]) -> int | None:
    """The position in ``parts`` of the first link in CROSSING, if the path takes one."""
    for position, part in enumerate(parts):
        nav = entity_type.navs.get(part)
        if nav is None:
            return None
        if (entity_type.name, part) in CROSSING:
            return position
        entity_type = ENTITY_TYPES[nav.target]
    return None


def through_visible(compiler: Any, node: Node) -> Q | None:
    """A condition whose paths take a CROSSING link, limited to what the reader sees; or None.

    ``Sensors?$filter=Datastreams/Thing/name eq 'x'`` becomes "has a Datastream among those the
    reader sees whose Thing is named x": the part after the link is compiled on its own, as a
    $filter of the linked entity set (taking further such links the same way), and joined back
    by ``IN``. Called by the compiler for each condition that is not and/or/not.
    """
    visibility = _reading.get()
    if visibility is None or not visibility.restricts:
        return None
    paths = list(_paths(node))
    crossings = [_crossing(compiler.entity_type, path.parts) for path in paths]
    first = next((c for c in crossings if c is not None), None)
    if first is None:
        return None
    head = next(p for p, c in zip(paths, crossings, strict=True) if c is not None).parts[: first + 1]
    for path in paths:
        if path.parts[: first + 1] != head:
            raise StaError(
                _(
                    "$filter: a condition through %(link)s may compare only what that link leads to "
                    "with literals, not with %(other)s"
                )
                % {"link": "/".join(head), "other": "/".join(path.parts)}
            )
        if len(path.parts) == first + 1:
            return None  # the path names an entity, not a property: the compiler says so
    entity_type, lookups = compiler.entity_type, []
    for part in head:
        nav = entity_type.navs[part]
        lookups.append(nav.accessor)
        entity_type = ENTITY_TYPES[nav.target]
    inner = type(compiler)(entity_type)
    condition = inner.condition(_strip(node, first + 1))
    matching = visibility.restrict(entity_type.name, entity_type.model._default_manager.filter(condition))
    compiler.crosses_many = True  # every CROSSING link leads to many
    return Q(**{f"{'__'.join(lookups)}__in": matching.values("pk")})


def private_entity(type_name: str, pk: int) -> bool:
    """Whether the entity is private (a private Thing, or reached only through private Things)."""
    marked = only_through(type_name, _private)
    if marked is None:
        return False
    model: type[models.Model] = ENTITY_TYPES[type_name].model
    return model._default_manager.filter(marked, pk=pk).exists()


__all__ = [
    "CROSSING",
    "NotingRenderer",
    "Visibility",
    "current_visibility",
    "only_through",
    "private_entity",
    "reading",
    "through_visible",
]
