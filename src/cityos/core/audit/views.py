from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from cityos.core.accounts.permissions import staff_required
from cityos.core.audit.forms import AuditSearchForm
from cityos.core.audit.models import AuditEntry
from cityos.core.audit.selectors import search_entries

EXPORT_COLUMNS = [
    "at",
    "actor_label",
    "ip",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "fields",
    "changes",
    "reason",
]


def _filtered(request: HttpRequest) -> tuple[AuditSearchForm, QuerySet[AuditEntry]]:
    form = AuditSearchForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, search_entries(**{k: v for k, v in form.cleaned_data.items() if v})
    if form.is_bound:
        return form, AuditEntry.objects.none()
    return form, AuditEntry.objects.all()


@staff_required("administrator")
def log(request: HttpRequest) -> HttpResponse:
    form, entries = _filtered(request)
    page: Any = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "audit/_table.html" if request.htmx else "audit/log.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "page": page, "query": query.urlencode()})


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_required("administrator")
def export(request: HttpRequest) -> StreamingHttpResponse:
    _form, entries = _filtered(request)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(EXPORT_COLUMNS)
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [getattr(entry, c).isoformat() if c == "at" else getattr(entry, c) for c in EXPORT_COLUMNS]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
