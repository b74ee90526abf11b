"""Pages of epi: the public dashboard (reads the hourly snapshot only), its CSV downloads, the
health officers' data entry and CSV import, and the operations-centre tile."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, quote_etag
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cityos.core.accounts.permissions import staff_required
from cityos.core.geo import selectors as geo_selectors
from cityos.epi import conf, selectors, services, svg
from cityos.epi.forms import FORMS, SORT_LABELS, ImportForm, ReportListForm

FORECAST_HISTORY_DAYS = 28
DASHBOARD_CACHE_SECONDS = 300  # a refresh clears it at once where the cache is shared (Redis)
HOSPITAL_HISTORY_DAYS = 60
# Stands for the visitor's CSRF token in a cached page (each visitor gets their own).
CSRF_PLACEHOLDER = "cityosCsrfTokenPlaceholder0000000000000000000000000000000000000000"

# CSV downloads: file name -> (list in the snapshot, columns)
DOWNLOADS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cases": ("cases", ("date", "cases", "average_7d")),
    "tests": ("tests", ("date", "tests", "positives", "positivity")),
    "rt": ("rt_series", ("date", "mean", "lower", "upper")),
    "forecast": ("forecast", ("date", "median", "lower", "q25", "q75", "upper")),
    "hospital": (
        "hospital.series",
        (
            "date",
            "beds_total",
            "beds_occupied",
            "icu_total",
            "icu_occupied",
            "ventilators_total",
            "ventilators_occupied",
        ),
    ),
    "hospital-forecast": (
        "hospital.forecast",
        (
            "date",
            "beds_median",
            "beds_lower",
            "beds_upper",
            "icu_median",
            "icu_lower",
            "icu_upper",
            "ventilators_median",
            "ventilators_lower",
            "ventilators_upper",
        ),
    ),
    "districts": (
        "districts",
        ("code", "name", "population", "cases_7d", "incidence", "trend", "rt", "rt_lower", "rt_upper", "risk"),
    ),
    "accuracy": ("accuracy", ("horizon", "mape", "n")),
}


def _rows(data: dict[str, Any], path: str) -> list[dict[str, Any]]:
    value: Any = data
    for part in path.split("."):
        value = value.get(part, {}) if isinstance(value, dict) else {}
    return value if isinstance(value, list) else []


def risk_labels() -> dict[str, str]:
    return {
        "low": _("Low"),
        "moderate": _("Moderate"),
        "substantial": _("Substantial"),
        "high": _("High"),
        "unknown": _("Unknown"),
    }


def trend_labels() -> dict[str, str]:
    return {"rising": _("Rising"), "falling": _("Falling"), "stable": _("Stable")}


def resource_labels() -> dict[str, str]:
    return {"beds": _("Beds"), "icu": _("ICU beds"), "ventilators": _("Ventilators")}


def _districts(data: dict[str, Any]) -> list[dict[str, Any]]:
    language = get_language()
    risks, trends = risk_labels(), trend_labels()
    return [
        {
            **row,
            "display_name": geo_selectors.localized_name(row["name"], row.get("names") or {}, language),
            "risk_label": risks.get(row["risk"], row["risk"]),
            "trend_label": trends.get(row["trend"], row["trend"]),
        }
        for row in data.get("districts", [])
    ]


def _charts(data: dict[str, Any], districts: list[dict[str, Any]]) -> dict[str, Any]:
    cases = data.get("cases", [])
    charts: dict[str, Any] = {
        "cases": svg.line_chart(
            "chart-cases",
            _("New cases per day"),
            _("Daily new cases in the city and their 7-day average; days with few cases are left blank."),
            [r["date"] for r in cases],
            [
                svg.Line([r["cases"] for r in cases], _("Cases")),
                svg.Line([r["average_7d"] for r in cases], _("7-day average"), dashed=True),
            ],
        )
    }
    tests = data.get("tests", [])
    charts["tests"] = svg.line_chart(
        "chart-tests",
        _("Test positivity (%)"),
        _("Share of tests that were positive, per day."),
        [r["date"] for r in tests],
        [svg.Line([r["positivity"] for r in tests], _("Positivity (%)"))],
    )
    rt_rows = data.get("rt_series", [])
    charts["rt"] = svg.line_chart(
        "chart-rt",
        _("Reproduction number Rt"),
        # xgettext:no-python-format
        _("Rt over 7-day windows with its 95% credible band; the dotted line is Rt = 1."),
        [r["date"] for r in rt_rows],
        [svg.Line([r["mean"] for r in rt_rows], "Rt")],
        band=svg.Band([r["lower"] for r in rt_rows], [r["upper"] for r in rt_rows]),
        reference=1.0,
    )
    past = cases[-FORECAST_HISTORY_DAYS:]
    ahead = data.get("forecast", [])
    blank_past: list[float | None] = [None] * len(past)
    charts["forecast"] = svg.line_chart(
        "chart-forecast",
        _("Case forecast, next 14 days"),
        # xgettext:no-python-format
        _("Cases of the last four weeks, then the forecast median with its 95% band."),
        [r["date"] for r in past] + [r["date"] for r in ahead],
        [
            svg.Line([r["cases"] for r in past] + [None] * len(ahead), _("Cases")),
            svg.Line(blank_past + [r["median"] for r in ahead], _("Forecast"), dashed=True),
        ],
        band=svg.Band(blank_past + [r["lower"] for r in ahead], blank_past + [r["upper"] for r in ahead]),
    )
    hospital = data.get("hospital", {})
    series = hospital.get("series", [])[-HOSPITAL_HISTORY_DAYS:]
    forecast = hospital.get("forecast", [])
    blank = [None] * len(series)
    capacity = next((r["total"] for r in hospital.get("resources", []) if r["resource"] == "beds"), None)
    charts["hospital"] = svg.line_chart(
        "chart-hospital",
        _("Hospital beds occupied"),
        _(
            "Beds occupied in the city's hospitals, then the 14-day forecast with its band; "
            "the dotted line is capacity."
        ),
        [r["date"] for r in series] + [r["date"] for r in forecast],
        [
            svg.Line([r.get("beds_occupied") for r in series] + [None] * len(forecast), _("Beds occupied")),
            svg.Line(blank + [r.get("beds_median") for r in forecast], _("Forecast"), dashed=True),
        ],
        band=svg.Band(blank + [r.get("beds_lower") for r in forecast], blank + [r.get("beds_upper") for r in forecast]),
        reference=capacity,
    )
    geometries = {d.code: d.geometry for d in geo_selectors.districts()}
    charts["map"] = svg.choropleth(
        "chart-map",
        _("Community risk by district"),
        _(
            "Districts coloured by risk level (new cases per 100,000 people over 7 days); "
            "the table below gives the figures."
        ),
        [{"geometry": geometries.get(d["code"]), "risk": d["risk"], "name": d["display_name"]} for d in districts],
    )
    return charts


def _dashboard_context() -> dict[str, Any]:
    snapshot = selectors.snapshot()
    data: dict[str, Any] = snapshot.data if snapshot else {}
    districts = _districts(data)
    resources = resource_labels()
    return {
        "computed_at": snapshot.computed_at if snapshot else None,
        "data": data,
        "districts": districts,
        "charts": _charts(data, districts) if snapshot else {},
        "threshold": conf.small_count_threshold(),
        "hospital_resources": [
            {**r, "label": resources.get(r["resource"], r["resource"])}
            for r in data.get("hospital", {}).get("resources", [])
        ],
        "crossings": [
            {**c, "label": resources.get(k, k)} for k, c in data.get("hospital", {}).get("crossings", {}).items()
        ],
        # The hospital chart's figures, as its table: the days shown, then the forecast.
        "hospital_rows": [
            {"date": r["date"], "occupied": r.get("beds_occupied")}
            for r in data.get("hospital", {}).get("series", [])[-HOSPITAL_HISTORY_DAYS:]
        ]
        + [
            {
                "date": r["date"],
                "median": r.get("beds_median"),
                "lower": r.get("beds_lower"),
                "upper": r.get("beds_upper"),
            }
            for r in data.get("hospital", {}).get("forecast", [])
        ],
        "testing_sites": [
            {"pk": p.pk, "name": geo_selectors.localized_name(p.name, p.names), "address": p.address}
            for p in selectors.testing_sites()
        ],
        "legend": [(label, svg.RISK_COLOURS[level]) for level, label in risk_labels().items()],
    }


def dashboard_body(language: str) -> str:
    """The dashboard's main part in ``language``, rendered once per snapshot and cached: the hourly
    job renders it again right after a refresh (see tasks.refresh_dashboard)."""
    key = selectors.dashboard_cache_key(language, selectors.dashboard_version().stamp)
    body: str | None = cache.get(key)
    if body is None:
        with translation.override(language):
            context = {
                **_dashboard_context(),
                "risk_url": reverse("api:epi_risk_map"),
                "places_url": reverse("api:list_places") + "?kind=testing_site",
            }
            body = render_to_string("epi/_dashboard_body.html", context)
        cache.set(key, body, DASHBOARD_CACHE_SECONDS)
    return body


def dashboard(request: HttpRequest) -> HttpResponse:
    """The public dashboard: everything comes from the row the hourly job writes, and what is
    made of it is cached per language until the next refresh, so a page view does not touch
    the database (which keeps it fast under many concurrent readers).

    Anonymous visitors without a query string or pending messages (nearly everyone) get the
    whole page from the cache, with only their CSRF token put in. Every visitor gets an ETag and
    Last-Modified, so a reload that sends If-None-Match / If-Modified-Since is a bodiless 304.
    """
    language = get_language() or settings.LANGUAGE_CODE
    version = selectors.dashboard_version()
    user = request.user
    etag = quote_etag(f"{version.stamp}-{language}-{user.pk or 0}")
    last_modified = int(version.computed_at.timestamp()) if version.computed_at else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return _validators(not_modified, etag, last_modified)
    cacheable = not user.is_authenticated and not request.GET and not get_messages(request)
    page_key = f"epi:dashboard-page:{language}:{version.stamp}"
    page: str | None = cache.get(page_key) if cacheable else None
    if page is None:
        context: dict[str, Any] = {"body": mark_safe(dashboard_body(language))}  # noqa: S308 - our own rendering
        if cacheable:
            context["csrf_token"] = CSRF_PLACEHOLDER
        page = render_to_string("epi/dashboard.html", context, request=request)
        if cacheable:
            cache.set(page_key, page, DASHBOARD_CACHE_SECONDS)
    if cacheable:
        page = page.replace(CSRF_PLACEHOLDER, get_token(request))
    response = HttpResponse(page)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return _validators(response, etag, last_modified)


def _validators(response: HttpResponse, etag: str, last_modified: int | None) -> HttpResponse:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    # The page holds the visitor's CSRF token: browsers may keep it, shared caches may not, and
    # a reload asks whether it changed (a 304 costs no rendering).
    patch_cache_control(response, private=True, no_cache=True)
    return response


def download(request: HttpRequest, name: str) -> HttpResponse:
    """One chart's figures as CSV (the same suppressed figures the page shows)."""
    if name not in DOWNLOADS:
        raise Http404
    path, columns = DOWNLOADS[name]
    snapshot = selectors.snapshot()
    rows = _rows(snapshot.data if snapshot else {}, path)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="epi-{name}.csv"'
    return response


