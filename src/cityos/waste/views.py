"""Staff pages: bins (filter, sort, CSV/GeoJSON, map, QR sticker), fleet, daily plans with their
map, route sheets (PDF, GPX) and breakdown re-plans; the crew's phone page; the results
dashboard; residents' bin reports. Public: the resident's report form (the QR sticker's target)."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import staff_required
from cityos.core.audit.models import AuditAction
from cityos.core.audit.services import record_access, record_bulk_access
from cityos.core.ratelimit import over_hourly_limit, retry_after
from cityos.core.spreadsheet import safe_cell
from cityos.waste import charts, conf, geo, limits, photos, selectors, services
from cityos.waste.forms import (
    BinFilterForm,
    BinForm,
    CollectedForm,
    ComparisonForm,
    DepotForm,
    DisposalSiteForm,
    MissedForm,
    PlanForm,
    ReportFilterForm,
    ReportForm,
    VehicleForm,
)
from cityos.waste.models import (
    Bin,
    BinReport,
    ComparisonStatus,
    Depot,
    DisposalSite,
    Plan,
    PlanJob,
    PlanJobStatus,
    PlanStatus,
    ReportChannel,
    ReportResolution,
    Route,
    Stop,
    StopKind,
    Vehicle,
)
from cityos.waste.sheets import route_sheet_pdf
from cityos.waste.sticker import sticker_pdf


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Bins ------------------------------------------------------------------------------------


@staff_required(conf.PLANNER_ROLES)
def bins(request: HttpRequest) -> HttpResponse:
    form = BinFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.bins(q=filters.get("q", ""), kind=filters.get("kind", ""), order=filters.get("order") or "-risk")
    export = request.GET.get("format")
    if export == "geojson":
        return JsonResponse(geo.bins_geojson(rows), content_type="application/geo+json")
    if export == "csv":
        return _csv(
            "bins.csv",
            [
                "ref",
                "kind",
                "volume_litres",
                "longitude",
                "latitude",
                "district",
                "fill",
                "fill_rate",
                "full_at",
                "overflow_risk",
            ],
            (
                [
                    b.ref,
                    b.kind,
                    b.volume_litres,
                    b.longitude,
                    b.latitude,
                    b.district.code if b.district else "",
                    b.last_fill,
                    b.fill_rate,
                    b.full_at.isoformat() if b.full_at else "",
                    b.overflow_risk,
                ]
                for b in rows
            ),
        )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "waste/bins.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "geojson_url": reverse("waste:bins") + "?" + (query.urlencode() + "&" if query else "") + "format=geojson",
        },
    )


@staff_required(conf.PLANNER_ROLES)
def bin_detail(request: HttpRequest, bin_id: int) -> HttpResponse:
    target = get_object_or_404(Bin.objects.select_related("district"), pk=bin_id)
    form = BinForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_bin(
                {**form.cleaned_data, "district_id": getattr(form.cleaned_data.get("district"), "pk", None)},
                user=_user(request),
                bin=target,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Bin saved."))
            return redirect("waste:bin", bin_id=target.pk)
    now = timezone.now()
    history = selectors.fill_history(target, now - timedelta(days=14), now)
    reports = list(selectors.reports(bin_id=target.pk)[:20])
    _audit_shown(request, reports, AuditAction.READ)
    return render(
        request,
        "waste/bin.html",
        {
            "bin": target,
            "form": form,
            "chart": charts.fill_chart(history),
            "reports": reports,
            "report_url": _public_url(reverse("waste:bin-report", args=[target.ref])),
        },
    )


def _public_url(path: str) -> str:
    """The address residents reach (``CITYOS_BASE_URL``), not the one a planner prints from."""
    return settings.CITYOS_BASE_URL.rstrip("/") + path


@staff_required(conf.PLANNER_ROLES)
def bin_sticker(request: HttpRequest, bin_id: int) -> HttpResponse:
    """The printable QR sticker for the bin: scan to report it, or text BIN <ref>."""
    target = get_object_or_404(Bin, pk=bin_id)
    url = _public_url(reverse("waste:bin-report", args=[target.ref]))
    response = HttpResponse(sticker_pdf(target, url), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, f"sticker-{target.ref}.pdf") or "inline"
    return response


@staff_required(conf.PLANNER_ROLES)
def bin_new(request: HttpRequest) -> HttpResponse:
    form = BinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.save_bin(
                {**form.cleaned_data, "district_id": getattr(form.cleaned_data.get("district"), "pk", None)},
                user=_user(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("waste:bin", bin_id=made.pk)
    return render(request, "waste/form.html", {"form": form, "title": _("Add a bin")})


# --- Fleet -----------------------------------------------------------------------------------


@staff_required(conf.PLANNER_ROLES)
def fleet(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "waste/fleet.html",
        {
            "vehicles": selectors.vehicles(),
            "depots": Depot.objects.all(),
            "sites": DisposalSite.objects.all(),
        },
    )


def _model_form(request: HttpRequest, form_class: type, title: str, instance: object | None = None) -> HttpResponse:
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        if form_class is VehicleForm:
            services.save_vehicle(
                {**form.cleaned_data, "depot_id": form.cleaned_data["depot"].pk},
                user=_user(request),
                vehicle=instance,  # type: ignore[arg-type]
            )
        else:
            form.save()
        messages.success(request, _("Saved."))
        return redirect("waste:fleet")
    return render(request, "waste/form.html", {"form": form, "title": title})


@staff_required(conf.PLANNER_ROLES)
def vehicle_form(request: HttpRequest, vehicle_id: int | None = None) -> HttpResponse:
    instance = get_object_or_404(Vehicle, pk=vehicle_id) if vehicle_id else None
    return _model_form(request, VehicleForm, _("Vehicle"), instance)


@staff_required(conf.PLANNER_ROLES)
def depot_form(request: HttpRequest) -> HttpResponse:
    return _model_form(request, DepotForm, _("Add a depot"))


@staff_required(conf.PLANNER_ROLES)
def site_form(request: HttpRequest) -> HttpResponse:
    return _model_form(request, DisposalSiteForm, _("Add a disposal site"))


# --- Plans ------------------------------------------------------------------------------------


@staff_required(conf.CREW_ROLES)
def plans(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, initial={"date": timezone.localdate(), "seconds": 20})
    if request.method == "POST":
        if not services.holds_planner(request.user):
            messages.error(request, _("Only planners may plan a day."))
        elif form.is_valid():
            try:
                job = services.request_plan(
                    form.cleaned_data["date"],
                    user=_user(request),
                    seconds=form.cleaned_data["seconds"],
                    language=translation.get_language() or "",
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("waste:plan-job", job_id=job.pk)
    page = Paginator(selectors.plans(), 30).get_page(request.GET.get("page"))
    today = selectors.current_plan(timezone.localdate())
    context = {
        "form": form,
        "page": page,
        "today": today,
        "building": selectors.plans_being_built(),
        "can_plan": services.holds_planner(request.user),  # crews see the plans, not the planner's tools
    }
    return render(request, "waste/plans.html", context)


# htmx stops polling on this status (https://htmx.org/docs/#polling): the job has failed.
STOP_POLLING = 286


@staff_required(conf.CREW_ROLES)
def plan_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """A plan being built by a job (asked for on the plans page): its progress, polled by the
    page; once built, the plan itself."""
    get_object_or_404(PlanJob, pk=job_id)
    job = services.plan_job(job_id)
    polled = bool(request.headers.get("HX-Request"))
    if job.status == PlanJobStatus.DONE and job.plan_id:
        messages.success(request, _("The plan is ready."))
        url = reverse("waste:plan", args=[job.plan_id])
        if polled:
            response = HttpResponse("")
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    elapsed = 0
    if job.started_at is not None:
        elapsed = min(int((timezone.now() - job.started_at).total_seconds()), math.ceil(job.seconds))
    context = {"job": job, "elapsed": elapsed, "limit": math.ceil(job.seconds)}
    if polled:
        status = STOP_POLLING if job.status != PlanJobStatus.RUNNING else 200
        return render(request, "waste/_plan_job.html", context, status=status)
    return render(request, "waste/plan_job.html", context)


@staff_required(conf.CREW_ROLES)
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=plan_id)
    context = {
        "plan": plan,
        "routes": selectors.routes(plan),
        "progress": selectors.progress(plan),
        "omissions": plan.omissions.select_related("bin"),
        "missed_stops": selectors.missed_stops(plan),
        "totals": selectors.plan_totals(plan),
        "geojson_url": reverse("waste:plan-geojson", args=[plan.pk]),
        "can_plan": services.holds_planner(request.user),
        # A breakdown changes the plan the crews follow, today or on a day to come.
        "can_re_plan": plan.date >= timezone.localdate() and selectors.current_plan(plan.date) == plan,
        "replaced_by": selectors.replacing_plan(plan),
        # Planned all the same (an extra day), but said: the next plan counts on the shift days.
        "off_shift_day": bool(services.shift_days()) and plan.date.weekday() not in services.shift_days(),
    }
    if request.headers.get("HX-Request"):
        return render(request, "waste/_progress.html", context)
    return render(request, "waste/plan.html", context)


@staff_required(conf.CREW_ROLES)
def plan_geojson(request: HttpRequest, plan_id: int) -> JsonResponse:
    plan = get_object_or_404(Plan, pk=plan_id)
    routes = plan.routes.select_related("vehicle").prefetch_related("stops")
    return JsonResponse(geo.route_geojson(routes), content_type="application/geo+json")


@require_POST
@staff_required(conf.PLANNER_ROLES)
def plan_publish(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=plan_id)
    services.publish_plan(plan, user=_user(request))
    messages.success(request, _("Plan published to the crews."))
    return redirect("waste:plan", plan_id=plan.pk)


@require_POST
@staff_required(conf.PLANNER_ROLES)
def route_breakdown(request: HttpRequest, route_id: int) -> HttpResponse:
    route = get_object_or_404(Route.objects.select_related("plan", "vehicle"), pk=route_id)
    try:
        replan = services.report_breakdown(route, user=_user(request), seconds=5)
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("waste:plan", plan_id=route.plan_id)
    messages.success(
        request,
        _("%(vehicle)s marked broken down; its stops were re-planned over the other vehicles.")
        % {"vehicle": route.vehicle.name},
    )
    return redirect("waste:plan", plan_id=replan.pk)


@staff_required(conf.CREW_ROLES)
def route_sheet(request: HttpRequest, route_id: int) -> HttpResponse:
    route = get_object_or_404(Route.objects.select_related("plan", "vehicle"), pk=route_id)
    response = HttpResponse(route_sheet_pdf(route), content_type="application/pdf")
    # Vehicle names are free text: RFC 6266 quoting, and filename* for non-ASCII names.
    name = f"route-{route.plan.date.isoformat()}-{route.vehicle.name}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, name) or "inline"
    return response


@staff_required(conf.CREW_ROLES)
def route_gpx(request: HttpRequest, route_id: int) -> HttpResponse:
    route = get_object_or_404(Route.objects.select_related("plan", "vehicle"), pk=route_id)
    response = HttpResponse(geo.route_gpx(route), content_type="application/gpx+xml")
    response["Content-Disposition"] = f'attachment; filename="route-{route.plan.date.isoformat()}-{route.pk}.gpx"'
    return response


# --- Operations centre tile ------------------------------------------------------------------


@staff_required(conf.CREW_ROLES)
def tile(request: HttpRequest) -> HttpResponse:
    context = selectors.at_a_glance(timezone.localdate())
    context["can_plan"] = services.holds_planner(request.user)
    return render(request, "waste/tile.html", context)


# --- Crew --------------------------------------------------------------------------------------


@staff_required(conf.CREW_ROLES)
def crew(request: HttpRequest, route_id: int) -> HttpResponse:
    """Phone-first: the next bins in order, one big button each."""
    route = get_object_or_404(Route.objects.select_related("plan", "vehicle"), pk=route_id)
    stops = list(selectors.stops(route))
    bins_total = sum(1 for s in stops if s.kind == StopKind.BIN)
    done = sum(1 for s in stops if s.kind == StopKind.BIN and s.collected)
    missed = sum(1 for s in stops if s.kind == StopKind.BIN and s.missed_reason)
    next_stop = next((s for s in stops if s.kind == StopKind.BIN and not s.handled), None)
    reported = selectors.open_reports_by_bin(s.bin_id for s in stops if s.bin_id is not None)
    for stop in stops:
        stop.open_reports = reported.get(stop.bin_id, []) if stop.bin_id is not None else []  # type: ignore[attr-defined]
    problem = request.session.pop(CREW_PROBLEM, None) or {}
    return render(
        request,
        "waste/crew.html",
        {
            "route": route,
            "stops": stops,
            "total": bins_total,
            "done": done,
            "missed": missed,
            "next_stop": next_stop,
            "form": CollectedForm(),
            "missed_form": MissedForm(),
            "superseded": route.plan.status == PlanStatus.SUPERSEDED,
            "new_route": selectors.replacing_route(route),
            "problem_stop": problem.get("stop"),
            "problem": problem.get("text", ""),
        },
    )


@require_POST
@staff_required(conf.CREW_ROLES)
def stop_collected(request: HttpRequest, stop_id: int) -> HttpResponse:
    return _crew_action(
        request,
        stop_id,
        CollectedForm,
        lambda stop, user, data: services.mark_collected(stop, user=user, fill=data.get("fill")),
        _("Bin %(ref)s marked collected."),
    )


@require_POST
@staff_required(conf.CREW_ROLES)
def stop_missed(request: HttpRequest, stop_id: int) -> HttpResponse:
    return _crew_action(
        request,
        stop_id,
        MissedForm,
        lambda stop, user, data: services.mark_missed(
            stop, user=user, reason=data["reason"], note=data["note"], photo=data.get("photo")
        ),
        _("Bin %(ref)s reported not collected."),
    )


def _crew_action(
    request: HttpRequest,
    stop_id: int,
    form_class: type[forms.Form],
    act: Callable[[Stop, User | None, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """A crew's action on one stop of its phone page: the form checked, the service called, and
    the page shown again at that stop. Done is said at the top; what went wrong is said at the
    stop itself (kept in the session for the next page), where the phone's screen is."""
    stop = get_object_or_404(Stop.objects.select_related("route", "bin"), pk=stop_id)
    form = form_class(request.POST, request.FILES)
    problem = ""
    if not form.is_valid():
        problem = " ".join(
            f"{form.fields[name].label}: {e}" if name in form.fields else str(e)
            for name, errors in form.errors.items()
            for e in errors
        )
        if request.FILES.get("photo") and "photo" not in form.errors:
            # A browser never refills a file field: say so where the crew will look.
            problem += " " + _("Choose the photo again: it is not kept while other answers need fixing.")
    else:
        try:
            act(stop, _user(request), form.cleaned_data)
        except ValidationError as error:
            problem = _errors(error)
        else:
            messages.success(request, done % {"ref": stop.bin.ref if stop.bin else ""})
    if problem:
        request.session[CREW_PROBLEM] = {"stop": stop.pk, "text": problem}
    return redirect(reverse("waste:crew", args=[stop.route_id]) + f"#stop-{stop.pk}")


