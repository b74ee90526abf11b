"""Reads of the waste app: bins, plans and routes for pages, the API and exports; fill history
through the sensing facade (never its models)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypedDict

from django.db.models import Avg, Case, Count, F, Min, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from cityos.sensing import selectors as sensing
from cityos.waste import conf
from cityos.waste.models import (
    Bin,
    BinReport,
    Comparison,
    ComparisonStatus,
    FillReading,
    Plan,
    PlanJob,
    PlanJobStatus,
    PlanStatus,
    ReportProblem,
    Route,
    RouteStatus,
    Stop,
    StopKind,
    Vehicle,
)

ORDERINGS = {
    "ref": "ref",
    "-ref": "-ref",
    "fill": "last_fill",
    "-fill": "-last_fill",
    "risk": "overflow_risk",
    "-risk": "-overflow_risk",
    "full": "full_at",
    "-full": "-full_at",
}


def bins(
    *,
    q: str = "",
    kind: str = "",
    district_id: int | None = None,
    min_risk: float | None = None,
    order: str = "-risk",
    active: bool | None = True,
) -> QuerySet[Bin]:
    rows = Bin.objects.select_related("district")
    if q:
        rows = rows.filter(Q(ref__icontains=q) | Q(address__icontains=q))
    if kind:
        rows = rows.filter(kind=kind)
    if district_id is not None:
        rows = rows.filter(district_id=district_id)
    if min_risk is not None:
        rows = rows.filter(overflow_risk__gte=min_risk)
    if active is not None:
        rows = rows.filter(is_active=active)
    field = ORDERINGS.get(order, "-overflow_risk")
    # Bins without a reading or forecast go last on every database (PostgreSQL would put them first).
    ordering = F(field[1:]).desc(nulls_last=True) if field.startswith("-") else F(field).asc(nulls_last=True)
    return rows.order_by(ordering, "ref")


def fill_history(bin: Bin, start: datetime | None, end: datetime | None) -> list[tuple[datetime, float]]:
    """A bin's fill readings in time order: from its sensor's datastream, else stored readings."""
    if bin.datastream_id is not None:
        return sensing.numeric_series(bin.datastream_id, start, end)
    readings = FillReading.objects.filter(bin=bin)
    if start is not None:
        readings = readings.filter(at__gte=start)
    if end is not None:
        readings = readings.filter(at__lt=end)
    return [(at, float(p)) for at, p in readings.order_by("at").values_list("at", "percent")]


def fill_histories(bins: Iterable[Bin], start: datetime, end: datetime) -> dict[int, list[tuple[datetime, float]]]:
    """:func:`fill_history` of many bins by bin id, in two queries: one sensing read for every
    bin with a sensor, one for the stored readings of the rest."""
    targets = list(bins)
    histories: dict[int, list[tuple[datetime, float]]] = {b.pk: [] for b in targets}
    streams = {b.datastream_id: b.pk for b in targets if b.datastream_id is not None}
    for datastream_id, series in sensing.numeric_series_many(streams, start, end).items():
        histories[streams[datastream_id]] = series
    manual = [b.pk for b in targets if b.datastream_id is None]
    if manual:
        readings = FillReading.objects.filter(bin_id__in=manual, at__gte=start, at__lt=end).order_by("bin_id", "at")
        for bin_id, at, percent in readings.values_list("bin_id", "at", "percent").iterator(chunk_size=5000):
            histories[bin_id].append((at, float(percent)))
    return histories


def plans(*, day: date | None = None) -> QuerySet[Plan]:
    rows = Plan.objects.annotate(route_count=Count("routes", distinct=True)).order_by("-date", "-pk")
    if day is not None:
        rows = rows.filter(date=day)
    return rows


def plans_being_built() -> QuerySet[PlanJob]:
    """Plans asked for and still being built (a job gives up after ten minutes)."""
    return PlanJob.objects.filter(status=PlanJobStatus.RUNNING).order_by("date", "pk")


def replacing_plan(plan: Plan) -> Plan | None:
    """For a replaced plan, the plan crews follow that day now (None if ``plan`` is current)."""
    if plan.status != PlanStatus.SUPERSEDED:
        return None
    return current_plan(plan.date)


def replacing_route(route: Route) -> Route | None:
    """For a route of a replaced plan, the same vehicle's route on the plan crews follow now."""
    plan = replacing_plan(route.plan)
    return plan.routes.filter(vehicle_id=route.vehicle_id).first() if plan is not None else None


