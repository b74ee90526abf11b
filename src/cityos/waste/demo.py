"""The demo city's waste collection: a depot, a disposal site, three trucks, the bins of the
sensing demo's "waste-bin" things (or synthetic bins with a fill history when the sensing demo
did not make any), today's published plan, and a 30-day simulated comparison with the fixed
weekly round."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from cityos.core.geo.models import District
from cityos.core.registry import DemoContext
from cityos.waste import services
from cityos.waste.models import (
    Bin,
    BinKind,
    Comparison,
    Depot,
    DisposalSite,
    FillReading,
    Plan,
    ReportChannel,
    ReportProblem,
    Vehicle,
)
from cityos.waste.simulate import HOUR_PROFILE, WEEKLY_MEDIAN, area_of, draw_weekly_fill, round_days

SYNTHETIC_BINS = 120
HISTORY_DAYS = 14
READING_HOURS = 3


def build(ctx: DemoContext) -> None:
    if Plan.objects.exists() or Comparison.objects.exists():
        ctx.say("waste: already built")
        return
    report = services.sync_from_sensing()
    if report.created:
        ctx.say(f"waste: {counted(report.created, 'bin', 'bins')} linked to the sensing demo's fill-level sensors")
    if not Bin.objects.exists():
        _synthetic_bins(ctx)
    bins = list(Bin.objects.filter(longitude__isnull=False))
    lon = sum(b.longitude or 0 for b in bins) / len(bins)
    lat = sum(b.latitude or 0 for b in bins) / len(bins)
    with transaction.atomic():
        depot = Depot.objects.create(
            name="Eastside Depot", longitude=lon + 0.035, latitude=lat - 0.012, address="2 Foundry Road"
        )
        DisposalSite.objects.create(
            name="Harbour Transfer Station",
            longitude=lon + 0.05,
            latitude=lat + 0.025,
            address="Pier 9",
            unload_minutes=15,
            opens_at=time(5),
            closes_at=time(20),
        )
        for index, name in enumerate(("Truck 1", "Truck 2", "Truck 3")):
            Vehicle.objects.create(
                name=name,
                registration=f"WC-{101 + index}",
                depot=depot,
                volume_litres=40_000,
                weight_kg=9_000,
                shift_start=time(6),
                shift_end=time(14),
                break_minutes=30,
                break_after_minutes=240,
            )
    services.refresh_forecasts()
    _rounds(lon, lat)
    _reports(ctx)
    today = timezone.localdate()
    plan = services.build_plan(today, seconds=2.0, now=timezone.make_aware(datetime.combine(today, time(5))))
    services.publish_plan(plan, user=None)
    ctx.say(plan_summary(plan.bins_planned, plan.routes.count()))
    comparison = services.run_comparison(days=30, seed=ctx.rng.randrange(1000), seconds=0.05)
    saving = comparison.results.get("km_saving", 0)
    ctx.say(f"waste: 30-day comparison stored (km against the fixed round: {-saving:+.0%})")


def counted(number: int, one: str, many: str) -> str:
    """``number`` with the noun in the right number. The demo log is in English, like the rest of
    the build's messages, so English plurals are enough (no message catalogue)."""
    return f"{number} {one if number == 1 else many}"


def plan_summary(bins: int, routes: int) -> str:
    return f"waste: today's plan, {counted(bins, 'bin', 'bins')} over {counted(routes, 'route', 'routes')}"


def _reports(ctx: DemoContext) -> None:
    """A few residents' reports: two bins reported full (one twice, by SMS), one damaged."""
    refs = list(Bin.objects.filter(is_active=True).order_by("ref").values_list("ref", flat=True))
    if len(refs) < 3:
        return
    full, damaged, again = ctx.rng.sample(refs, 3)
    services.report_bin(full, ReportProblem.FULL, note="Bags left next to it")
    services.report_bin(again, ReportProblem.FULL, channel=ReportChannel.SMS, phone="+12125550142", language="es")
    services.report_bin(again, ReportProblem.FULL)
    services.report_bin(damaged, ReportProblem.DAMAGED, note="The lid is broken")
    ctx.say("waste: 3 residents' bin reports (two full, one damaged)")


def _rounds(lon: float, lat: float) -> None:
    """The city's old fixed round, by the benchmark's rule (``simulate.round_days``): areas by
    direction from the centre, one a shift day; each bin on its area's day and, where its learnt
    typical fill needs it, on more days spread over the week."""
    days = sorted(services.shift_days() or range(7))
    bins = list(Bin.objects.filter(longitude__isnull=False))
    for b in bins:
        area_day = days[area_of(b.longitude or lon, b.latitude or lat, (lon, lat), len(days))]
        weekly = (b.fill_rate or 0.0) * 168 or WEEKLY_MEDIAN
        b.round_weekdays = ",".join(str(d) for d in round_days(area_day, weekly, days))
    Bin.objects.bulk_update(bins, ["round_weekdays"])


def _synthetic_bins(ctx: DemoContext) -> None:
    """Bins without sensors, with two weeks of readings every three hours."""
    districts = list(District.objects.all())
    centre = (
        (
            sum(d.centroid_lon for d in districts) / len(districts),
            sum(d.centroid_lat for d in districts) / len(districts),
        )
        if districts
        else (-73.906, 40.7128)
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    bins, readings = [], []
    for number in range(1, SYNTHETIC_BINS + 1):
        district = ctx.rng.choice(districts) if districts else None
        lon = (district.centroid_lon if district else centre[0]) + ctx.rng.gauss(0, 0.006)
        lat = (district.centroid_lat if district else centre[1]) + ctx.rng.gauss(0, 0.005)
        bins.append(
            Bin(
                ref=f"BIN-S{number:03d}",
                kind=ctx.rng.choice([BinKind.GENERAL] * 3 + [BinKind.RECYCLING]),
                volume_litres=ctx.rng.choice([240, 240, 360, 660, 1100]),
                longitude=lon,
                latitude=lat,
                district=district,
                address=f"Street corner {number}",
            )
        )
    Bin.objects.bulk_create(bins)
    for b in Bin.objects.filter(ref__startswith="BIN-S"):
        weekly = draw_weekly_fill(ctx.rng)
        fill = ctx.rng.uniform(0, 60)
        moment = now - timedelta(days=HISTORY_DAYS)
        while moment <= now:
            local = timezone.localtime(moment)
            fill += weekly / 168 * READING_HOURS * HOUR_PROFILE[local.hour] * ctx.rng.uniform(0.6, 1.4)
            if (local.weekday() == int(b.ref[-3:]) % 6 and 6 <= local.hour < 6 + READING_HOURS) or fill > 115:
                fill = 0.0
            readings.append(FillReading(bin=b, at=moment, percent=round(min(fill, 100.0), 1)))
            moment += timedelta(hours=READING_HOURS)
    FillReading.objects.bulk_create(readings, batch_size=5000)
    ctx.say(f"waste: no sensing bins; {len(bins)} synthetic bins with {HISTORY_DAYS} days of readings")
