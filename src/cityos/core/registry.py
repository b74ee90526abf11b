"""The registry in which every app declares what it adds to the platform.

Apps fill it from ``AppConfig.ready()`` (see :class:`cityos.core.domain.CityAppConfig`), so the
core's pages, API, scheduler and demo builder pick a new module up without being edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from django.utils.functional import Promise

from cityos.core.conf import module_codes

if TYPE_CHECKING:
    import random

    from ninja import Router

Area = Literal["portal", "ops"]


@dataclass(frozen=True)
class ScopedRoles:
    """Role names ("operator", ...) that count only within one module's department scope.

    Made with :func:`module_roles` in an app's conf.py and passed whole to the checks
    (``holds_any_role``, ``staff_required``, ``require_roles``, menus, tiles). A plain tuple of
    names counts a role in every department; this keeps the module with the names, and cannot be
    turned back into names by accident: it has no ``__iter__`` or ``__len__`` (``*roles`` and
    ``tuple(roles)`` raise TypeError), and ``str()`` of it is no role's name, so a check handed it
    as text matches nobody. Read the names with :func:`role_names` where they are only shown.
    """

    module: str
    roles: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.module:
            raise ValueError("A module's roles need the module's key.")
        if isinstance(self.roles, str) or not self.roles:
            # No roles would mean "any staff", which is no scope at all.
            raise ValueError(f"Give the {self.module!r} module's roles as names, at least one.")
        if not all(isinstance(role, str) for role in self.roles):
            raise TypeError(f"The {self.module!r} module's roles must be role names: {self.roles!r}")
        # Role choices (enum members) become their plain values: equal, but simpler to compare.
        object.__setattr__(self, "roles", tuple(dict.fromkeys(str(role) for role in self.roles)))


# The roles a check asks for: a module's (ScopedRoles), or a plain tuple of names that count in
# every department (administrator-only pages, core pages of no module, sensing's own scoping).
Roles: TypeAlias = tuple[str, ...] | ScopedRoles


def module_roles(module: str, *roles: str) -> ScopedRoles:
    """``roles`` as they count in ``module``, whose departments its app declares with
    ``registry.add_department_scope(DepartmentScope(module, ...))``."""
    return ScopedRoles(module, roles)


def role_names(roles: Roles) -> tuple[str, ...]:
    """The names in ``roles``, to show or to filter rows by; never to check (that needs the module).

    A bare string is refused: iterated, it would ask for roles named "o", "p", ...
    """
    if isinstance(roles, ScopedRoles):
        return roles.roles
    if not isinstance(roles, tuple | list) or any(not isinstance(role, str) for role in roles):
        raise TypeError(
            f"Roles are a tuple of role names or a module's roles (module_roles), not {roles!r}; "
            "pass a module's roles whole, not unpacked or inside a tuple."
        )
    return tuple(roles)


@dataclass(frozen=True)
class NavItem:
    """A link in the residents' portal or the staff operations centre."""

    key: str
    label: str | Promise
    url_name: str
    area: Area
    order: int = 100
    # Staff roles that see the entry; empty means everyone who can open the area.
    roles: Roles = ()


@dataclass(frozen=True)
class DashboardTile:
    """A live tile on the operations centre, rendered by an HTMX partial at ``url_name``."""

    key: str
    title: str | Promise
    url_name: str
    order: int = 100
    refresh_seconds: int = 30
    roles: Roles = ()


@dataclass(frozen=True)
class PeriodicJob:
    """A task enqueued every ``every``; the scheduler keeps one schedule across all workers."""

    name: str
    task: Any  # a django_tasks Task
    every: timedelta
    description: str | Promise = ""


@dataclass
class DemoContext:
    """What the demo builder hands each step: a seeded random source and shared results."""

    rng: random.Random
    say: Callable[[str], None]
    data: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)


# True while `cityos demo` seeds the city: nothing is serving or subscribed yet, so apps can skip
# live side effects (the MQTT notifications of new entities) that would only fail or go unheard.
building_demo: ContextVar[bool] = ContextVar("building_demo", default=False)


@dataclass(frozen=True)
class DemoStep:
    """Adds one app's part to the demo city; steps run in ``order``."""

    name: str
    build: Callable[[DemoContext], None]
    order: int = 100


@dataclass(frozen=True)
class ApiRouter:
    """A ninja Router mounted under /api/v1/<prefix>/."""

    prefix: str
    router: Router
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonalData:
    """Declares which fields of a model hold personal data (audited, retained, redacted)."""

    model_label: str
    fields: tuple[str, ...]
    retention_days: int | None = None


