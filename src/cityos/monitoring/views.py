"""Pages of monitoring: the public parking, water, air and trap pages (phone first, stale data
said as such), the housing staff's damp list and work orders (audited), the staff list of trap
catches with its exports, and the operations-centre tile."""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from cityos.core.accounts.permissions import holds_any_role, staff_required
from cityos.core.audit.models import AuditAction
from cityos.core.audit.services import record_access, record_bulk_access
from cityos.core.geo import selectors as geo_selectors
from cityos.core.spreadsheet import safe_cell
from cityos.core.web.fields import OUT_OF_RANGE, day_in_range
from cityos.monitoring import conf, geojson, meanings, selectors, services
from cityos.monitoring.forms import WorkOrderForm
from cityos.monitoring.models import HomeRisk, RiskLevel, WorkOrder, WorkOrderStatus

PAGE_SIZE = 25
API = "/api/v1/monitoring/"
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).


# --- small list helpers --------------------------------------------------------------------
@dataclass(frozen=True)
class Header:
    label: str
    url: str | None  # None: not sortable
    sorted: str  # "ascending", "descending" or ""


def _sort(request: HttpRequest, columns: Mapping[str, Sequence[str]], default: str) -> tuple[str, tuple[str, ...]]:
    """The ?sort= column (``-name`` descending) and its order_by; unknown columns fall back."""
    raw = request.GET.get("sort", "") or default
    if raw.removeprefix("-") not in columns:
        raw = default
    prefix = "-" if raw.startswith("-") else ""
    return raw, tuple(prefix + name for name in columns[raw.removeprefix("-")])


def _headers(request: HttpRequest, current: str, columns: Sequence[tuple[str, str | None]]) -> list[Header]:
    headers = []
    for label, key in columns:
        if key is None:
            headers.append(Header(label, None, ""))
            continue
        is_current = current.removeprefix("-") == key
        descending = current.startswith("-")
        query = request.GET.copy()
        query["sort"] = f"-{key}" if is_current and not descending else key
        query.pop("page", None)
        state = ("descending" if descending else "ascending") if is_current else ""
        headers.append(Header(label, "?" + query.urlencode(), state))
    return headers


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return response


def _check_export(export: str, formats: tuple[str, ...]) -> None:
    if export and export not in formats:
        raise Http404(_("There is no export in this format."))


def _district_choices() -> list[tuple[str, str]]:
    return [(d.code, geo_selectors.localized_name(d.name, d.names)) for d in geo_selectors.districts()]


def _district_filter(request: HttpRequest) -> tuple[str, int | None]:
    code = request.GET.get("district", "")[:50]
    district = geo_selectors.district_by_code(code) if code else None
    return (code if district else ""), (district.pk if district else None)


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- public pages --------------------------------------------------------------------------
def parking(request: HttpRequest) -> HttpResponse:
    parks = selectors.car_parks()
    return render(
        request,
        "monitoring/parking.html",
        {
            "parks": parks,
            "stale_hours": conf.parking_stale_minutes() / 60,
            "geojson_url": API + "parking/geojson",
            "now": timezone.now(),
        },
    )


def water(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "monitoring/water.html",
        {
            "districts": selectors.water_districts(),
            "labels": meanings.status_labels(),
            "stale_minutes": conf.stale_minutes(),
            "geojson_url": API + "water/geojson",
        },
    )


def water_about(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "monitoring/water_about.html",
        {"measures": meanings.WATER_MEASURES, "labels": meanings.status_labels()},
    )


def air(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "monitoring/air.html",
        {
            "districts": selectors.air_districts(),
            "categories": meanings.AQI_CATEGORIES,
            "pollutants": meanings.POLLUTANT_LABELS,
            "stale_minutes": conf.stale_minutes(),
            "geojson_url": API + "air/geojson",
        },
    )


def traps(request: HttpRequest) -> HttpResponse:
    items = selectors.traps()
    return render(
        request,
        "monitoring/traps.html",
        {
            "traps": items,
            "days": conf.trap_days(),
            "total": sum(t.catches for t in items),
            "geojson_url": API + "traps/geojson",
        },
    )


# --- staff: trap catches -------------------------------------------------------------------
def _date_param(request: HttpRequest, name: str, default: datetime.date) -> tuple[datetime.date, str]:
    raw = request.GET.get(name, "")
    if not raw:
        return default, ""
    try:
        parsed = parse_date(raw)
    except ValueError:
        parsed = None
    if parsed and not day_in_range(parsed):
        return default, str(OUT_OF_RANGE)
    return (parsed, "") if parsed else (default, _("Give a date as YYYY-MM-DD."))


