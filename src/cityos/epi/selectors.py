"""Reads of epi: daily series as arrays, the dashboard's cached figures, the risk map layer."""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Q, QuerySet, Sum

from cityos.core.geo import selectors as geo_selectors
from cityos.core.geo.models import District, Place, PlaceKind
from cityos.epi.models import CaseCount, DashboardSnapshot, Forecast, HospitalReport, LabResult


def days_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]


def last_case_date() -> datetime.date | None:
    return CaseCount.objects.aggregate(last=Max("date"))["last"]


def case_matrix(
    districts: Sequence[District], start: datetime.date, end: datetime.date
) -> tuple[np.ndarray, np.ndarray]:
    """Local and imported cases, districts x days from ``start`` to ``end``; missing days are 0."""
    row_of = {d.pk: i for i, d in enumerate(districts)}
    days = (end - start).days + 1
    local = np.zeros((len(districts), days))
    imported = np.zeros((len(districts), days))
    for district_id, date, n_local, n_imported in CaseCount.objects.filter(
        date__gte=start, date__lte=end, district_id__in=list(row_of)
    ).values_list("district_id", "date", "local", "imported"):
        column = (date - start).days
        local[row_of[district_id], column] = n_local
        imported[row_of[district_id], column] = n_imported
    return local, imported


def lab_series(start: datetime.date, end: datetime.date) -> tuple[np.ndarray, np.ndarray]:
    """City-wide tests and positives per day."""
    days = (end - start).days + 1
    tests, positives = np.zeros(days), np.zeros(days)
    for date, n_tests, n_positives in (
        LabResult.objects.filter(date__gte=start, date__lte=end)
        .values("date")
        .annotate(t=Sum("tests"), p=Sum("positives"))
        .values_list("date", "t", "p")
    ):
        tests[(date - start).days] = n_tests
        positives[(date - start).days] = n_positives
    return tests, positives


HOSPITAL_FIELDS = (
    "beds_total",
    "beds_occupied",
    "icu_total",
    "icu_occupied",
    "ventilators_total",
    "ventilators_occupied",
)


# A hospital that misses a day's report counts with its last one for up to this many days, so a
# late report does not look like beds closing (and raise a false capacity alert).
REPORT_CARRIED_DAYS = 7


def hospital_series(start: datetime.date, end: datetime.date) -> dict[str, np.ndarray]:
    """City-wide sums of every hospital report field per day, each hospital counted with its
    latest report of the last ``REPORT_CARRIED_DAYS`` days (NaN: no hospital had reported)."""
    days = (end - start).days + 1
    lead = REPORT_CARRIED_DAYS  # reports from before ``start`` carry into its first days
    per_hospital: dict[int, np.ndarray] = {}
    rows = HospitalReport.objects.filter(date__gte=start - datetime.timedelta(days=lead), date__lte=end).values_list(
        "hospital_id", "date", *HOSPITAL_FIELDS
    )
    for hospital_id, day, *values in rows:
        table = per_hospital.setdefault(hospital_id, np.full((days + lead, len(HOSPITAL_FIELDS)), np.nan))
        table[(day - start).days + lead] = values
    total = np.full((days, len(HOSPITAL_FIELDS)), np.nan)
    for table in per_hospital.values():
        carried = _carried_forward(table, REPORT_CARRIED_DAYS)[lead:]
        total = np.where(np.isnan(carried), total, np.nan_to_num(total) + carried)
    return {name: total[:, i] for i, name in enumerate(HOSPITAL_FIELDS)}


def _carried_forward(table: np.ndarray, limit: int) -> np.ndarray:
    """Each row without a report takes the last report's values, at most ``limit`` days on."""
    out = np.copy(table)
    last: int | None = None
    for i in range(len(out)):
        if not np.isnan(out[i, 0]):
            last = i
        elif last is not None and i - last <= limit:
            out[i] = out[last]
    return out


def forecasts_due(
    area: str, issued_from: datetime.date, up_to: datetime.date
) -> list[tuple[int, float, datetime.date]]:
    """(horizon, median, target date) of the area's past forecasts whose day has come."""
    return list(
        Forecast.objects.filter(area=area, issue_date__gte=issued_from, target_date__lte=up_to).values_list(
            "horizon", "median", "target_date"
        )
    )


def dashboard_cache_key(language: str | None, stamp: str) -> str:
    """The cached dashboard body's key: per language and per snapshot (``DashboardVersion.stamp``),
    so a refresh made by another process, with no shared cache to clear, is never served old."""
    return f"epi:dashboard:{language or settings.LANGUAGE_CODE}:{stamp}"


@dataclass(frozen=True)
class DashboardVersion:
    stamp: str  # changes with every refresh: part of the ETag and of the cached page's key
    computed_at: datetime.datetime | None


