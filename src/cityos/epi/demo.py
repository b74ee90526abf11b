"""The demo city's epidemic: two years of daily cases per district in waves (the last one
rising now), lab results, hospital reports, weekly forecasts made along the way (so the
accuracy panel has something to show) and the dashboard as the hourly job leaves it, with a
capacity alert to the health officers."""
# ruff: noqa: RUF001 - Chinese texts use full-width punctuation

from __future__ import annotations

import datetime
import math

import numpy as np
from django.db import transaction
from django.utils import timezone

from cityos.core.accounts.models import Language
from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.notifications.models import MessageTemplate
from cityos.core.registry import DemoContext
from cityos.epi import conf, refresh
from cityos.epi.models import CaseCount, HospitalReport, LabResult

HISTORY_DAYS = 730
FORECAST_EVERY_DAYS = 7
FORECAST_HISTORY_DAYS = 364
ADMISSION_RATE = 0.06
LENGTH_OF_STAY = 8
ICU_SHARE = 0.15  # of the patients in hospital
VENTILATED_SHARE = 0.5  # of the patients in intensive care


def _resource(icu: str, ventilators: str, beds: str) -> str:
    """The resource's name in the template's language (the context carries its key)."""
    return (
        f'{{% if resource == "icu" %}}{icu}{{% elif resource == "ventilators" %}}{ventilators}'
        f"{{% else %}}{beds}{{% endif %}}"
    )


TEMPLATES = [
    (
        Language.ENGLISH,
        "Hospital capacity: " + _resource("ICU beds", "ventilators", "beds") + " full by {{ date }}",
        "Hello {{ person.first_name }}, the 14-day forecast says the city's hospitals will need more "
        + _resource("ICU beds", "ventilators", "beds")
        + " than the {{ capacity }} they have on {{ date }} (forecast: {{ forecast }}). "
        "See the epidemic dashboard.",
    ),
    (
        Language.TRADITIONAL_CHINESE,
        "醫院量能警示：" + _resource("加護病床", "呼吸器", "病床") + "預計於{{ date }}不足",
        "{{ person.first_name }}您好，依14天預測，本市醫院於{{ date }}所需"
        + _resource("加護病床", "呼吸器", "病床")
        + "將超過現有的{{ capacity }}（預測：{{ forecast }}）。請查看疫情儀表板。",
    ),
    (
        Language.SPANISH,
        "Capacidad hospitalaria: " + _resource("camas UCI", "respiradores", "camas") + " llenas el {{ date }}",
        "Hola, {{ person.first_name }}. Según el pronóstico a 14 días, el {{ date }} los hospitales de la ciudad "
        "necesitarán más "
        + _resource("camas UCI", "respiradores", "camas")
        + " que las {{ capacity }} disponibles (pronóstico: {{ forecast }}). Consulta el panel epidemiológico.",
    ),
]


def _templates() -> None:
    for language, subject, body in TEMPLATES:
        MessageTemplate.objects.get_or_create(
            key=conf.CAPACITY_ALERT_TEMPLATE, channel="", language=language, defaults={"subject": subject, "body": body}
        )


def _expected_cases(days: int, population: int, rng: np.random.Generator) -> np.ndarray:
    """Daily expected cases: four waves (each district a little early or late), the last one
    still rising on the last day."""
    t = np.arange(days, dtype=np.float64)
    shift = rng.normal(0, 6)
    scale = population / 100_000
    # centre, width, peak per 100k; the last wave peaks three weeks from now, so it is rising
    # fast enough (Rt about 1.2) for the hospitals to fill within the forecast's 14 days.
    waves = [(120, 22, 12), (330, 28, 20), (520, 20, 15), (days + 20, 24, 25)]
    expected = np.full(days, 0.3 * scale)
    for centre, width, peak in waves:
        expected += peak * scale * rng.uniform(0.2, 1.6) * np.exp(-0.5 * ((t - centre - shift) / width) ** 2)
    weekday = 1 - 0.25 * (np.arange(days) % 7 >= 5)  # fewer cases reported at weekends
    return expected * weekday