@staff_required(conf.WRITE_ROLES)
def manage(request: HttpRequest) -> HttpResponse:
    """Health officers enter one day's report, or upload a CSV file of many."""
    kind = request.POST.get("kind") if request.method == "POST" else None
    forms = {key: form_class(prefix=key) for key, form_class in FORMS.items()}
    saved = request.GET.get("saved")
    if kind in FORMS:
        form = FORMS[kind](request.POST, prefix=kind)
        forms[kind] = form
        if form.is_valid():
            try:
                services.save_report(kind, form.cleaned_data, by=request.user)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return redirect(f"{reverse('epi:manage')}?saved={kind}")
    return render(
        request,
        "epi/manage.html",
        {"forms": forms, "saved": saved if saved in FORMS else None, "import_form": ImportForm()},
    )


@staff_required(conf.WRITE_ROLES)
def import_file(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_CSV_BYTES:
            form.add_error("file", _("The file is larger than 5 MB; split it into smaller files."))
        else:
            report = services.import_csv(
                form.cleaned_data["kind"], upload.read(), by=request.user, dry_run=form.cleaned_data["dry_run"]
            )
    return render(request, "epi/import.html", {"form": form, "report": report})


@staff_required()
def tile(request: HttpRequest) -> HttpResponse:
    snapshot = selectors.snapshot()
    data: dict[str, Any] = snapshot.data if snapshot else {}
    resources = resource_labels()
    alerts = [{**a, "label": resources.get(a["resource"], a["resource"])} for a in data.get("alerts", [])]
    return render(request, "epi/tile.html", {"data": data, "districts": _districts(data)[:3], "alerts": alerts})


REPORTS_PAGE_SIZE = 50
# The export has the import's columns, so a corrected file can be uploaded again.
REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": ("district", "date", "local", "imported"),
    "lab": ("district", "date", "tests", "positives"),
    "hospital": (
        "hospital",
        "date",
        "beds_total",
        "beds_occupied",
        "icu_total",
        "icu_occupied",
        "ventilators_total",
        "ventilators_occupied",
    ),
}