@dataclass(frozen=True)
class BackgroundService:
    """A long-running part of an app (a broker, a consumer) that ``start`` launches in threads.

    ``cityos serve --jobs`` and ``cityos worker`` call every ``start`` once per process; it
    decides from its own settings whether to run and must return quickly (start threads).
    """

    name: str
    start: Callable[[], None]


@dataclass(frozen=True)
class Open311Attribute:
    """A question a service asks with each request (GeoReport v2 service definition)."""

    code: str
    description: str | Promise
    # The core checks answers against it (multivaluelist is not offered: one answer per attribute).
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist"] = "string"
    required: bool = False
    datatype_description: str | Promise = ""
    values: tuple[tuple[str, str | Promise], ...] = ()  # (key, name) for the list datatypes


@dataclass(frozen=True)
class Open311Service:
    """One kind of request residents and other systems may send (GeoReport v2 service)."""

    code: str
    name: str | Promise
    description: str | Promise
    group: str | Promise
    keywords: tuple[str, ...] = ()
    attributes: tuple[Open311Attribute, ...] = ()


@dataclass(frozen=True)
class Open311Submission:
    """A POSTed service request, cleaned: a place (a point or an address), the answers, the text."""

    service_code: str
    lat: float | None
    long: float | None
    address: str
    description: str
    attributes: dict[str, str]
    phone: str
    email: str
    language: str
    media_url: str = ""  # where the client keeps a photo; the provider checks it


@dataclass(frozen=True)
class Open311Receipt:
    """A stored request: the provider's id and a notice for the resident ("" for none)."""

    id: str
    notice: str = ""


@dataclass(frozen=True)
class Open311Request:
    """What the city says about one request (GET requests). ``id`` is the provider's own.

    Everything here is public: ``description`` and ``status_notes`` must hold no personal data
    (not a resident's own words or contact)."""

    id: str
    status: Literal["open", "closed"]
    service_code: str
    requested: datetime
    updated: datetime | None = None
    status_notes: str = ""
    description: str = ""
    agency_responsible: str = ""
    address: str = ""
    lat: float | None = None
    long: float | None = None
    expected: datetime | None = None  # when the city expects to have dealt with it


@dataclass(frozen=True)
class Open311Query:
    ids: tuple[str, ...] | None  # the provider's own ids; None: any
    service_codes: frozenset[str]
    start: datetime
    end: datetime
    statuses: frozenset[str]  # "open", "closed"
    limit: int


@dataclass(frozen=True)
class Open311Provider:
    """A domain's GeoReport v2 services, served by the core at ``/open311/v2/``.

    Request ids are ``<prefix>-<the provider's id>``. ``submit`` stores one request in one
    transaction (ValidationError naming the parameter when it cannot) and returns its receipt;
    ``find`` answers a query. Submissions from one address count against ``limit_scope``
    (shared with the domain's own forms) up to ``limit_per_hour()`` an hour."""

    prefix: str
    services: tuple[Open311Service, ...]
    submit: Callable[[Open311Submission], Open311Receipt]
    find: Callable[[Open311Query], list[Open311Request]]
    limit_scope: str
    limit_per_hour: Callable[[], int]


@dataclass(frozen=True)
class MessageKind:
    """A message template an app sends, by key, with the name staff see for it in the message log.

    The texts themselves are the city's to edit (``MessageTemplate`` rows); the label says what
    the message was for, e.g. "Bin emptied: resident told" for ``waste_report_collected``.
    ``secret``: the text holds a one-time code, so delivery empties it once it is sent or has
    failed for good; the log keeps who, when and how, never the code."""

    key: str
    label: str | Promise
    secret: bool = False


# A department scope's setting set to this: staff of every department do the module's work.
EVERY_DEPARTMENT = "*"


@dataclass(frozen=True)
class DepartmentScope:
    """The departments whose staff do one module's work (docs/platform.md, "People and roles").

    The module's role lists, made with :func:`module_roles` and this ``key``, then count a staff
    role only when it names no department or one of these; administrators always count. The
    codes come from ``setting`` (a Django setting, comma-separated or a list, or an environment
    variable), else ``default``; only ``*`` means every department. A setting that is present but
    names no code means no department: only roles of no department and administrators count.
    """

    key: str
    setting: str
    default: str

    def department_codes(self) -> frozenset[str] | None:
        """The departments' codes (empty: none); None: every department."""
        codes = module_codes(self.setting, self.default)
        return None if EVERY_DEPARTMENT in codes else codes