# Asked of the database at most this often per process: a refresh made by another process
# (the worker) shows within this time; one made in this process shows at once.
VERSION_TTL_SECONDS = 5.0
_version_memo: tuple[float, DashboardVersion] | None = None


def dashboard_version() -> DashboardVersion:
    """When the public snapshot was computed, read cheaply (one primary-key lookup, memoised)."""
    global _version_memo
    now = time.monotonic()
    if _version_memo is not None and now - _version_memo[0] < VERSION_TTL_SECONDS:
        return _version_memo[1]
    computed_at = DashboardSnapshot.objects.filter(key="public").values_list("computed_at", flat=True).first()
    version = DashboardVersion(
        stamp=f"{computed_at.timestamp():.6f}" if computed_at else "none", computed_at=computed_at
    )
    _version_memo = (now, version)
    return version


def forget_dashboard() -> None:
    """Drop the cached dashboard in every language (after a refresh)."""
    global _version_memo
    _version_memo = None
    stamp = dashboard_version().stamp
    cache.delete_many([dashboard_cache_key(code, stamp) for code, _name in settings.LANGUAGES])


def snapshot() -> DashboardSnapshot | None:
    return DashboardSnapshot.objects.filter(key="public").first()


def testing_sites() -> list[Place]:
    return list(geo_selectors.places(kinds=[PlaceKind.TESTING_SITE], active=True))


def hospitals() -> list[Place]:
    return list(geo_selectors.places(kinds=[PlaceKind.HOSPITAL], active=None))


def risk_feature_collection(data: dict[str, Any] | None, language: str | None = None) -> dict[str, Any]:
    """The community-risk map layer: every district's boundary with its (suppressed) figures."""
    figures = {row["code"]: row for row in (data or {}).get("districts", [])}
    features = []
    for district in geo_selectors.districts():
        row = figures.get(district.code, {})
        features.append(
            {
                "type": "Feature",
                "id": district.code,
                "geometry": district.geometry,
                "properties": {
                    "code": district.code,
                    "name": geo_selectors.localized_name(district.name, district.names, language),
                    "population": district.population,
                    "cases_7d": row.get("cases_7d"),
                    "incidence_per_100k": row.get("incidence"),
                    "trend": row.get("trend", "stable"),
                    "rt": row.get("rt"),
                    "rt_lower": row.get("rt_lower"),
                    "rt_upper": row.get("rt_upper"),
                    "risk": row.get("risk", "unknown"),
                    "as_of": (data or {}).get("as_of"),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# The staff list of stored reports: per kind, its model, the sorts offered (name -> fields) and
# the fields a search looks in.
REPORT_KINDS = ("cases", "lab", "hospital")
REPORT_SORTS: dict[str, dict[str, tuple[str, ...]]] = {
    "cases": {
        "date": ("date", "district__name"),
        "district": ("district__name", "date"),
        "local": ("local", "date"),
        "imported": ("imported", "date"),
        "updated": ("updated_at",),
    },
    "lab": {
        "date": ("date", "district__name"),
        "district": ("district__name", "date"),
        "tests": ("tests", "date"),
        "positives": ("positives", "date"),
        "updated": ("updated_at",),
    },
    "hospital": {
        "date": ("date", "hospital__name"),
        "hospital": ("hospital__name", "date"),
        "beds": ("beds_occupied", "date"),
        "icu": ("icu_occupied", "date"),
        "ventilators": ("ventilators_occupied", "date"),
        "updated": ("updated_at",),
    },
}


def stored_reports(
    kind: str,
    *,
    district: District | None = None,
    hospital: Place | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    q: str = "",
    sort: str = "-date",
) -> QuerySet[Any]:
    """The stored reports of one kind, filtered, searched and sorted (``sort`` is a key of
    ``REPORT_SORTS[kind]``, with "-" for descending)."""
    found: QuerySet[Any]
    if kind == "hospital":
        found = HospitalReport.objects.select_related("hospital", "hospital__district")
        if district is not None:
            found = found.filter(hospital__district=district)
        if hospital is not None:
            found = found.filter(hospital=hospital)
        if q:
            found = found.filter(Q(hospital__name__icontains=q) | Q(hospital__district__name__icontains=q))
    else:
        found = (CaseCount if kind == "cases" else LabResult).objects.select_related("district")
        if district is not None:
            found = found.filter(district=district)
        if q:
            found = found.filter(Q(district__name__icontains=q) | Q(district__code__icontains=q))
    if date_from is not None:
        found = found.filter(date__gte=date_from)
    if date_to is not None:
        found = found.filter(date__lte=date_to)
    descending = sort.startswith("-")
    fields = REPORT_SORTS[kind][sort.removeprefix("-")]
    # The pk last keeps pages stable when the sorted values tie.
    return found.order_by(*(f"-{f}" if descending else f for f in fields), "-pk" if descending else "pk")