def _report_row(kind: str, report: Any) -> list[Any]:
    key = report.hospital_id if kind == "hospital" else report.district.code
    return [key, report.date.isoformat(), *(getattr(report, c) for c in REPORT_COLUMNS[kind][2:])]


@staff_required(conf.WRITE_ROLES)
def reports(request: HttpRequest) -> HttpResponse:
    """Stored case counts, lab results and hospital reports: filtered, searched, sorted, paged
    and exported as CSV (``?export=csv``, every matching row)."""
    form = ReportListForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "epi/reports.html", {"form": form, "page": None}, status=400)
    filters: dict[str, Any] = form.cleaned_data if request.GET else {"kind": "cases", "sort": "-date"}
    kind, sort = filters["kind"], filters["sort"]
    found = selectors.stored_reports(
        kind,
        district=filters.get("district"),
        hospital=filters.get("hospital"),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
        q=filters.get("q", ""),
        sort=sort,
    )
    if request.GET.get("export") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="epi-{kind}-reports.csv"'
        writer = csv.writer(response)
        writer.writerow(REPORT_COLUMNS[kind])
        for report in found.iterator(chunk_size=2000):
            writer.writerow(_report_row(kind, report))
        return response
    page = Paginator(found, REPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    columns = []
    for key in selectors.REPORT_SORTS[kind]:
        if key == "updated":
            continue
        order = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        columns.append({"label": SORT_LABELS[key], "next": f"-{key}" if order == "ascending" else key, "order": order})
    return render(
        request,
        "epi/reports.html",
        {
            "form": form,
            "kind": kind,
            "sort": sort,
            "page": page,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "columns": columns,
        },
    )
