"""Lists: limit/offset pages with absolute next/previous links, and CSV export of any list.

The default pagination class of the project (``NINJA_PAGINATION_CLASS``), so a list
operation needs only::

    from cityos.core.api.pagination import LimitOffsetNextPagination, csv_export, paginate

    @router.get("/places", response=list[PlaceOut])
    @csv_export(PlaceOut, filename="places")          # optional: ?format=csv
    @paginate(LimitOffsetNextPagination)              # or plain @paginate
    def list_places(request, filters: PlaceFilters = Query(...)):
        return places_matching(filters)               # a QuerySet (or a list)

and answers ``{"count", "next", "previous", "results"}``. ``paginate`` here is ninja's
``ninja.pagination.paginate`` (which works too) made safe for modules that use
``from __future__ import annotations`` with schema-typed parameters. ``limit`` is 1 to
``NINJA_PAGINATION_MAX_LIMIT`` and ``offset`` 0 or more; anything else is a 422 problem.

When staff read a page (or an export) of a model that declares personal data in the
registry, the read is written to the audit log with the ids shown: routers need not do it.
The entry names the personal fields the list's item schema says it shows (``shows_personal``):
the schema of the operation's ``response=list[...]`` for a page, the one given to
``csv_export`` for an export. Personal data of other records that each item shows (a
follow-up's contact's name) is declared on the same schema (``shows_related``) and audited
from the same rows, in the same pass::

    class FollowUpOut(Schema):
        contact_id: int
        contact_name: str
        shows_personal: ClassVar[frozenset[str]] = frozenset({"status", "notes"})
        shows_related: ClassVar[Mapping[str, Related]] = {"contact_id": Related(Contact, ("name",))}
"""

from __future__ import annotations

import contextlib
import csv
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import wraps
from operator import attrgetter
from typing import Any, Literal, get_args

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Schema
from ninja.constants import NOT_SET
from ninja.operation import Operation
from ninja.pagination import PaginationBase
from ninja.pagination import paginate as ninja_paginate
from ninja.signature.details import is_collection_type
from ninja.utils import contribute_operation_args, contribute_operation_callback
from pydantic import BaseModel

from cityos.core.audit.models import AuditAction
from cityos.core.audit.services import record_bulk_access
from cityos.core.conf import module_setting
from cityos.core.registry import registry
from cityos.core.spreadsheet import in_request_language, safe_cell

MAX_LIMIT: int = settings.NINJA_PAGINATION_MAX_LIMIT
DEFAULT_LIMIT: int = min(settings.NINJA_PAGINATION_PER_PAGE, MAX_LIMIT)
# Past this, databases overflow (SQLite and PostgreSQL take 64-bit offsets; keep well inside).
MAX_OFFSET = 2**31 - 1
# An export is one streamed response: big, but bounded.
CSV_MAX_ROWS: int = int(module_setting("CITYOS_API_CSV_MAX_ROWS", "100000"))


def _page_url(request: HttpRequest, offset: int, limit: int) -> str:
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@dataclass(frozen=True)
class Related:
    """Personal data of another record that each listed item shows: that record's model and the
    fields of it shown. Declared in an item schema's ``shows_related``, keyed by the item's
    attribute that holds the record's id (a dotted path reaches through a relation the list's
    query already joins, e.g. ``"quarantine.person_id"``)."""

    model: type[Model]
    fields: tuple[str, ...]

    def __post_init__(self) -> None:
        # ``("name")`` is a string, not a tuple: it would be audited letter by letter.
        if isinstance(self.fields, str) or not self.fields:
            raise TypeError(f"Related({self.model.__name__}, ...) needs a tuple of field names, e.g. ('name',).")


def _related_ids(rows: list[Any], attribute: str) -> list[Any]:
    """The ids ``attribute`` holds across ``rows``, each once, in the order first shown."""
    value = attrgetter(attribute)
    return list(dict.fromkeys(i for i in map(value, rows) if i is not None))


def audit_staff_read(
    request: HttpRequest,
    rows: Iterable[Any],
    *,
    action: str = AuditAction.READ,
    schema: type[BaseModel] | None = None,
) -> None:
    """Record a staff member's read of listed rows when they show declared personal data.

    Every declared personal field of the rows' model is named, unless the ``schema`` of one
    listed item says which of them it shows in ``shows_personal``: a schema with no resolver over
    personal data can declare ``frozenset()`` and its rows are no read of personal data.
    Declared, not inferred from field names, so a renamed or computed field is never missed.

    The records of other models that the items show (``shows_related``) are read from the same
    rows, without another query. An audit entry holds one record type (the log is searched and
    indexed by it), so the read writes one entry per kind of record shown: the listed rows', then
    each related model's, with the same description, reason and action."""
    user = getattr(request, "user", None)
    rows = list(rows)
    if not rows or user is None or not user.is_authenticated or not user.is_staff:
        return
    first = rows[0]
    if isinstance(first, Model):
        fields = registry.personal_fields(first._meta.label)
        shown: frozenset[str] | None = getattr(schema, "shows_personal", None)
        if shown is not None:
            fields = tuple(field for field in fields if field in shown)
        if fields:
            record_bulk_access(type(first), [row.pk for row in rows], fields, action=action, description=request.path)
    related: Mapping[str, Related] = getattr(schema, "shows_related", None) or {}
    for attribute, shows in related.items():
        if ids := _related_ids(rows, attribute):
            record_bulk_access(shows.model, ids, shows.fields, action=action, description=request.path)