def current_plan(day: date) -> Plan | None:
    """The plan crews follow on ``day``: the newest published one, else the newest draft."""
    plans = Plan.objects.filter(date=day).exclude(status=PlanStatus.SUPERSEDED)
    return plans.filter(status=PlanStatus.PUBLISHED).first() or plans.first()


def routes(plan: Plan) -> QuerySet[Route]:
    return plan.routes.select_related("vehicle").annotate(
        bins=Count("stops", filter=Q(stops__kind=StopKind.BIN)),
        collected_bins=Count("stops", filter=Q(stops__kind=StopKind.BIN, stops__collected=True)),
        missed_bins=Count("stops", filter=Q(stops__kind=StopKind.BIN) & ~Q(stops__missed_reason="")),
    )


def stops(route: Route) -> QuerySet[Stop]:
    return route.stops.select_related("bin").order_by("sequence")


def missed_stops(plan: Plan) -> QuerySet[Stop]:
    """The bins of ``plan`` its crews could not collect, in the order they said so."""
    return (
        Stop.objects.filter(route__plan=plan, kind=StopKind.BIN)
        .exclude(missed_reason="")
        .select_related("bin", "route__vehicle")
        .order_by("missed_at", "pk")
    )


def progress(plan: Plan) -> dict[str, int]:
    counts = Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).aggregate(
        total=Count("pk"),
        collected=Count("pk", filter=Q(collected=True)),
        missed=Count("pk", filter=~Q(missed_reason="")),
    )
    return {key: counts[key] or 0 for key in ("total", "collected", "missed")}


def at_a_glance(day: date) -> dict[str, object]:
    """The operations centre's tile: ``day``'s plan and its progress, bins likely to overflow
    before the next shift, and open bin reports (residents' and crews')."""
    plan = current_plan(day)
    return {
        "plan": plan,
        "progress": day_progress(plan) if plan else None,
        "at_risk": Bin.objects.filter(is_active=True, overflow_risk__gt=conf.must_risk()).count(),
        "open_reports": BinReport.objects.filter(resolved_at__isnull=True).count(),
    }


class DayProgress(TypedDict):
    collected: int
    missed: int
    total: int
    fill: float | None  # mean at pickup


def day_progress(plan: Plan) -> DayProgress:
    """The day of ``plan`` so far: bins collected and not on any of its plans (a breakdown's
    re-plan keeps neither: they stay on the plan it replaced), and ``total`` with the bins
    ``plan`` still has to deal with."""
    return _days_progress([plan])[plan.pk]


def _days_progress(plans: list[Plan]) -> dict[int, DayProgress]:
    """:func:`day_progress` of each of ``plans`` (one a day), with the mean ``fill`` at pickup, in
    two queries whatever their number."""
    collected = Q(collected=True)
    done: dict[date, dict[str, Any]] = {
        row["route__plan__date"]: dict(row)
        for row in Stop.objects.filter(route__plan__date__in={p.date for p in plans}, kind=StopKind.BIN)
        .values("route__plan__date")
        .annotate(  # named apart from the fields their filters read
            emptied=Count("pk", filter=collected),
            not_emptied=Count("pk", filter=~Q(missed_reason="")),
            fill=Avg("fill_at_pickup", filter=collected),
        )
    }
    left = {
        row["route__plan"]: row["n"]
        for row in Stop.objects.filter(route__plan__in=plans, kind=StopKind.BIN, collected=False, missed_reason="")
        .values("route__plan")
        .annotate(n=Count("pk"))
    }
    counts: dict[int, DayProgress] = {}
    for plan in plans:
        day = done.get(plan.date, {})
        emptied, missed = day.get("emptied", 0), day.get("not_emptied", 0)
        counts[plan.pk] = DayProgress(
            collected=emptied, missed=missed, total=emptied + missed + left.get(plan.pk, 0), fill=day.get("fill")
        )
    return counts


