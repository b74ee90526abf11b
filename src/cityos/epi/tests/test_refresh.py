"""The hourly job end to end on a small series: Rt and forecasts per district and for the city,
accuracy of past forecasts, suppressed small counts, hospital forecast and one alert per crossing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory, staff_of
from cityos.core.notifications.models import Broadcast, Message, MessageTemplate
from cityos.core.registry import registry
from cityos.epi import conf, refresh, tasks
from cityos.epi.models import CapacityAlert, DashboardSnapshot, Forecast, RtValue
from cityos.epi.tests.factories import daily_cases, district, hospital, hospital_days

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 1, 1)
DAYS = 70


def growing(first: float, rate: float) -> list[int]:
    return [round(first * rate**i) for i in range(DAYS)]


@pytest.fixture
def city():
    """A big district with a growing epidemic, a small one with a handful of cases, a hospital."""
    big, small = district("big", 200_000), district("small", 3_000)
    daily_cases(big, START, growing(20, 1.03))
    daily_cases(small, START, [1 if i % 9 == 0 else 0 for i in range(DAYS)])
    cases = growing(20, 1.03)
    occupied = [round(0.05 * sum(cases[max(0, i - 7) : i + 1])) + 10 for i in range(DAYS)]
    hospital_days(hospital(), START, occupied, total=int(occupied[-1] / 0.9))
    return big, small


def as_of() -> datetime.date:
    return START + datetime.timedelta(days=DAYS - 1)


def test_the_job_is_registered_hourly():
    job = registry.periodic_jobs["epi.refresh_dashboard"]
    assert job.every == datetime.timedelta(hours=1) and job.task is tasks.refresh_dashboard


def test_the_job_stores_rt_and_forecasts_per_district_and_for_the_city(city):
    snapshot = refresh.refresh_dashboard(as_of(), seed=1)

    issued = Forecast.objects.filter(issue_date=as_of())
    assert sorted(set(issued.values_list("area", flat=True))) == ["", "big", "small"]
    assert list(issued.filter(area="").values_list("horizon", flat=True)) == list(range(1, 15))
    first = issued.get(area="big", horizon=1)
    assert first.target_date == as_of() + datetime.timedelta(days=1)
    assert first.lower <= first.q25 <= first.median <= first.q75 <= first.upper
    assert RtValue.objects.filter(area="big").latest("date").date == as_of()
    data = snapshot.data
    assert 1.1 < data["rt"]["mean"] < 1.4  # 3% a day with a serial interval of ~4.7 days
    assert data["rt"]["lower"] < data["rt"]["mean"] < data["rt"]["upper"]
    assert len(data["forecast"]) == 14 and data["forecast"][-1]["median"] > data["forecast"][0]["median"]


def test_small_counts_are_suppressed_in_the_public_figures(city):
    data = refresh.refresh_dashboard(as_of(), seed=1).data
    small = next(d for d in data["districts"] if d["code"] == "small")
    big = next(d for d in data["districts"] if d["code"] == "big")
    assert small["cases_7d"] is None and small["incidence"] is None
    assert big["cases_7d"] > 5 and big["incidence"] == pytest.approx(big["cases_7d"] / 2, abs=0.1)
    assert data["districts"][0]["code"] == "big"  # highest risk first
    assert all(row["cases"] is None or row["cases"] == 0 or row["cases"] >= 5 for row in data["cases"])
    assert small["rt"] is None  # too few cases in the window for an estimate


def test_no_published_figure_gives_a_hidden_count_back(city):
    from cityos.epi.models import CaseCount, HospitalReport, LabResult

    big, small = city
    last = as_of()
    LabResult.objects.create(district=small, date=last, tests=237, positives=4)  # the day's only tests
    HospitalReport.objects.filter(date=last).update(ventilators_total=11, ventilators_occupied=4)
    CaseCount.objects.filter(district=big, date=last).update(local=0)
    CaseCount.objects.filter(district=small, date=last).update(local=1)  # the city's day: 1, hidden

    data = refresh.refresh_dashboard(last, seed=1).data

    day = data["tests"][-1]
    assert (day["tests"], day["positives"], day["positivity"]) == (237, None, None)  # 237 x 1.7% = 4
    assert data["positivity_7d"] is None
    ventilators = next(r for r in data["hospital"]["resources"] if r["resource"] == "ventilators")
    assert (ventilators["occupied"], ventilators["share"]) == (None, None)  # 36.4% of 11 = 4
    cases = data["cases"]
    assert cases[-1]["cases"] is None
    # The day before's average and this one's differ by what a hidden day is counted as (2.5), not
    # by the day's 1 (each average is rounded to 0.1, so a step is known to within 0.7).
    week_before = next(r["cases"] for r in cases if r["date"] == (last - datetime.timedelta(days=7)).isoformat())
    step = 7 * (cases[-1]["average_7d"] - cases[-2]["average_7d"])
    assert step == pytest.approx(2.5 - week_before, abs=0.71) and step != pytest.approx(1 - week_before, abs=0.71)


@pytest.mark.parametrize(("previous_week", "last_week"), [(4, 1), (1, 4)])
def test_the_trend_is_of_published_counts_so_a_hidden_count_does_not_change_it(db, previous_week, last_week):
    # One district, so its weekly sums and the city's days are the same small counts. Exactly,
    # 4 then 1 is falling and 1 then 4 rising; as published, both are "<5" then "<5".
    only = district("only", 3_000)
    counts = [3] * (DAYS - 14) + [previous_week] + [0] * 6 + [0] * 6 + [last_week]
    daily_cases(only, START, counts)

    data = refresh.refresh_dashboard(as_of(), seed=1).data

    assert data["cases_7d"] is None and data["cases_previous_7d"] is None
    assert data["trend"] == "stable"
    (row,) = data["districts"]
    assert row["cases_7d"] is None and row["trend"] == "stable"


def test_only_the_current_forecasts_alerts_are_listed(city):
    yesterday = as_of() - datetime.timedelta(days=1)
    CapacityAlert.objects.create(  # yesterday's forecast: superseded by today's
        resource="ventilators",
        issue_date=yesterday,
        crossing_date=as_of() + datetime.timedelta(days=13),
        capacity=3,
        forecast=4,
    )

    data = refresh.refresh_dashboard(as_of(), seed=1).data

    listed = {(a["resource"], a["date"]) for a in data["alerts"]}
    current = CapacityAlert.objects.filter(issue_date=as_of())
    assert listed == {(a.resource, a.crossing_date.isoformat()) for a in current} and listed


def test_accuracy_counts_forecasts_older_than_the_history_the_models_see(city, settings):
    settings.CITYOS_EPI_HISTORY_DAYS = "30"
    target = as_of() - datetime.timedelta(days=40)
    Forecast.objects.create(
        area="",
        issue_date=target - datetime.timedelta(days=1),
        horizon=1,
        target_date=target,
        mean=50,
        median=50,
        lower=40,
        q25=45,
        q75=55,
        upper=60,
    )

    data = refresh.refresh_dashboard(as_of(), seed=1).data

    first = next(row for row in data["accuracy"] if row["horizon"] == 1)
    assert first["n"] == 1  # 40 days back: within the year the panel covers


def test_a_hospital_that_misses_a_days_report_counts_with_its_last_one(city):
    from cityos.epi.models import HospitalReport

    other = hospital("Harbour Hospital")
    hospital_days(other, START, [10] * (DAYS - 1), total=20)  # no report on the last day
    general = HospitalReport.objects.exclude(hospital=other).get(date=as_of())

    data = refresh.refresh_dashboard(as_of(), seed=1).data

    beds = next(r for r in data["hospital"]["resources"] if r["resource"] == "beds")
    assert beds["date"] == as_of().isoformat()
    assert (beds["total"], beds["occupied"]) == (general.beds_total + 20, general.beds_occupied + 10)


def test_accuracy_compares_past_forecasts_with_what_happened(city):
    earlier = as_of() - datetime.timedelta(days=14)
    refresh.refresh_dashboard(earlier, seed=1)
    data = refresh.refresh_dashboard(as_of(), seed=1).data
    assert [row["horizon"] for row in data["accuracy"]] == list(range(1, 15))
    assert all(row["n"] == 1 for row in data["accuracy"])
    assert all(0 <= row["mape"] < 50 for row in data["accuracy"])


def test_a_forecast_crossing_capacity_alerts_health_officers_once(city):
    StaffFactory(roles=[Role.HEALTH_OFFICER])
    MessageTemplate.objects.create(key="epi_capacity_alert", language="en", body="{{ resource }} full on {{ date }}")

    data = refresh.refresh_dashboard(as_of(), seed=1).data
    refresh.refresh_dashboard(as_of(), seed=1)  # an hour later, on the same data

    crossing = data["hospital"]["crossings"]["beds"]
    assert as_of() < datetime.date.fromisoformat(crossing["date"]) <= as_of() + datetime.timedelta(days=14)
    alert = CapacityAlert.objects.get(resource="beds")
    assert alert.sent and alert.crossing_date.isoformat() == crossing["date"]
    broadcasts = Broadcast.objects.filter(template_key="epi_capacity_alert")
    assert broadcasts.count() == len(data["hospital"]["crossings"])  # one per resource, not again an hour later
    broadcast = next(b for b in broadcasts if b.context["resource"] == "beds")
    assert broadcast.segment["roles"] == ["health_officer"] and broadcast.segment["audience"] == "staff"
    assert broadcast.context["date"] == crossing["date"]
    model = data["hospital"]["models"]["beds"]
    assert 1 <= model["length_of_stay"] <= 21 and 0 < model["admission_rate"] < 1


def test_capacity_alerts_reach_only_the_health_officers_of_epis_departments(city):
    # Epidemic data is the health department's (CITYOS_EPI_DEPARTMENT, default "health").
    of_health, of_none = staff_of("health", Role.HEALTH_OFFICER), staff_of(None, Role.HEALTH_OFFICER)
    of_social = staff_of("social", Role.HEALTH_OFFICER)
    MessageTemplate.objects.create(key="epi_capacity_alert", language="en", body="{{ resource }} full on {{ date }}")

    refresh.refresh_dashboard(as_of(), seed=1)

    told = set(Message.objects.filter(template_key="epi_capacity_alert").values_list("recipient_id", flat=True))
    assert told == {of_health.pk, of_none.pk}
    assert of_social.pk not in told


def test_without_a_template_the_alert_is_kept_unsent(city):
    refresh.refresh_dashboard(as_of(), seed=1)
    assert CapacityAlert.objects.filter(resource="beds", sent=False).exists()


def test_the_job_survives_too_few_days_and_an_empty_city(db):
    district("quiet")
    snapshot = refresh.refresh_dashboard(datetime.date(2026, 1, 5))
    assert snapshot.data["rt"] is None and snapshot.data["forecast"] == []
    assert DashboardSnapshot.objects.count() == 1


def test_the_task_refreshes_the_dashboard(city):
    assert tasks.refresh_dashboard.call() == as_of().isoformat()
    assert DashboardSnapshot.objects.get().data["as_of"] == as_of().isoformat()


def test_staff_see_the_capacity_alert_named_in_their_language():
    with translation.override("es"):
        assert registry.message_label(conf.CAPACITY_ALERT_TEMPLATE) == "Alerta de capacidad hospitalaria"
