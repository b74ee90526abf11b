from __future__ import annotations

import datetime

from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.geo.tests.factories import DistrictFactory, PlaceFactory
from cityos.epi.models import CaseCount, HospitalReport


def district(code: str, population: int | None = 100_000) -> District:
    return DistrictFactory(code=code, name=code.title(), population=population)


def hospital(name: str = "General Hospital") -> Place:
    return PlaceFactory(kind=PlaceKind.HOSPITAL, name=name)


def daily_cases(where: District, start: datetime.date, counts: list[int]) -> None:
    CaseCount.objects.bulk_create(
        CaseCount(district=where, date=start + datetime.timedelta(days=i), local=n) for i, n in enumerate(counts)
    )


def hospital_days(where: Place, start: datetime.date, occupied: list[int], total: int) -> None:
    HospitalReport.objects.bulk_create(
        HospitalReport(
            hospital=where,
            date=start + datetime.timedelta(days=i),
            beds_total=total,
            beds_occupied=n,
            icu_total=total // 5,
            icu_occupied=n // 6,
            ventilators_total=total // 10,
            ventilators_occupied=n // 15,
        )
        for i, n in enumerate(occupied)
    )
