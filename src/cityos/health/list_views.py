"""The staff lists: filtered, searched, sorted, paginated and exported as CSV.

Each list and its export share one reason for access (asked once, kept 30 minutes); the page
audits the rows shown and the export every row it writes, as an export.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityos.core.accounts.permissions import staff_required
from cityos.core.audit.context import with_reason
from cityos.core.audit.models import AuditAction
from cityos.core.audit.services import record_bulk_access
from cityos.health import selectors
from cityos.health.conf import HEALTH_ROLES
from cityos.health.listing import Sort, csv_response, sort_from, sorted_by
from cityos.health.models import (
    Case,
    Classification,
    Contact,
    Declaration,
    FlagReason,
    HealthTask,
    Quarantine,
    Relationship,
    TaskKind,
)
from cityos.health.reasons import asks_reason, reason_for, reason_on_record

PAGE_SIZE = 25
CHART_DAYS = 28
CHART_HEIGHT = 100
BAR_WIDTH = 10
DECLARATION_DAYS = 14

CASE_SORTS: dict[str, tuple[str, ...]] = {
    "ref": ("ref",),
    "name": ("name",),
    "classification": ("classification",),
    "onset": ("onset_date",),
    "contacts": ("contact_count",),
    "recorded": ("created_at",),
}
CONTACT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "case": ("case__ref",),
    "relationship": ("relationship",),
    "exposure": ("last_exposure",),
}
FOLLOW_UP_SORTS: dict[str, tuple[str, ...]] = {"contact": ("contact__name",), "case": ("contact__case__ref",)}
DECLARATION_SORTS: dict[str, tuple[str, ...]] = {
    "day": ("day",),
    "resident": ("person__last_name", "person__first_name"),
    "why": ("flag_reason",),
}
QUARANTINE_SORTS: dict[str, tuple[str, ...]] = {
    "person": ("person__last_name", "person__first_name"),
    "start": ("start_date",),
    "end": ("end_date",),
}
TASK_SORTS: dict[str, tuple[str, ...]] = {"day": ("day",), "kind": ("kind",)}


def _q(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:100]


def _choice(request: HttpRequest, name: str, choices: Sequence[str]) -> str:
    # A value outside the choices shows the whole list rather than an empty one.
    value = request.GET.get(name, "")
    return value if value in choices else ""


def _page(request: HttpRequest, found: QuerySet[Any], param: str = "page") -> Page[Any]:
    return Paginator(found, PAGE_SIZE).get_page(request.GET.get(param))


def _audit(
    request: HttpRequest, key: str, model: type[Model], ids: list[Any], fields: Sequence[str], *, export: bool = False
) -> None:
    if not ids:
        return
    with with_reason(reason_for(request, key)):
        record_bulk_access(
            model, ids, fields, action=AuditAction.EXPORT if export else AuditAction.READ, description=request.path
        )


def _context(request: HttpRequest, sort: Sort, **extra: Any) -> dict[str, Any]:
    return {"sort": sort, "q": _q(request), "query": request.GET.urlencode(), **extra}


def new_cases_chart() -> dict[str, Any]:
    """Bars of new cases per day for an inline SVG; the same numbers go in a table beside it."""
    per_day = selectors.new_cases_per_day(CHART_DAYS)
    peak = max((n for _day, n in per_day), default=0) or 1
    bars = []
    for i, (day, count) in enumerate(per_day):
        height = round(count / peak * CHART_HEIGHT)
        bars.append({"day": day, "count": count, "x": i * BAR_WIDTH, "y": CHART_HEIGHT - height, "height": height})
    return {
        "bars": bars,
        "peak": max(n for _day, n in per_day),
        "total": sum(n for _day, n in per_day),
        "width": CHART_DAYS * BAR_WIDTH,
        "height": CHART_HEIGHT,
        "days": CHART_DAYS,
        "first_day": per_day[0][0],
        "last_day": per_day[-1][0],
    }


# --- Cases ------------------------------------------------------------------------------------


def _cases(request: HttpRequest) -> tuple[QuerySet[Case], Sort, str]:
    classification = _choice(request, "classification", Classification.values)
    sort = sort_from(request, CASE_SORTS, "-recorded")
    found = sorted_by(selectors.cases(q=_q(request), classification=classification), sort, CASE_SORTS)
    return found, sort, classification


@staff_required(HEALTH_ROLES)
@asks_reason("cases", gettext_lazy("the case list"))
def case_list(request: HttpRequest) -> HttpResponse:
    found, sort, classification = _cases(request)
    page = _page(request, found)
    _audit(request, "cases", Case, [c.pk for c in page], ("name",))
    context = _context(
        request,
        sort,
        page=page,
        classification=classification,
        classifications=Classification.choices,
        chart=new_cases_chart(),
    )
    return render(request, "health/cases.html", context)


@staff_required(HEALTH_ROLES)
@reason_on_record("cases", "health:cases")
def case_export(request: HttpRequest) -> HttpResponse:
    found = list(_cases(request)[0])
    _audit(request, "cases", Case, [c.pk for c in found], ("name", "lab_result", "onset_date"), export=True)
    header = ["ref", "name", "classification", "lab_result", "lab_date", "onset_date", "contacts", "created_at"]
    rows = (
        [
            c.ref,
            c.name,
            c.classification,
            c.lab_result,
            c.lab_date or "",
            c.onset_date or "",
            c.contact_count,  # type: ignore[attr-defined]
            c.created_at.isoformat(),
        ]
        for c in found
    )
    return csv_response("cases.csv", header, rows)


# --- Contacts ---------------------------------------------------------------------------------


def _contacts(request: HttpRequest) -> tuple[QuerySet[Contact], Sort, str]:
    relationship = _choice(request, "relationship", Relationship.values)
    sort = sort_from(request, CONTACT_SORTS, "name")
    return (
        sorted_by(selectors.contacts(q=_q(request), relationship=relationship), sort, CONTACT_SORTS),
        sort,
        relationship,
    )


@staff_required(HEALTH_ROLES)
@asks_reason("contacts", gettext_lazy("the contact list"))
def contact_list(request: HttpRequest) -> HttpResponse:
    found, sort, relationship = _contacts(request)
    page = _page(request, found)
    _audit(request, "contacts", Contact, [c.pk for c in page], ("name", "last_exposure"))
    context = _context(request, sort, page=page, relationship=relationship, relationships=Relationship.choices)
    return render(request, "health/contacts.html", context)


@staff_required(HEALTH_ROLES)
@reason_on_record("contacts", "health:contacts")
def contact_export(request: HttpRequest) -> HttpResponse:
    found = list(_contacts(request)[0])
    _audit(
        request, "contacts", Contact, [c.pk for c in found], ("name", "contact_details", "last_exposure"), export=True
    )
    header = ["name", "contact_details", "case", "relationship", "last_exposure"]
    rows = ([c.name, c.contact_details, c.case.ref, c.relationship, c.last_exposure] for c in found)
    return csv_response("contacts.csv", header, rows)


# --- Follow-ups due -----------------------------------------------------------------------------


def _follow_ups(request: HttpRequest) -> tuple[QuerySet[Any], Sort, date, bool]:
    raw_day = request.GET.get("day", "")
    try:
        day = parse_date(raw_day) if raw_day else None
    except ValueError:
        day = None
    bad_day = bool(raw_day) and day is None
    day = day or timezone.localdate()
    sort = sort_from(request, FOLLOW_UP_SORTS, "contact")
    return sorted_by(selectors.follow_ups_due(day, q=_q(request)), sort, FOLLOW_UP_SORTS), sort, day, bad_day


@staff_required(HEALTH_ROLES)
@asks_reason("follow-ups", gettext_lazy("today's follow-ups"))
def follow_ups_due(request: HttpRequest) -> HttpResponse:
    found, sort, day, bad_day = _follow_ups(request)
    if bad_day:
        messages.error(request, _("The day must be a date like 2026-05-31; showing today."))
    page = _page(request, found)
    _audit(request, "follow-ups", Contact, [f.contact_id for f in page], ("name", "contact_details"))
    context = _context(request, sort, page=page, day=day, today=timezone.localdate())
    return render(request, "health/follow_ups.html", context)


@staff_required(HEALTH_ROLES)
@reason_on_record("follow-ups", "health:follow-ups")
def follow_up_export(request: HttpRequest) -> HttpResponse:
    found = list(_follow_ups(request)[0])
    _audit(request, "follow-ups", Contact, [f.contact_id for f in found], ("name", "contact_details"), export=True)
    header = ["day", "contact", "contact_details", "case", "status"]
    rows = ([f.day, f.contact.name, f.contact.contact_details, f.contact.case.ref, f.status] for f in found)
    return csv_response("follow-ups.csv", header, rows)


# --- Flagged declarations -------------------------------------------------------------------------


def _declarations(request: HttpRequest) -> tuple[QuerySet[Declaration], Sort, str]:
    reason = _choice(request, "why", FlagReason.values)
    since = timezone.localdate() - timedelta(days=DECLARATION_DAYS)
    sort = sort_from(request, DECLARATION_SORTS, "-day")
    found = selectors.flagged_declarations(since=since, q=_q(request), reason=reason)
    return sorted_by(found, sort, DECLARATION_SORTS), sort, reason


@staff_required(HEALTH_ROLES)
@asks_reason("declarations", gettext_lazy("flagged declarations"))
def flagged_declarations(request: HttpRequest) -> HttpResponse:
    found, sort, why = _declarations(request)
    page = _page(request, found)
    links = selectors.links_for_people({d.person_id for d in page})
    rows = [{"declaration": d, "links": links[d.person_id]} for d in page]
    _audit(request, "declarations", Declaration, [d.pk for d in page], ("person", "symptoms", "flag_reason"))
    context = _context(request, sort, page=page, rows=rows, why=why, reasons=FlagReason.choices)
    return render(request, "health/declarations.html", context)


@staff_required(HEALTH_ROLES)
@reason_on_record("declarations", "health:declarations")
def declaration_export(request: HttpRequest) -> HttpResponse:
    found = list(_declarations(request)[0])
    links = selectors.links_for_people({d.person_id for d in found})
    fields = ("person", "symptoms", "travelled", "contact_with_case", "flag_reason")
    _audit(request, "declarations", Declaration, [d.pk for d in found], fields, export=True)
    header = ["day", "resident", "flag_reason", "symptoms", "travelled", "contact_with_case", "cases", "contact_of"]
    rows = (
        [
            d.day,
            d.person.display_name,
            d.flag_reason,
            " ".join(d.symptoms),
            d.travelled,
            d.contact_with_case,
            " ".join(c.ref for c in links[d.person_id].cases),
            " ".join(c.case.ref for c in links[d.person_id].contacts),
        ]
        for d in found
    )
    return csv_response("declarations.csv", header, rows)


# --- Quarantines and their tasks ---------------------------------------------------------------


def quarantines_and_tasks(request: HttpRequest) -> dict[str, Any]:
    """The two lists of the quarantine page, each with its own sort and page parameters."""
    sort = sort_from(request, QUARANTINE_SORTS, "end")
    task_sort = sort_from(request, TASK_SORTS, "day", param="task_sort")
    kind = _choice(request, "kind", TaskKind.values)
    quarantines = sorted_by(selectors.active_quarantines(q=_q(request)), sort, QUARANTINE_SORTS)
    tasks = sorted_by(selectors.open_tasks(kind=kind, q=_q(request)), task_sort, TASK_SORTS)
    return {
        "quarantines": quarantines,
        "tasks": tasks,
        **_context(request, sort, task_sort=task_sort, kind=kind, kinds=TaskKind.choices),
    }


def _quarantine_rows(quarantines: Sequence[Quarantine]) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [{"quarantine": q, "checked_today": any(c.day == today for c in q.check_ins.all())} for q in quarantines]


def quarantine_page_context(request: HttpRequest) -> dict[str, Any]:
    lists = quarantines_and_tasks(request)
    page = _page(request, lists.pop("quarantines").prefetch_related("check_ins"))
    task_page = _page(request, lists.pop("tasks"), param="task_page")
    _audit(request, "quarantines", Quarantine, [q.pk for q in page], ("person",))
    _audit(request, "quarantines", Quarantine, [t.quarantine_id for t in task_page], ("person",))
    return {**lists, "page": page, "rows": _quarantine_rows(list(page)), "task_page": task_page}


@staff_required(HEALTH_ROLES)
@reason_on_record("quarantines", "health:quarantines")
def quarantine_export(request: HttpRequest) -> HttpResponse:
    found = list(quarantines_and_tasks(request)["quarantines"].prefetch_related("check_ins"))
    _audit(request, "quarantines", Quarantine, [q.pk for q in found], ("person", "start_date", "end_date"), export=True)
    header = ["person", "start_date", "end_date", "checked_in_today"]
    rows = (
        [r["quarantine"].person.display_name, r["quarantine"].start_date, r["quarantine"].end_date, r["checked_today"]]
        for r in _quarantine_rows(found)
    )
    return csv_response("quarantines.csv", header, rows)


@staff_required(HEALTH_ROLES)
@reason_on_record("quarantines", "health:quarantines")
def task_export(request: HttpRequest) -> HttpResponse:
    found: list[HealthTask] = list(quarantines_and_tasks(request)["tasks"])
    _audit(request, "quarantines", Quarantine, [t.quarantine_id for t in found], ("person",), export=True)
    header = ["day", "person", "kind", "created_at"]
    rows = ([t.day, t.quarantine.person.display_name, t.kind, t.created_at.isoformat()] for t in found)
    return csv_response("tasks.csv", header, rows)


__all__ = [
    "case_export",
    "case_list",
    "contact_export",
    "contact_list",
    "declaration_export",
    "flagged_declarations",
    "follow_up_export",
    "follow_ups_due",
    "quarantine_export",
    "task_export",
]
