"""Sorting and CSV export of the staff lists.

A list names its sortable columns; ``?sort=column`` sorts ascending and ``?sort=-column``
descending. An unknown column falls back to the list's default order rather than failing, so
an old bookmark still opens.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from cityos.core.spreadsheet import safe_cell

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Sort:
    column: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.column}" if self.descending else self.column


def sort_from(request: HttpRequest, columns: Mapping[str, Sequence[str]], default: str, param: str = "sort") -> Sort:
    raw = request.GET.get(param, "") or default
    column = raw.removeprefix("-")
    if column not in columns:
        raw, column = default, default.removeprefix("-")
    return Sort(column=column, descending=raw.startswith("-"))


def sorted_by(found: QuerySet[M], sort: Sort, columns: Mapping[str, Sequence[str]]) -> QuerySet[M]:
    prefix = "-" if sort.descending else ""
    # The primary key last makes the order stable across pages.
    return found.order_by(*[prefix + name for name in columns[sort.column]], prefix + "pk")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return response