@staff_required(conf.TRAP_ROLES)
def trap_events(request: HttpRequest, export: str = "") -> HttpResponse:
    _check_export(export, ("csv", "geojson"))
    today = timezone.localdate()
    start_day, start_error = _date_param(request, "start", today - datetime.timedelta(days=conf.trap_days()))
    end_day, end_error = _date_param(request, "end", today)
    if not start_error and not end_error and start_day > end_day:
        end_error = _("The last day must not be before the first.")
    if (end_day - start_day).days > 366:
        start_day = end_day - datetime.timedelta(days=366)
        start_error = _("At most a year is shown; the first day was moved.")
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(start_day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(end_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    lines = sorted({t.trap_line for t in selectors.traps(days=1) if t.trap_line})
    line = request.GET.get("line", "")
    line = line if line in lines else ""
    events = selectors.trap_events(start, end, trap_line=line) if start < end else []
    q = request.GET.get("q", "").strip()[:100]
    if q:
        events = [e for e in events if q.casefold() in e.trap_name.casefold() or q.casefold() in e.species.casefold()]
    sort = request.GET.get("sort", "-time")
    keys = {"time": lambda e: e.time, "trap": lambda e: e.trap_name.casefold(), "species": lambda e: e.species}
    if sort.removeprefix("-") not in keys:
        sort = "-time"
    events.sort(key=keys[sort.removeprefix("-")], reverse=sort.startswith("-"))  # type: ignore[operator]
    if export == "csv":
        return _csv(
            "trap-events.csv",
            ["time", "trap", "trap_line", "count", "species", "longitude", "latitude"],
            (
                [e.time.isoformat(), e.trap_name, e.trap_line, e.count, e.species, e.longitude, e.latitude]
                for e in events
            ),
        )
    if export == "geojson":
        response = HttpResponse(json.dumps(geojson.trap_events(events)), content_type="application/geo+json")
        response["Content-Disposition"] = 'attachment; filename="trap-events.geojson"'
        return response
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    headers = _headers(
        request,
        sort,
        [
            (_("When"), "time"),
            (_("Trap"), "trap"),
            (_("Trap line"), None),
            (_("Catches"), None),
            (_("Species"), "species"),
        ],
    )
    return render(
        request,
        "monitoring/trap_events.html",
        {
            "page": page,
            "headers": headers,
            "start": start_day,
            "end": end_day,
            "start_error": start_error,
            "end_error": end_error,
            "lines": lines,
            "line": line,
            "q": q,
            "count": len(events),
            "catches": sum(e.count for e in events),
            "query": _query_without(request, "page"),
        },
    )


# --- staff: damp and mould -----------------------------------------------------------------
HOME_SORTS: dict[str, tuple[str, ...]] = {
    "score": ("score",),
    "home": ("home_ref",),
    "humid": ("humid_hours",),
    "rh": ("mean_rh",),
    "assessed": ("assessed_at",),
}


@staff_required(conf.HOUSING_ROLES)
def homes(request: HttpRequest, export: str = "") -> HttpResponse:
    _check_export(export, ("csv",))
    q = request.GET.get("q", "").strip()[:100]
    level = request.GET.get("level", "")
    level = level if level in RiskLevel.values else ""
    district_code, district_id = _district_filter(request)
    sort, order = _sort(request, HOME_SORTS, "-score")
    found = selectors.homes(q=q, level=level, district_id=district_id, order=order)
    fields = ("home_ref", "address")
    if export == "csv":
        rows = list(found)
        record_bulk_access(HomeRisk, [r.pk for r in rows], fields, action=AuditAction.EXPORT, description=request.path)
        return _csv(
            "damp-risk.csv",
            ["home_ref", "address", "district", "score", "level", "humid_hours", "condensation_hours", "hours",
             "mean_rh", "mean_temperature", "assessed_at"],
            (
                [r.home_ref, r.address, r.district.code if r.district else "", r.score, r.level, r.humid_hours,
                 r.condensation_hours, r.hours, r.mean_rh, r.mean_temperature, r.assessed_at.isoformat()]
                for r in rows
            ),
        )  # fmt: skip
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    if shown:
        record_bulk_access(HomeRisk, [r.pk for r in shown], fields, description=request.path)
    active = selectors.active_order_homes()
    headers = _headers(
        request,
        sort,
        [
            (_("Risk score"), "score"),
            (_("Home"), "home"),
            (_("District"), None),
            (_("Humid hours"), "humid"),
            (_("Condensation hours"), None),
            (_("Mean humidity"), "rh"),
            (_("Work order"), None),
        ],
    )
    return render(
        request,
        "monitoring/homes.html",
        {
            "page": page,
            "rows": [(r, r.thing_id in active) for r in shown],
            "headers": headers,
            "q": q,
            "level": level,
            "levels": RiskLevel.choices,
            "district": district_code,
            "districts": _district_choices(),
            "threshold": conf.damp_threshold(),
            "rh": conf.damp_rh(),
            "margin": conf.damp_dew_margin(),
            "days": conf.damp_days(),
            "query": _query_without(request, "page"),
        },
    )


ORDER_SORTS: dict[str, tuple[str, ...]] = {
    "opened": ("created_at",),
    "score": ("risk_score",),
    "home": ("home_ref",),
    "status": ("status",),
    "visit": ("scheduled_for",),
}


def _order_rows(found: QuerySet[WorkOrder]) -> Iterable[list[Any]]:
    for o in found:
        yield [
            o.pk,
            o.home_ref,
            o.address,
            o.district.code if o.district else "",
            o.risk_score,
            o.status,
            o.scheduled_for or "",
            o.reason_display,
            o.created_at.isoformat(),
            o.created_by.username if o.created_by else "job",
            o.updated_at.isoformat(),
            o.updated_by.username if o.updated_by else "job",
        ]


@staff_required(conf.HOUSING_ROLES)
def work_orders(request: HttpRequest, export: str = "") -> HttpResponse:
    _check_export(export, ("csv",))
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "active")
    status = status if status in (*WorkOrderStatus.values, "active", "all") else "active"
    district_code, district_id = _district_filter(request)
    sort, order = _sort(request, ORDER_SORTS, "-score")
    found = selectors.work_orders(q=q, status="" if status == "all" else status, district_id=district_id, order=order)
    fields = ("home_ref", "address", "note")
    if export == "csv":
        rows = list(found)
        record_bulk_access(WorkOrder, [o.pk for o in rows], fields, action=AuditAction.EXPORT, description=request.path)
        return _csv(
            "work-orders.csv",
            ["id", "home_ref", "address", "district", "risk_score", "status", "scheduled_for", "reason",
             "opened_at", "opened_by", "updated_at", "updated_by"],
            _order_rows(found),
        )  # fmt: skip
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    if shown:
        record_bulk_access(WorkOrder, [o.pk for o in shown], fields, description=request.path)
    headers = _headers(
        request,
        sort,
        [
            (_("Home"), "home"),
            (_("Risk score"), "score"),
            (_("Status"), "status"),
            (_("Visit"), "visit"),
            (_("Opened"), "opened"),
        ],
    )
    statuses = [("active", _("Open or scheduled")), *WorkOrderStatus.choices, ("all", _("All"))]
    return render(
        request,
        "monitoring/work_orders.html",
        {
            "page": page,
            "orders": shown,
            "headers": headers,
            "q": q,
            "status": status,
            "statuses": statuses,
            "district": district_code,
            "districts": _district_choices(),
            "query": _query_without(request, "page"),
        },
    )


@staff_required(conf.HOUSING_ROLES)
def work_order(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.work_orders(), pk=pk)
    form = WorkOrderForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        try:
            status = form.cleaned_data["status"]
            day = form.cleaned_data["scheduled_for"]
            services.update_work_order(
                order,
                user=request.user,  # type: ignore[arg-type]
                status=status,
                # An empty date keeps the order's, unless it is being scheduled (then one is needed).
                scheduled_for=day if day or status == WorkOrderStatus.SCHEDULED else services.KEEP,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("The work order was updated."))
            return redirect("monitoring:work-order", pk=order.pk)
    record_access(order, ("home_ref", "address", "note"))
    return render(
        request,
        "monitoring/work_order.html",
        {"order": order, "form": form, "changes": order.changes.select_related("by")},
    )


@staff_required(conf.HOUSING_ROLES)
def run_damp_check(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("monitoring:homes")
    done = services.run_damp_check(user=request.user)  # type: ignore[arg-type]
    messages.success(
        request,
        _("%(homes)s homes assessed, %(at_risk)s at risk, %(opened)s work orders opened.")
        % {"homes": done.homes, "at_risk": done.at_risk, "opened": len(done.opened)},
    )
    return redirect("monitoring:homes")


# --- operations-centre tile ----------------------------------------------------------------
@staff_required()
def tile(request: HttpRequest) -> HttpResponse:
    parks = selectors.car_parks()
    water_rows = selectors.water_districts()
    air_rows = selectors.air_districts()
    worst_air = max((r for r in air_rows if r.index is not None), key=lambda r: r.index or 0, default=None)
    context: dict[str, Any] = {
        "free": sum(p.free for p in parks),
        "bays": sum(p.total for p in parks),
        "stale_parks": sum(1 for p in parks if p.stale),
        "water_problems": [r for r in water_rows if r.status in ("problem", "advisory")],
        "water_labels": meanings.status_labels(),
        "worst_air": worst_air,
        "worst_air_label": meanings.aqi_category(worst_air.index).label
        if worst_air and worst_air.index is not None
        else "",
        "open_orders": WorkOrder.objects.filter(status=WorkOrderStatus.OPEN).count(),
        "at_risk": HomeRisk.objects.filter(score__gte=conf.damp_threshold()).count(),
        "sees_homes": holds_any_role(request.user, conf.HOUSING_ROLES),
    }
    return render(request, "monitoring/tile.html", context)