@dataclass(frozen=True)
class EventSubscription:
    event_name: str
    handler: Callable[..., None]
    durable: bool


class Registry:
    def __init__(self) -> None:
        self.nav: dict[str, NavItem] = {}
        self.tiles: dict[str, DashboardTile] = {}
        self.periodic_jobs: dict[str, PeriodicJob] = {}
        self.demo_steps: dict[str, DemoStep] = {}
        self.api_routers: dict[str, ApiRouter] = {}
        self.personal_data: dict[str, PersonalData] = {}
        self.subscriptions: list[EventSubscription] = []
        self.background_services: dict[str, BackgroundService] = {}
        self.open311: dict[str, Open311Provider] = {}
        self.message_kinds: dict[str, MessageKind] = {}
        self.department_scopes: dict[str, DepartmentScope] = {}
        # Which app declared each department scope (its name, "cityos.waste"): the system check
        # holds that app's menus, tiles, pages and role constants to its scope (accounts.checks).
        self.scope_apps: dict[str, str] = {}
        self._declaring: str | None = None

    @staticmethod
    def _add(table: dict[str, Any], key: str, item: Any) -> None:
        if key in table and table[key] != item:
            raise ValueError(f"{key!r} is registered twice with different values")
        table[key] = item

    def add_nav(self, item: NavItem) -> None:
        self._add(self.nav, f"{item.area}:{item.key}", item)

    def add_tile(self, tile: DashboardTile) -> None:
        self._add(self.tiles, tile.key, tile)

    def add_periodic_job(self, job: PeriodicJob) -> None:
        self._add(self.periodic_jobs, job.name, job)

    def add_demo_step(self, step: DemoStep) -> None:
        self._add(self.demo_steps, step.name, step)

    def add_api_router(self, api_router: ApiRouter) -> None:
        self._add(self.api_routers, api_router.prefix, api_router)

    def declare_personal_data(self, declaration: PersonalData) -> None:
        self._add(self.personal_data, declaration.model_label, declaration)

    def add_open311_provider(self, provider: Open311Provider) -> None:
        self._add(self.open311, provider.prefix, provider)

    def add_message_kind(self, kind: MessageKind) -> None:
        self._add(self.message_kinds, kind.key, kind)

    def add_department_scope(self, scope: DepartmentScope) -> None:
        self._add(self.department_scopes, scope.key, scope)
        if self._declaring is not None:
            self.scope_apps[scope.key] = self._declaring

    @contextmanager
    def declaring(self, app_name: str) -> Iterator[None]:
        """What is registered inside is ``app_name``'s (``CityAppConfig.ready``)."""
        before, self._declaring = self._declaring, app_name
        try:
            yield
        finally:
            self._declaring = before

    def add_background_service(self, name: str, start: Callable[[], None]) -> None:
        self._add(self.background_services, name, BackgroundService(name, start))

    def subscribe(self, event_name: str, handler: Callable[..., None], *, durable: bool) -> None:
        subscription = EventSubscription(event_name, handler, durable)
        if subscription not in self.subscriptions:
            self.subscriptions.append(subscription)

    # Ordered views used by pages, scheduler and demo builder.
    def nav_for(self, area: Area) -> list[NavItem]:
        return sorted((n for n in self.nav.values() if n.area == area), key=lambda n: n.order)

    def ordered_tiles(self) -> list[DashboardTile]:
        return sorted(self.tiles.values(), key=lambda t: t.order)

    def ordered_demo_steps(self) -> list[DemoStep]:
        return sorted(self.demo_steps.values(), key=lambda s: s.order)

    def message_label(self, key: str) -> str:
        """The name of message template ``key`` in the active language; the key itself for one no
        app declared (a city's own template, or one of a module since removed)."""
        kind = self.message_kinds.get(key)
        return str(kind.label) if kind else key

    def message_is_secret(self, key: str) -> bool:
        """Whether template ``key``'s text holds a one-time code (``MessageKind.secret``)."""
        kind = self.message_kinds.get(key)
        return bool(kind and kind.secret)

    def personal_fields(self, model_label: str) -> tuple[str, ...]:
        declaration = self.personal_data.get(model_label)
        return declaration.fields if declaration else ()


registry = Registry()