def plan_totals(plan: Plan) -> dict[str, float]:
    """The plan's routes summed, and ``driven_before_km``: what the vehicles had driven that day
    on the plans a breakdown made this one replace (0 for a first plan)."""
    totals = plan.routes.aggregate(metres=Sum("distance_m"), litres=Sum("load_litres"), kg=Sum("load_kg"))
    values = {k: float(v or 0) for k, v in totals.items()}
    values["km"] = values["metres"] / 1000
    values["driven_before_km"] = driven_before_m(plan) / 1000
    return values


def driven_before_m(plan: Plan) -> float:
    """Metres driven on the plans ``plan`` replaced after breakdowns, back along the chain."""
    metres = 0.0
    earlier = plan.replans_id
    while earlier is not None:
        driven = Route.objects.filter(plan_id=earlier).aggregate(metres=Sum("driven_m"))["metres"]
        metres += float(driven or 0)
        earlier = Plan.objects.filter(pk=earlier).values_list("replans_id", flat=True).first()
    return metres


def vehicles(*, active: bool | None = None) -> QuerySet[Vehicle]:
    rows = Vehicle.objects.select_related("depot")
    return rows.filter(is_active=active) if active is not None else rows


def latest_comparison() -> Comparison | None:
    """The newest finished comparison."""
    return Comparison.objects.filter(status=ComparisonStatus.DONE).first()


def latest_comparison_request() -> Comparison | None:
    """The newest comparison asked for, running, finished or failed."""
    return Comparison.objects.first()


def bins_by_ids(ids: Iterable[int]) -> dict[int, Bin]:
    return Bin.objects.in_bulk(list(ids))


def actual_results(limit: int = 30) -> list[dict[str, object]]:
    """What crews did on each of the last ``limit`` days with a plan, today included (the
    published one where a day has a draft too): bins collected and not (on any of the day's
    plans, as a breakdown's re-plan keeps neither), fill at pickup, and the day's planned km and
    CO₂ (after a breakdown, what the vehicles had driven on the plans it replaced plus the
    re-plan's)."""
    shown = Plan.objects.exclude(status=PlanStatus.SUPERSEDED).filter(date__lte=timezone.localdate())
    days = list(shown.order_by("-date").values_list("date", flat=True).distinct()[:limit])
    published_first = Case(When(status=PlanStatus.PUBLISHED, then=Value(0)), default=Value(1))
    plans: dict[date, Plan] = {}
    for plan in (
        shown.filter(date__in=days).order_by("-date", published_first, "-pk").prefetch_related("routes__vehicle")
    ):
        plans.setdefault(plan.date, plan)
    progress = _days_progress(list(plans.values()))
    # What vehicles drove before each breakdown of the day, on the plans it replaced.
    before: dict[date, tuple[float, float]] = {}
    for day, metres, co2_per_km in Route.objects.filter(
        plan__date__in=days, plan__status=PlanStatus.SUPERSEDED, driven_m__gt=0
    ).values_list("plan__date", "driven_m", "vehicle__co2_kg_per_km"):
        km, co2 = before.get(day, (0.0, 0.0))
        driven_km = (metres or 0.0) / 1000  # never None here (> 0): for the type checker
        before[day] = (km + driven_km, co2 + driven_km * co2_per_km)
    rows = []
    for day, plan in plans.items():
        counts = progress[plan.pk]
        fill = counts["fill"]
        driven_km, driven_co2 = before.get(day, (0.0, 0.0))
        co2 = driven_co2 + sum(r.distance_m / 1000 * r.vehicle.co2_kg_per_km for r in plan.routes.all())
        rows.append(
            {
                "date": day,
                "plan": plan,
                "km": round(driven_km + plan.distance_m / 1000, 1),
                "collected": counts["collected"],
                "missed": counts["missed"],
                "planned": counts["total"],
                "fill": round(fill, 1) if fill is not None else None,
                "co2": round(co2, 1),
            }
        )
    return rows