def build(ctx: DemoContext) -> None:
    _templates()
    if CaseCount.objects.exists():
        ctx.say("epidemic: history already present")
        return
    districts = list(District.objects.order_by("code"))
    hospitals = list(Place.objects.filter(kind=PlaceKind.HOSPITAL).order_by("pk"))
    if not districts:
        ctx.say("epidemic: no districts, skipped")
        return
    rng = np.random.default_rng(ctx.rng.randrange(2**32))
    end = timezone.localdate() - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=HISTORY_DAYS - 1)
    dates = [start + datetime.timedelta(days=i) for i in range(HISTORY_DAYS)]
    city = np.zeros(HISTORY_DAYS)
    cases, labs = [], []
    for district in districts:
        local = rng.poisson(_expected_cases(HISTORY_DAYS, district.population or 80_000, rng))
        imported = rng.poisson(0.15, HISTORY_DAYS)
        city += local + imported
        positivity = np.clip(0.02 + local / (local.max() + 1) * 0.18, 0.01, 0.5)
        positives = local + imported
        tests = np.maximum(np.ceil(positives / positivity).astype(int), positives + rng.poisson(20, HISTORY_DAYS))
        for i, day in enumerate(dates):
            cases.append(CaseCount(district=district, date=day, local=int(local[i]), imported=int(imported[i])))
            labs.append(LabResult(district=district, date=day, tests=int(tests[i]), positives=int(positives[i])))
    reports = _hospital_reports(hospitals, dates, city, rng)
    with transaction.atomic():
        CaseCount.objects.bulk_create(cases, batch_size=5000)
        LabResult.objects.bulk_create(labs, batch_size=5000)
        HospitalReport.objects.bulk_create(reports, batch_size=5000)
    issued = 0
    issue_date = end - datetime.timedelta(days=FORECAST_HISTORY_DAYS)
    while issue_date < end:
        ran = refresh.run_forecasts(districts, issue_date, samples=300, seed=issued)
        if ran is not None:
            refresh.store_forecasts(ran[0], issue_date, ran[1])
            issued += 1
        issue_date += datetime.timedelta(days=FORECAST_EVERY_DAYS)
    snapshot = refresh.refresh_dashboard(end, seed=1)
    alerts = ", ".join(f"{k} on {v['date']}" for k, v in snapshot.data["hospital"]["crossings"].items())
    ctx.say(
        f"epidemic: {len(cases)} daily case counts, {len(reports)} hospital reports, {issued} past forecasts; "
        f"capacity alerts: {alerts or 'none'}"
    )


def _hospital_reports(
    hospitals: list[Place], dates: list[datetime.date], city: np.ndarray, rng: np.random.Generator
) -> list[HospitalReport]:
    """Occupancy from the cases (admission rate, fixed stay), shared out among the hospitals;
    each hospital's standing capacity is sized so the rising last wave fills most of it now
    (see ``_capacity``: about three quarters of the beds with the default seed) and passes it
    within the forecast's 14 days."""
    if not hospitals:
        return []
    occupancy = ADMISSION_RATE * _trailing_sums(city, LENGTH_OF_STAY)
    shares = rng.dirichlet(np.full(len(hospitals), 4.0))
    reports = []
    for hospital, share in zip(hospitals, shares, strict=True):
        expected = np.maximum(occupancy * share, 0)
        # Each day a share of the cases is admitted and stays LENGTH_OF_STAY days.
        admitted = rng.binomial(city.astype(np.int64), ADMISSION_RATE * share)
        beds = _trailing_sums(admitted, LENGTH_OF_STAY)
        icu = rng.binomial(beds, ICU_SHARE)
        ventilators = rng.binomial(icu, VENTILATED_SHARE)
        beds_total = _capacity(beds, expected[-1], 0.9, rng)
        icu_total = _capacity(icu, expected[-1] * ICU_SHARE, 0.8, rng)
        ventilators_total = _capacity(ventilators, expected[-1] * ICU_SHARE * VENTILATED_SHARE, 0.7, rng)
        for i, day in enumerate(dates):
            reports.append(
                HospitalReport(
                    hospital=hospital,
                    date=day,
                    beds_total=int(beds_total[i]),
                    beds_occupied=int(beds[i]),
                    icu_total=int(icu_total[i]),
                    icu_occupied=int(icu[i]),
                    ventilators_total=int(ventilators_total[i]),
                    ventilators_occupied=int(ventilators[i]),
                )
            )
    return reports


def _capacity(occupied: np.ndarray, expected_now: float, share_now: float, rng: np.random.Generator) -> np.ndarray:
    """Daily totals: a standing capacity that today's expected occupancy fills to about
    ``share_now`` (and that the last two weeks never passed), and on the days of earlier waves
    that passed it, surge beds opened for the wave and closed after; so the rising wave will
    pass today's capacity, as the capacity alert is meant to show."""
    standing = max(math.ceil(expected_now / share_now), int(occupied[-14:].max()) + 1)
    surge = occupied + rng.integers(1, 6, len(occupied))
    return np.where(occupied >= standing, surge, standing)


def _trailing_sums(values: np.ndarray, days: int) -> np.ndarray:
    """values[t-days+1 .. t] summed for every t (shorter at the start)."""
    cumulative = np.concatenate([[0], np.cumsum(values)])
    index = np.arange(1, len(values) + 1)
    return np.asarray(cumulative[index] - cumulative[np.maximum(index - days, 0)])
