"""Waste test data: a depot, a disposal site, vehicles and bins with a synthetic fill history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import factory

from cityos.waste.models import Bin, Depot, DisposalSite, FillReading, Vehicle

CENTRE = (-73.906, 40.7128)


class DepotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Depot

    name = factory.Sequence(lambda n: f"Depot {n}")
    longitude = CENTRE[0] + 0.02
    latitude = CENTRE[1] - 0.01


class DisposalSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisposalSite

    name = "Transfer station"
    longitude = CENTRE[0] + 0.03
    latitude = CENTRE[1] + 0.01
    unload_minutes = 10


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    name = factory.Sequence(lambda n: f"Truck {n}")
    depot = factory.SubFactory(DepotFactory)
    volume_litres = 20_000
    weight_kg = 8_000
    shift_start = time(6)
    shift_end = time(14)
    break_minutes = 30
    break_after_minutes = 240


class BinFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bin

    ref = factory.Sequence(lambda n: f"B-{n:04d}")
    volume_litres = 660
    longitude = factory.Sequence(lambda n: CENTRE[0] + ((n * 37) % 100 - 50) / 5000)
    latitude = factory.Sequence(lambda n: CENTRE[1] + ((n * 53) % 100 - 50) / 6000)


def history(
    bin: Bin,
    end: datetime,
    days: int,
    rate: Callable[[datetime], float],
    *,
    start_fill: float = 0,
    empty_at: float = 95.0,
    step_hours: int = 1,
) -> list[FillReading]:
    """Readings every ``step_hours`` up to ``end``, rising at ``rate(t)`` %/h, emptied at ``empty_at``."""
    rows = []
    fill = start_fill
    moment = end - timedelta(days=days)
    while moment <= end:
        rows.append(FillReading(bin=bin, at=moment, percent=round(min(fill, 100.0), 2)))
        fill += rate(moment) * step_hours
        if fill >= empty_at:
            fill = 0.0
        moment += timedelta(hours=step_hours)
    FillReading.objects.bulk_create(rows)
    return rows


def fleet(**kwargs: Any) -> tuple[Depot, DisposalSite, list[Vehicle]]:
    depot = DepotFactory()
    site = DisposalSiteFactory()
    vehicles = [VehicleFactory(depot=depot, **kwargs) for _ in range(2)]
    return depot, site, vehicles


def published_plan() -> Any:
    """Today's published plan over a fleet and four bins 60-63% full with two days of history."""
    from django.utils import timezone

    from cityos.waste import services

    fleet()
    day = timezone.localdate()
    end = timezone.make_aware(datetime.combine(day, time(5)))
    for i in range(4):
        history(BinFactory(), end, 2, lambda t: 1.0, start_fill=60 + i, empty_at=10_000)
    return services.publish_plan(services.build_plan(day, seconds=0.3, now=end), user=None)