def reports(*, status: str = "", problem: str = "", bin_id: int | None = None) -> QuerySet[BinReport]:
    """Residents' reports, newest first; ``status`` "open" or "resolved" ("" for all)."""
    rows = BinReport.objects.select_related("bin").annotate(follower_count=Count("followers"))
    if status == "open":
        rows = rows.filter(resolved_at__isnull=True)
    elif status == "resolved":
        rows = rows.filter(resolved_at__isnull=False)
    if problem:
        rows = rows.filter(problem=problem)
    if bin_id is not None:
        rows = rows.filter(bin_id=bin_id)
    return rows.order_by("-created_at", "-pk")


def open_reports_by_bin(bin_ids: Iterable[int]) -> dict[int, list[BinReport]]:
    """The open reports of each of ``bin_ids``, full first then by problem: what a crew should
    look for at the bin (the problem and how often it was reported, never who or their note)."""
    by_bin: dict[int, list[BinReport]] = {}
    rows = BinReport.objects.filter(bin_id__in=list(bin_ids), resolved_at__isnull=True).only(
        "bin_id", "problem", "count"
    )
    for report in sorted(rows, key=lambda r: (r.problem != ReportProblem.FULL, r.problem)):
        by_bin.setdefault(report.bin_id, []).append(report)
    return by_bin


def reported_full_bins() -> dict[int, datetime]:
    """Bins with an open "full" report, most reported first: bin id -> when it was last reported."""
    rows = (
        BinReport.objects.filter(problem=ReportProblem.FULL, resolved_at__isnull=True)
        .order_by("-count", "created_at")
        .values_list("bin_id", "last_reported_at")
    )
    return dict(rows)


def nearest_bin(lat: float, lon: float, within_m: float) -> Bin | None:
    """The active bin nearest to a point, if one is within ``within_m`` metres."""
    from cityos.waste.routing import haversine_m

    degrees_lat = within_m / 111_000
    degrees_lon = degrees_lat / max(0.01, math.cos(math.radians(lat)))
    near = list(
        Bin.objects.filter(
            is_active=True,
            latitude__range=(lat - degrees_lat, lat + degrees_lat),
            longitude__range=(lon - degrees_lon, lon + degrees_lon),
        )
    )
    if not near:
        return None
    # The range filters leave out bins without a place.
    distances = haversine_m([(lon, lat)] + [(b.longitude or 0.0, b.latitude or 0.0) for b in near])[0, 1:]
    best = int(distances.argmin())
    return near[best] if distances[best] <= within_m else None


def next_collections(bin_ids: Iterable[int]) -> dict[int, datetime]:
    """When each bin is next due to be emptied: its earliest uncollected stop in a published plan
    on a route still running (what a resident following a report wants to know)."""
    wanted = list(bin_ids)
    if not wanted:
        return {}
    rows = (
        Stop.objects.filter(
            bin_id__in=wanted,
            kind=StopKind.BIN,
            collected=False,
            missed_reason="",  # the crew came and could not: a later plan takes it
            route__plan__status=PlanStatus.PUBLISHED,
            route__plan__date__gte=timezone.localdate(),
        )
        .exclude(route__status=RouteStatus.BROKEN_DOWN)
        .values("bin_id")
        .annotate(first=Min("eta"))
    )
    return {row["bin_id"]: row["first"] for row in rows}