class ListedSchema:
    """The schema of one item of a list operation, learnt when ninja builds the operation.

    ninja makes the paginator before any operation exists, and the operation is what knows the
    response (``response=list[PlaceOut]``); ``paginate`` hands the paginator one of these and has
    the operation fill it in (an operation callback, ninja's hook for decorators)."""

    def __init__(self) -> None:
        self.schema: type[BaseModel] | None = None

    def learn(self, operation: Operation) -> None:
        # Must run before ninja's own callback, which swaps ``list[Item]`` for the page schema.
        for model in operation.response_models.values():
            if model is None or model is NOT_SET:
                continue
            declared = model.__annotations__["response"]
            if is_collection_type(declared):
                self.schema = get_args(declared)[0]
                return


class LimitOffsetNextPagination(PaginationBase):
    """``?limit=&offset=`` in, ``{count, next, previous, results}`` out."""

    def __init__(self, *, listed: ListedSchema | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Without one (ninja's own ``@paginate``, ``RouterPaginated``) every declared personal
        # field of a page is named in its audit entry.
        self.listed = listed or ListedSchema()

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many results (at most the maximum).")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many results to skip.")

    class Output(Schema):
        count: int
        next: str | None = Field(None, description="The next page's absolute URL, if any.")
        previous: str | None = Field(None, description="The previous page's absolute URL, if any.")
        results: list[Any]

    items_attribute = "results"

    def paginate_queryset(self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        limit, offset = pagination.limit, pagination.offset
        count = self._items_count(queryset)
        page = list(queryset[offset : offset + limit])
        audit_staff_read(request, page, schema=self.listed.schema)
        return {
            "count": count,
            "next": _page_url(request, offset + limit, limit) if offset + limit < count else None,
            "previous": _page_url(request, max(0, offset - limit), limit) if offset > 0 and count else None,
            "results": page,
        }


def _keep_resolved_signature(wrapper: Callable[..., Any], original: Callable[..., Any]) -> None:
    """Give ``wrapper`` the signature of ``original`` with its annotations evaluated.

    ninja resolves string annotations (``from __future__ import annotations``) in the globals
    of the function it is given; for a wrapper those are the wrong module's.
    """
    # A name only imported for type checking cannot be evaluated: leave that one to ninja.
    with contextlib.suppress(NameError, TypeError):
        wrapper.__signature__ = inspect.signature(original, eval_str=True)  # type: ignore[attr-defined]


def paginate(func_or_class: Any = None, **paginator_params: Any) -> Any:
    """ninja's ``@paginate`` (default class: LimitOffsetNextPagination) that also works in modules
    using ``from __future__ import annotations``. Use as ``@paginate`` or ``@paginate(Class)``."""

    def decorate(view: Callable[..., Any], pagination_class: Any) -> Callable[..., Any]:
        params = dict(paginator_params)
        if isinstance(pagination_class, type) and issubclass(pagination_class, LimitOffsetNextPagination):
            params["listed"] = listed = ListedSchema()
            # On ``view``, whose callbacks ninja's wrapper shares and extends: so this one runs first.
            contribute_operation_callback(view, listed.learn)
        paginated: Callable[..., Any] = ninja_paginate(pagination_class, **params)(view)
        _keep_resolved_signature(paginated, view)
        return paginated

    if inspect.isfunction(func_or_class):
        return decorate(func_or_class, LimitOffsetNextPagination)
    pagination_class = func_or_class or LimitOffsetNextPagination
    return lambda view: decorate(view, pagination_class)


# --- CSV export ------------------------------------------------------------------------------


class ExportFormat(Schema):
    format: Literal["json", "csv"] = Field("json", description="'csv' streams every result as CSV.")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _flatten(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "; ".join(str(_flatten(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_flatten(v)}" for k, v in value.items())
    return "" if value is None else value


def csv_rows(schema: type[BaseModel], items: Iterable[Any]) -> Iterator[list[Any]]:
    """Header and rows of ``items`` as ``schema`` shows them in JSON (nested values flattened)."""
    columns = list(schema.model_fields)
    yield columns
    for item in items:
        data = schema.model_validate(item, from_attributes=True).model_dump(mode="json")
        yield [safe_cell(_flatten(data.get(column))) for column in columns]


def csv_response(schema: type[BaseModel], items: Iterable[Any], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        in_request_language(writer.writerow(row) for row in csv_rows(schema, items)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def csv_export(schema: type[BaseModel], *, filename: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Adds ``?format=csv`` to a paginated list operation (put it above ``@paginate``).

    The CSV holds every result (up to ``CITYOS_API_CSV_MAX_ROWS``), not one page, with the
    filters of the request applied; staff exports of personal data are audited as exports.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        # The list before paging: the function @paginate wrapped.
        unpaginated = view.__wrapped__ if getattr(view, "_ninja_is_paginated", False) else view  # type: ignore[attr-defined]

        @wraps(view)
        def wrapper(request: HttpRequest, **kwargs: Any) -> Any:
            export: ExportFormat | None = kwargs.pop("export_format", None)
            if export is None or export.format != "csv":
                return view(request, **kwargs)
            kwargs.pop("ninja_pagination", None)
            items = unpaginated(request, **kwargs)
            if isinstance(items, QuerySet):
                items = items[:CSV_MAX_ROWS]
            rows = list(items)[:CSV_MAX_ROWS]
            audit_staff_read(request, rows, action=AuditAction.EXPORT, schema=schema)
            return csv_response(schema, rows, filename)

        _keep_resolved_signature(wrapper, view)
        # @wraps shared the list of contributed arguments with ``view``; give the wrapper its own.
        wrapper._ninja_contribute_args = list(getattr(view, "_ninja_contribute_args", []))  # type: ignore[attr-defined]
        contribute_operation_args(wrapper, "export_format", ExportFormat, Query(...))
        return wrapper

    return decorator
