"""Operations-centre pages: live map, alert feed (server-sent events), charts, device health, rules."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cityos.core.accounts.permissions import staff_required
from cityos.core.audit.models import AuditAction
from cityos.sensing.models import Alert
from cityos.sensing.ops import charts, conf, scope, selectors, services, texts
from cityos.sensing.ops.forms import AlertFilterForm, FilterForm, RuleForm
from cityos.sensing.ops.scope import SENSING_ROLES
from cityos.sensing.timeseries.selectors import series

THING_STATES = [(key, label) for key, label in selectors.STATE_LABELS.items()]


def _filter_query(request: HttpRequest, *names: str) -> str:
    return urlencode({n: request.GET[n] for n in names if request.GET.get(n)})


def _thing_rows(request: HttpRequest, filters: dict[str, str]) -> list[selectors.ThingRow]:
    return selectors.thing_rows(
        request.user,
        district=filters.get("district", ""),
        department=filters.get("department", ""),
        kind=filters.get("kind", ""),
        state=filters.get("state", ""),
    )


def _params(request: HttpRequest, **changes: str) -> str:
    params = {key: request.GET.get(key, "") for key in request.GET}
    params.update(changes)
    return "?" + urlencode({k: v for k, v in params.items() if v})


# --- Map -----------------------------------------------------------------------------------


@staff_required(SENSING_ROLES)
def ops_map(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, states=THING_STATES)
    filters = form.filters()
    rows = _thing_rows(request, filters)
    services.audit_private_rows(rows, request.get_full_path(), dedupe=True)  # a reload repeats the read
    counts = {key: 0 for key, _label in THING_STATES}
    for row in rows:
        counts[row.state] += 1
    query = _filter_query(request, "district", "department", "kind", "state")
    return render(
        request,
        "sensing/ops/map.html",
        {
            "form": form,
            "rows": rows,
            "counts": [(key, label, counts[key]) for key, label in THING_STATES],
            "map_url": reverse("api:sensing_things_map") + (f"?{query}" if query else ""),
            "refresh_seconds": 30,
        },
    )


# --- Alerts --------------------------------------------------------------------------------


def _alert_page_filters(request: HttpRequest) -> tuple[AlertFilterForm, dict[str, str]]:
    data = request.GET.copy() if request.GET else None
    form = AlertFilterForm(data or {"state": "active"})
    return form, form.filters()


@staff_required(SENSING_ROLES)
def alert_feed(request: HttpRequest) -> HttpResponse:
    form, filters = _alert_page_filters(request)
    alerts = selectors.alerts(
        request.user,
        state=filters["state"],
        severity=filters["severity"],
        district=filters["district"],
        department=filters["department"],
        kind=filters["kind"],
    )
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    manage = _manage_scope(request)
    rendered_at = timezone.now()
    since = _cursor_value(rendered_at)
    query = _filter_query(request, "state", "severity", "district", "department", "kind")
    stream_url = (
        reverse("sensing:ops-alert-stream")
        + "?"
        + urlencode({"since": since, **{k: v for k, v in filters.items() if v}})
    )
    return render(
        request,
        "sensing/ops/alerts.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(alert, manage) for alert in page.object_list],
            "stream_url": stream_url,
            "rendered_at": rendered_at.isoformat(),
            "state_filter": filters["state"],
            "query": query,
            "next": request.get_full_path(),
        },
    )


def _manage_scope(request: HttpRequest) -> scope.Scope:
    """What the user manages, looked up once per request rather than once per row."""
    return scope.scope_of(request.user, scope.MANAGE_ROLES)


def _row(alert: Alert, manage: scope.Scope) -> dict[str, Any]:
    return {
        "alert": alert,
        "text": texts.alert_text(alert),
        "can_manage": manage.covers_thing(alert.thing.department_id, alert.thing.district_id),
    }


@staff_required(SENSING_ROLES)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(selectors.visible_alerts(request.user), pk=pk)
    return render(
        request,
        "sensing/ops/alert.html",
        {
            "row": _row(alert, _manage_scope(request)),
            "alert": alert,
            "condition": texts.condition(alert.rule),
            "next": request.get_full_path(),
        },
    )


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    alert = get_object_or_404(selectors.visible_alerts(request.user), pk=pk)
    try:
        if action == "acknowledge":
            services.acknowledge(request.user, alert)  # type: ignore[arg-type]
            messages.success(request, _("Alert acknowledged: %(text)s") % {"text": texts.alert_text(alert)})
        else:
            services.resolve(request.user, alert)  # type: ignore[arg-type]
            messages.success(request, _("Alert resolved: %(text)s") % {"text": texts.alert_text(alert)})
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(_back(request, reverse("sensing:ops-alerts")))


@require_POST
@staff_required(SENSING_ROLES)
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(request, pk, "acknowledge")


@require_POST
@staff_required(SENSING_ROLES)
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _alert_action(request, pk, "resolve")


# Server-sent events: one response lasts about a minute and polls every ~2 s, so a gthread worker
# is never held for long; the browser's EventSource reconnects with Last-Event-ID and picks up
# where it left off.


OVERLAP = timedelta(seconds=5)


def _cursor_value(when: datetime) -> str:
    return str(int(when.timestamp() * 1_000_000))


def _cursor_time(value: str | None) -> datetime | None:
    """A stream cursor or chart end: microseconds since the epoch, or an ISO time with a zone."""
    if not value or len(value) > 40:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1_000_000, tz=UTC)
        parsed = parse_datetime(value)
    except (ValueError, OverflowError, OSError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def _matches(alert: Alert, filters: dict[str, str]) -> bool:
    if filters.get("severity") and alert.severity != filters["severity"]:
        return False
    if filters.get("district") and (alert.thing.district is None or alert.thing.district.code != filters["district"]):
        return False
    if filters.get("department") and (
        alert.thing.department is None or alert.thing.department.code != filters["department"]
    ):
        return False
    return not (filters.get("kind") and alert.thing.kind != filters["kind"])


def alert_events(
    request: HttpRequest, since: datetime, filters: dict[str, str], *, seconds: float, poll: float
) -> Iterator[str]:
    """The text/event-stream body: one event per changed alert, then a keep-alive comment per poll."""
    deadline = time.monotonic() + seconds
    cursor = since
    sent = since
    seen: set[tuple[int, datetime]] = set()
    yield f"retry: {int(poll * 1000)}\n\n"
    while True:
        # Look a little behind the cursor: a change stamped before a later one may commit after it.
        changed = selectors.alerts_changed_since(request.user, cursor - OVERLAP)
        manage = _manage_scope(request)
        for alert in changed:
            when = selectors.last_change(alert)
            cursor = max(cursor, when)
            if (alert.pk, when) in seen or not _matches(alert, filters):
                continue
            seen.add((alert.pk, when))
            html = render_to_string(
                "sensing/ops/_alert_row.html",
                {"row": _row(alert, manage), "next": filters.get("next", "")},
                request=request,
            )
            data = {
                "id": alert.pk,
                "state": alert.state,
                "severity": alert.severity,
                "text": texts.alert_text(alert),
                "state_label": str(alert.get_state_display()),
                "changed": when.isoformat(),
                "html": html,
            }
            yield f"id: {_cursor_value(cursor)}\nevent: alert\ndata: {json.dumps(data)}\n\n"
            sent = cursor
        if cursor > sent:
            # Changes the filters hid: move the browser's Last-Event-ID past them (an id-only block).
            yield f"id: {_cursor_value(cursor)}\n\n"
            sent = cursor
        yield ": keep-alive\n\n"
        # Autocommit: each poll is its own short read, so no transaction stays open between polls.
        if time.monotonic() + poll > deadline:
            return
        time.sleep(poll)


@staff_required(SENSING_ROLES)
def alert_stream(request: HttpRequest) -> StreamingHttpResponse:
    since = _cursor_time(request.headers.get("Last-Event-ID")) or _cursor_time(request.GET.get("since"))
    form = AlertFilterForm(request.GET)
    filters = form.filters()
    filters["next"] = reverse("sensing:ops-alerts")
    response = StreamingHttpResponse(
        alert_events(
            request,
            since or timezone.now(),
            filters,
            seconds=conf.stream_seconds(),
            poll=conf.stream_poll_seconds(),
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@staff_required(SENSING_ROLES)
def tile(request: HttpRequest) -> HttpResponse:
    active = selectors.alerts(request.user, state="active")
    counts = dict.fromkeys(("critical", "warning", "info"), 0)
    counts.update(active.filter(severity__in=counts).order_by().values_list("severity").annotate(n=Count("pk")))
    manage = _manage_scope(request)
    return render(
        request,
        "sensing/ops/tile.html",
        {"counts": counts, "latest": [_row(a, manage) for a in active[:3]], "total": sum(counts.values())},
    )


# --- Charts --------------------------------------------------------------------------------

RANGES: dict[str, timedelta] = {
    "5y": timedelta(days=5 * 365),
    "1y": timedelta(days=365),
    "90d": timedelta(days=90),
    "30d": timedelta(days=30),
    "7d": timedelta(days=7),
    "1d": timedelta(days=1),
    "6h": timedelta(hours=6),
    "1h": timedelta(hours=1),
    "10m": timedelta(minutes=10),
    "1m": timedelta(minutes=1),
}
ORDER = list(RANGES)
EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
RANGE_LABELS = {
    "5y": gettext_lazy("5 years"),
    "1y": gettext_lazy("1 year"),
    "90d": gettext_lazy("90 days"),
    "30d": gettext_lazy("30 days"),
    "7d": gettext_lazy("7 days"),
    "1d": gettext_lazy("1 day"),
    "6h": gettext_lazy("6 hours"),
    "1h": gettext_lazy("1 hour"),
    "10m": gettext_lazy("10 minutes"),
    "1m": gettext_lazy("1 minute"),
}


@staff_required(SENSING_ROLES)
def datastream_chart(request: HttpRequest, pk: int) -> HttpResponse:
    datastream = get_object_or_404(selectors.visible_datastreams(request.user).select_related("thing"), pk=pk)
    services.audit_private_readings(datastream)
    key = request.GET.get("range", "1d")
    if key not in RANGES:
        key = "1d"
    span = RANGES[key]
    default_end = datastream.last_phenomenon_time or timezone.now()
    end = _cursor_time(request.GET.get("end")) or default_end + timedelta(seconds=1)
    if not EARLIEST <= end <= timezone.now() + timedelta(days=3650):
        end = default_end + timedelta(seconds=1)  # out of any sensor's life: keep the links computable
    start = end - span
    data = series(datastream.pk, start, end, max_points=1000)
    unit = ""
    if isinstance(datastream.unit_of_measurement, dict):
        unit = str(datastream.unit_of_measurement.get("symbol") or "")
    resolution_labels = {
        "raw": _("each observation"),
        "hour": _("hourly mean, minimum and maximum"),
        "day": _("daily mean, minimum and maximum"),
    }
    resolution = str(resolution_labels.get(data.resolution, data.resolution))
    thresholds = [
        r.threshold for r in datastream.alert_rules.filter(kind="threshold", enabled=True) if r.threshold is not None
    ]
    title = _("%(name)s, %(range)s") % {"name": datastream.name, "range": str(RANGE_LABELS[key])}
    description = _("%(count)s points (%(resolution)s) from %(start)s to %(end)s.") % {
        "count": len(data.points),
        "resolution": resolution,
        "start": timezone.localtime(start).strftime("%Y-%m-%d %H:%M:%S"),
        "end": timezone.localtime(end).strftime("%Y-%m-%d %H:%M:%S"),
    }
    gap = {"raw": None, "hour": timedelta(hours=2), "day": timedelta(days=2)}.get(data.resolution)
    svg = charts.series_chart(
        f"chart-{datastream.pk}",
        title,
        description,
        data.points,
        start,
        end,
        banded=data.resolution != "raw",
        gap=gap,
        thresholds=thresholds,
    )
    index = ORDER.index(key)

    def link(range_key: str, new_end: datetime) -> str:
        return "?" + urlencode({"range": range_key, "end": _cursor_value(new_end)})

    middle = start + span / 2
    zoom_in = ORDER[index + 1] if index + 1 < len(ORDER) else None
    zoom_out = ORDER[index - 1] if index > 0 else None
    return render(
        request,
        "sensing/ops/chart.html",
        {
            "datastream": datastream,
            "svg": svg,
            "points": data.points,
            "resolution": resolution,
            "unit": unit,
            "title": title,
            "description": description,
            "range_key": key,
            "ranges": [(k, RANGE_LABELS[k], link(k, end)) for k in ORDER],
            "zoom_in": link(zoom_in, middle + RANGES[zoom_in] / 2) if zoom_in else "",
            "zoom_out": link(zoom_out, min(middle + RANGES[zoom_out] / 2, default_end + timedelta(seconds=1)))
            if zoom_out
            else "",
            "earlier": link(key, start),
            "later": link(key, end + span),
            "latest": "?" + urlencode({"range": key}),
            "csv_url": reverse("sensing:export-observations", kwargs={"pk": datastream.pk, "fmt": "csv"})
            + "?"
            + urlencode({"from": start.isoformat(), "to": end.isoformat()}),
        },
    )


# --- Device health -------------------------------------------------------------------------

SORT_LABELS = {
    "name": gettext_lazy("Name"),
    "kind": gettext_lazy("Kind"),
    "state": gettext_lazy("State"),
    "battery": gettext_lazy("Battery"),
    "last_seen": gettext_lazy("Last seen"),
}


@staff_required(SENSING_ROLES)
def health(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None, states=THING_STATES)
    filters = form.filters()
    rows = _thing_rows(request, filters)
    thing_id = request.GET.get("thing", "")
    datastreams: list[Any] = []
    if thing_id.isdigit() and len(thing_id) < 19:
        rows = [r for r in rows if r.id == int(thing_id)]
        if rows:
            datastreams = list(selectors.visible_datastreams(request.user).filter(thing_id=rows[0].id).order_by("name"))
    sort = request.GET.get("sort", "battery")
    if sort.lstrip("-") not in SORT_LABELS:
        sort = "battery"
    rows = selectors.sort_rows(rows, sort)
    if request.GET.get("format") == "csv":
        services.audit_private_rows(rows, request.get_full_path(), action=AuditAction.EXPORT)
        return _health_csv(rows)
    query = _filter_query(request, "district", "department", "kind", "state")
    columns = []
    for key, label in SORT_LABELS.items():
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        next_sort = f"-{key}" if current and not descending else key
        columns.append(
            {
                "key": key,
                "label": label,
                "url": _params(request, sort=next_sort, page=""),
                "aria_sort": ("descending" if descending else "ascending") if current else "none",
            }
        )
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    services.audit_private_rows(page.object_list, request.get_full_path())
    return render(
        request,
        "sensing/ops/health.html",
        {
            "form": form,
            "page": page,
            "columns": columns,
            "sort": sort,
            "csv_url": _params(request, format="csv", page=""),
            "query": query,
            "low_battery": conf.low_battery_percent(),
            "silent_after": conf.silent_after_minutes(),
            "datastreams": datastreams,
        },
    )


def _health_csv(rows: list[selectors.ThingRow]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="device-health.csv"'
    writer = csv.writer(response)
    writer.writerow(["id", "name", "kind", "department", "district", "state", "battery", "last_seen_at", "open_alerts"])
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.name,
                row.kind,
                row.department_code,
                row.district_code,
                row.state,
                "" if row.battery is None else f"{row.battery:g}",
                row.last_seen_at.isoformat() if row.last_seen_at else "",
                row.open_alerts,
            ]
        )
    return response


# --- Rules ---------------------------------------------------------------------------------


@staff_required(SENSING_ROLES)
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = selectors.visible_rules(request.user)
    manage = _manage_scope(request)
    rows = [
        {
            "rule": rule,
            "condition": texts.condition(rule),
            "applies_to": texts.applies_to(rule),
            "can_manage": manage.covers_rule(rule.datastream),
        }
        for rule in rules
    ]
    return render(request, "sensing/ops/rules.html", {"rows": rows})


@staff_required(SENSING_ROLES)
def rule_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = get_object_or_404(selectors.visible_rules(request.user), pk=pk) if pk else None
    if rule is not None and not scope.can_manage_rule(request.user, datastream=rule.datastream):
        raise PermissionDenied
    if request.method == "POST":
        form = RuleForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                if rule is None:
                    saved = services.create_rule(request.user, form.rule_input())  # type: ignore[arg-type]
                else:
                    saved = services.update_rule(request.user, rule, form.rule_input())  # type: ignore[arg-type]
            except ValidationError as error:
                form.add_service_errors(error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Rule saved: %(name)s") % {"name": saved.name})
                return redirect("sensing:ops-rules")
    else:
        form = RuleForm(initial=RuleForm.initial_for(rule) if rule else None, user=request.user)
    return render(request, "sensing/ops/rule_form.html", {"form": form, "rule": rule})


@require_POST
@staff_required(SENSING_ROLES)
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(selectors.visible_rules(request.user), pk=pk)
    name = rule.name
    services.delete_rule(request.user, rule)  # type: ignore[arg-type]
    messages.success(request, _("Rule deleted: %(name)s") % {"name": name})
    return redirect("sensing:ops-rules")