CREW_PROBLEM = "waste.crew_problem"  # session key: the refusal to show at its stop


# --- Results --------------------------------------------------------------------------------


@staff_required(conf.PLANNER_ROLES)
def results(request: HttpRequest) -> HttpResponse:
    form = ComparisonForm(request.POST or None, working_days=services.shift_days() or range(7))
    if request.method == "POST" and form.is_valid():
        try:
            services.request_comparison(
                user=_user(request),
                days=form.cleaned_data["days"],
                seed=form.cleaned_data["seed"],
                seconds=conf.COMPARISON_SOLVER_SECONDS,
                plan_days=form.cleaned_data["plan_days"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except services.ComparisonRunning as busy:
            form.add_error(None, str(busy))
        else:
            messages.success(request, _("The simulation has started. This page shows its progress."))
            return redirect("waste:results")
    services.give_up_silent_comparisons()
    latest = selectors.latest_comparison_request()
    comparison = selectors.latest_comparison()
    rows = []
    chart = ""
    if comparison:
        data = comparison.results
        for key, label in (
            ("fixed", _("Fixed round")),
            ("planned", _("Sensor-driven plan")),
        ):
            if key in data:
                rows.append({"label": label, **data[key]})
        chart = charts.daily_km_chart(data)
    days_out = {
        key: get_text_list([WEEKDAYS[day] for day in comparison.results[key]], _("and"))
        for key in ("plan_days", "round_days")
        if comparison and comparison.results.get(key)
    }
    actual = selectors.actual_results()
    return render(
        request,
        "waste/results.html",
        {
            "form": form,
            "comparison": comparison,
            "rows": rows,
            "chart": chart,
            "days_out": days_out,
            "running": latest if latest and latest.status == ComparisonStatus.RUNNING else None,
            "failed": latest if latest and latest.status == ComparisonStatus.FAILED else None,
            "actual": actual,
            # Kilometres of the plan against the fixed round, in per cent (negative: fewer).
            "change": round(-comparison.results["km_saving"] * 100, 1)
            if comparison and "km_saving" in comparison.results
            else None,
        },
    )


@staff_required(conf.PLANNER_ROLES)
def results_progress(request: HttpRequest) -> HttpResponse:
    """The running simulation's progress, polled by the results page; once it has ended, the
    page reloads to show its results (or why it failed)."""
    services.give_up_silent_comparisons()
    latest = selectors.latest_comparison_request()
    if latest is not None and latest.status == ComparisonStatus.RUNNING:
        return render(request, "waste/_simulation_progress.html", {"running": latest})
    # Said after the reload, in the page's status area, so a screen reader hears how it ended.
    if latest is not None and latest.status == ComparisonStatus.DONE:
        messages.success(request, _("The simulation has finished: its results are below."))
    response = HttpResponse("")
    response["HX-Refresh"] = "true"
    return response


# --- Residents' reports ---------------------------------------------------------------------

REPORT_SALT = "cityos.waste.report"
REPORT_TOKEN_MAX_AGE = 24 * 3600
REPORT_FORM_ALLOWANCE = 64 * 1024  # the form's other fields and multipart boundaries


def _too_many_reports(request: HttpRequest) -> bool:
    return over_hourly_limit(request, conf.REPORT_LIMIT_SCOPE, conf.report_limit_per_hour())


def _with_retry_after(response: HttpResponse) -> HttpResponse:
    if response.status_code == 429:
        response["Retry-After"] = str(retry_after())
    return response


def _refused_before_reading(request: HttpRequest) -> tuple[int, str] | None:
    """A report refused on its size or the address's hourly limit: (status, message), else None."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > photos.MAX_BYTES + REPORT_FORM_ALLOWANCE:
        return 413, photos.too_big().messages[0]
    if _too_many_reports(request):
        return 429, _("Too many reports from this connection. Please try again in an hour.")
    return None


def report(request: HttpRequest, ref: str = "") -> HttpResponse:
    """Public, phone-first: report a full or damaged bin; ``ref`` comes from the QR sticker."""
    refused = _refused_before_reading(request) if request.method == "POST" else None
    if refused is not None:
        # The body (perhaps a large photo) is never parsed for a request that is refused anyway.
        context = {"form": ReportForm(initial={"bin": ref}), "ref": ref, "refusal": refused[1]}
        return _with_retry_after(render(request, "waste/report.html", context, status=refused[0]))
    form = ReportForm(request.POST or None, request.FILES or None, initial={"bin": ref})
    if request.method == "POST" and form.is_valid() and limits.bin_reported_enough(form.cleaned_data["bin"]):
        context = {"form": form, "ref": ref, "refusal": limits.reported_enough_message()}
        return _with_retry_after(render(request, "waste/report.html", context, status=429))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.report_bin(
                data["bin"],
                data["problem"],
                note=data.get("note", ""),
                channel=ReportChannel.WEB,
                phone=data.get("phone", ""),
                language=translation.get_language() or "",  # the page's: the follow-up text's
                photo=data.get("photo"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            token = signing.dumps(
                {"id": outcome.report.pk, "repeated": outcome.repeated, "texted": outcome.texted}, salt=REPORT_SALT
            )
            return redirect("waste:report-done", token=token)
    if request.method == "POST" and request.FILES.get("photo") and "photo" not in form.errors:
        # A browser never refills a file field: say so where the resident will look.
        form.add_error("photo", _("Choose the photo again: it is not kept while other answers need fixing."))
    status = 400 if request.method == "POST" else 200
    return render(request, "waste/report.html", {"form": form, "ref": ref}, status=status)


def report_done(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation with the report number (the link is signed, so numbers cannot be guessed)."""
    try:
        data = signing.loads(token, salt=REPORT_SALT, max_age=REPORT_TOKEN_MAX_AGE)
    except signing.BadSignature as error:
        raise Http404 from error
    made = get_object_or_404(BinReport.objects.select_related("bin"), pk=data.get("id"))
    return render(
        request,
        "waste/report_done.html",
        {"report": made, "repeated": bool(data.get("repeated")), "texted": bool(data.get("texted"))},
    )


def _csv(filename: str, header: list[str], rows: Iterable[list[Any]]) -> HttpResponse:
    """A CSV download; every cell through ``core.spreadsheet.safe_cell`` (residents' notes, staff
    addresses: text that looks like a formula is never run by a spreadsheet)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return response


def _report_csv(rows: Iterable[BinReport]) -> HttpResponse:
    return _csv(
        "bin-reports.csv",
        [
            "id",
            "bin",
            "problem",
            "note",
            "has_photo",
            "media_url",
            "channel",
            "phone",
            "followers",
            "count",
            "created_at",
            "last_reported_at",
            "resolved_at",
            "resolution",
        ],
        (
            [
                r.pk,
                r.bin.ref,
                r.problem,
                r.note,
                "true" if r.photo else "false",
                r.media_url,
                r.channel,
                r.masked_phone,
                r.followers_to_text,
                r.count,
                r.created_at.isoformat(),
                r.last_reported_at.isoformat(),
                r.resolved_at.isoformat() if r.resolved_at else "",
                r.resolution,
            ]
            for r in rows
        ),
    )


def _audit_shown(request: HttpRequest, shown: list[BinReport], action: str) -> None:
    """Residents' notes and photo links are shown in full (phone numbers masked, photos only on
    their own page): the read is audited."""
    fields = [name for name in BinReport.SHOWN_IN_FULL if any(getattr(r, name) for r in shown)]
    shown_ids = [r.pk for r in shown if any(getattr(r, name) for name in fields)]
    if shown_ids:
        record_bulk_access(BinReport, shown_ids, fields, action=action, description=request.path)


@staff_required(conf.PLANNER_ROLES)
def report_photo(request: HttpRequest, report_id: int) -> FileResponse:
    """A resident's photo (re-encoded, without metadata), for planners only; each view is audited."""
    target = get_object_or_404(BinReport, pk=report_id)
    return _private_photo(target, "photo", f"bin-report-{target.pk}.jpg")


@staff_required(conf.PLANNER_ROLES)
def stop_photo(request: HttpRequest, stop_id: int) -> FileResponse:
    """A crew's photo of a bin it could not collect (re-encoded, without metadata), for planners
    only; each view is audited."""
    target = get_object_or_404(Stop, pk=stop_id)
    return _private_photo(target, "missed_photo", f"stop-{target.pk}.jpg")


def _private_photo(target: models.Model, field_name: str, filename: str) -> FileResponse:
    """The photo ``target``'s ``field_name`` names in private storage (404 if none), with the
    read in the audit trail; never kept by the browser's cache."""
    photo = getattr(target, field_name)
    if not photo:
        raise Http404
    try:
        handle = photo.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    record_access(target, [field_name])
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(conf.PLANNER_ROLES)
def reports(request: HttpRequest) -> HttpResponse:
    """Residents' reports: open or resolved, by problem; CSV. Phone numbers are masked."""
    form = ReportFilterForm(request.GET or None, initial={"status": "open"})
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status", "") if "status" in request.GET else "open"
    rows = selectors.reports(status=status, problem=filters.get("problem", ""))
    if request.GET.get("format") == "csv":
        exported = list(rows)
        _audit_shown(request, exported, AuditAction.EXPORT)
        return _report_csv(exported)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    _audit_shown(request, list(page.object_list), AuditAction.READ)
    return render(
        request,
        "waste/reports.html",
        {"form": form, "page": page, "query": query.urlencode(), "resolutions": ReportResolution.choices},
    )


@require_POST
@staff_required(conf.PLANNER_ROLES)
def report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    target = get_object_or_404(BinReport.objects.select_related("bin"), pk=report_id)
    try:
        services.resolve_report(target, request.POST.get("resolution", ""), user=_user(request))
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(
            request,
            _("Report #%(id)d on bin %(ref)s resolved: %(resolution)s.")
            % {"id": target.pk, "ref": target.bin.ref, "resolution": target.get_resolution_display()},
        )
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("waste:reports")
