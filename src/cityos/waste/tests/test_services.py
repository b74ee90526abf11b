"""Bins, forecasts, daily plans, crews' progress and breakdown re-plans, through the services."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.events import subscribe
from cityos.core.registry import registry
from cityos.sensing import services as sensing
from cityos.waste import forecast, services, tasks
from cityos.waste.events import StopMissed
from cityos.waste.models import (
    Bin,
    BinReport,
    Comparison,
    ComparisonStatus,
    MissedReason,
    Omission,
    Plan,
    PlanStatus,
    ReportChannel,
    ReportProblem,
    RouteStatus,
    Stop,
    StopKind,
)
from cityos.waste.tests.factories import BinFactory, fleet, history

pytestmark = pytest.mark.django_db


def at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def city(day):
    """Two trucks, and 12 bins: six about to overflow, six nearly empty."""
    fleet()
    end = at(day, 5)
    fast, slow = [], []
    for i in range(6):
        b = BinFactory()
        history(b, end, 2, lambda t: 1.0, start_fill=40 + i * 5, empty_at=10_000)  # full by now
        fast.append(b)
    for _ in range(6):
        b = BinFactory()
        history(b, end - timedelta(days=14), 1, lambda t: 0.1)  # one day of readings, nearly empty
        slow.append(b)
    return fast, slow


def test_a_bin_needs_a_location_and_a_sane_window():
    with pytest.raises(ValidationError) as error:
        services.save_bin({"ref": "no-place", "volume_litres": 240}, user=None)
    assert "longitude" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.save_bin(
            {
                "ref": "w",
                "volume_litres": 240,
                "longitude": 1,
                "latitude": 1,
                "access_from": time(10),
                "access_until": time(9),
            },
            user=None,
        )
    assert "access_until" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.save_bin(
            {"ref": "r", "volume_litres": 240, "longitude": 1, "latitude": 1, "round_weekdays": "8"}, user=None
        )
    made = services.save_bin(
        {"ref": "ok", "volume_litres": 240, "longitude": 1.0, "latitude": 2.0, "round_weekdays": "1,4"}, user=None
    )
    assert made.round_days == (1, 4)


def test_the_daily_plan_takes_the_bins_about_to_overflow_and_skips_the_empty_ones(city, day):
    fast, slow = city
    plan = services.build_plan(day, seconds=0.5, now=at(day, 5))
    taken = set(Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).values_list("bin_id", flat=True))
    assert {b.pk for b in fast} <= taken
    assert not taken & {b.pk for b in slow}
    assert plan.feasible and plan.problems == []
    assert all(s.required for s in Stop.objects.filter(route__plan=plan, bin__in=fast))
    route = plan.routes.first()
    kinds = list(route.stops.values_list("kind", flat=True))
    assert kinds[0] == StopKind.DEPOT and kinds[-1] == StopKind.DEPOT and StopKind.DISPOSAL in kinds
    assert route.start_at >= at(day, 6) and route.end_at <= at(day, 14)


def test_a_bin_without_location_is_named_in_what_the_plan_left_out(city, day):
    lost = BinFactory(longitude=None, latitude=None)
    history(lost, at(day, 5), 3, lambda t: 2.0, start_fill=90, empty_at=500)
    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))
    omission = Omission.objects.get(plan=plan, bin=lost)
    assert omission.reason == "no_location" and omission.required
    assert not plan.feasible
    assert [p["code"] for p in plan.problems] == ["bin_without_location"]
    assert "no location" in plan.problem_list()[0]["message"]
    assert plan.bins_planned >= 6  # the rest is still planned


def test_a_vehicle_smaller_than_a_bin_is_reported(city, day):
    huge = BinFactory(volume_litres=30_000)
    history(huge, at(day, 5), 3, lambda t: 2.0, start_fill=90, empty_at=500)
    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))
    assert Omission.objects.get(plan=plan, bin=huge).reason == "too_big"
    assert "vehicle_too_small" in [p["code"] for p in plan.problems]


def test_planning_without_a_disposal_site_is_refused(day):
    with pytest.raises(ValidationError):
        services.build_plan(day)


def test_forecasts_are_cached_on_the_bins(city, day):
    fast, slow = city
    assert services.refresh_forecasts(at(day, 5)) == 12
    hot = Bin.objects.get(pk=fast[0].pk)
    cold = Bin.objects.get(pk=slow[0].pk)
    assert hot.overflow_risk == pytest.approx(1.0) and hot.fill_rate == pytest.approx(1.0, rel=0.05)
    assert cold.overflow_risk is not None and cold.overflow_risk < 0.01
    assert cold.full_at_early <= cold.full_at
    assert cold.full_at_late is None or cold.full_at <= cold.full_at_late  # None: not within 30 days


def test_crews_mark_bins_collected_and_the_route_finishes(city, day):
    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))
    crew = StaffFactory(roles=[Role.SERVICE_AGENT])
    stops = list(Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("route", "bin"))
    route_stops = [s for s in stops if s.route_id == stops[0].route_id]
    services.mark_collected(route_stops[0], user=crew, fill=92, at=at(day, 7))
    route_stops[0].refresh_from_db()
    assert route_stops[0].collected and route_stops[0].fill_at_pickup == 92
    assert route_stops[0].route.__class__.objects.get(pk=route_stops[0].route_id).status == RouteStatus.UNDERWAY
    with pytest.raises(ValidationError):
        services.mark_collected(route_stops[0], user=crew, at=at(day, 10))
    with pytest.raises(ValidationError):
        services.mark_collected(route_stops[1], user=crew, fill=300, at=at(day, 10))
    for stop in route_stops[1:]:
        services.mark_collected(stop, user=crew, at=at(day, 10))
    assert stops[0].route.__class__.objects.get(pk=stops[0].route_id).status == RouteStatus.DONE
    # The bin has no sensor: the crew's readings become its history (full, then empty).
    assert list(route_stops[0].bin.readings.order_by("-at").values_list("percent", flat=True)[:2]) == [0, 92]


def test_a_crew_reports_a_bin_it_could_not_collect_and_the_route_still_finishes(
    city, day, monkeypatch, django_capture_on_commit_callbacks
):
    plan = services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 5)), user=None)
    crew = StaffFactory(roles=[Role.SERVICE_AGENT])
    route = plan.routes.first()
    first, *rest = list(route.stops.filter(kind=StopKind.BIN).select_related("route", "bin"))
    monkeypatch.setattr(registry, "subscriptions", list(registry.subscriptions))
    received: list[StopMissed] = []
    subscribe(StopMissed, durable=False)(received.append)

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_missed(first, user=crew, reason=MissedReason.BLOCKED, at=at(day, 7))

    first.refresh_from_db()
    assert (first.missed_reason, first.missed_at, first.missed_by) == (MissedReason.BLOCKED, at(day, 7), crew)
    assert not first.collected and first.handled
    assert received == [StopMissed(stop_id=first.pk, bin_id=first.bin_id, route_id=route.pk, reason="blocked")]
    # Once the others are collected the route is done: the missed bin waits for a later plan.
    for stop in rest:
        services.mark_collected(stop, user=crew, at=at(day, 10))
    route.refresh_from_db()
    assert route.status == RouteStatus.DONE
    assert services.selectors.progress(plan) == {"total": len(rest) + 1, "collected": len(rest), "missed": 1}
    # The car moved: the crew came back and emptied it after all.
    services.mark_collected(first, user=crew, fill=95, at=at(day, 9))
    first.refresh_from_db()
    assert first.collected and first.missed_reason == "" and first.missed_at is None


def test_a_bin_reported_not_collected_is_refused_twice_or_when_already_collected_or_without_a_reason(city, day):
    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))
    first, second = list(Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("route", "bin"))[:2]
    depot = Stop.objects.filter(route__plan=plan, kind=StopKind.DEPOT).select_related("route").first()
    services.mark_collected(first, user=None, at=at(day, 10))
    with pytest.raises(ValidationError) as collected:
        services.mark_missed(first, user=None, reason=MissedReason.BLOCKED, at=at(day, 10))
    assert collected.value.error_dict["stop"][0].code == "already_collected"
    with pytest.raises(ValidationError) as no_reason:
        services.mark_missed(second, user=None, reason="aliens", at=at(day, 10))
    assert no_reason.value.error_dict["reason"][0].code == "invalid_reason"
    with pytest.raises(ValidationError) as not_a_bin:
        services.mark_missed(depot, user=None, reason=MissedReason.OTHER, at=at(day, 10))
    assert not_a_bin.value.error_dict["stop"][0].code == "not_a_bin"
    services.mark_missed(second, user=None, reason=MissedReason.NOT_FOUND, at=at(day, 10))
    with pytest.raises(ValidationError) as twice:
        services.mark_missed(second, user=None, reason=MissedReason.OTHER, at=at(day, 10))
    assert twice.value.error_dict["stop"][0].code == "already_missed"
    second.refresh_from_db()
    assert second.missed_reason == MissedReason.NOT_FOUND


def test_a_damaged_bin_the_crew_could_not_lift_is_filed_for_repair(city, day):
    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))
    stop = Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("route", "bin").first()

    services.mark_missed(stop, user=None, reason=MissedReason.DAMAGED, note="Lid hinge broken", at=at(day, 8))

    report = BinReport.objects.get(bin=stop.bin)
    assert (report.problem, report.channel, report.note) == (
        ReportProblem.DAMAGED,
        ReportChannel.CREW,
        "Lid hinge broken",
    )
    assert report.is_open


def test_a_breakdown_leaves_the_stops_the_crew_could_not_collect_for_a_later_plan(city, day):
    plan = services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 5)), user=None)
    broken = max(plan.routes.all(), key=lambda r: r.stops.filter(kind=StopKind.BIN).count())
    blocked = broken.stops.filter(kind=StopKind.BIN).select_related("route", "bin").first()
    services.mark_missed(blocked, user=None, reason=MissedReason.BLOCKED, at=at(day, 8))

    replan = services.report_breakdown(broken, user=None, at=at(day, 9), seconds=0.3)

    taken = set(Stop.objects.filter(route__plan=replan, kind=StopKind.BIN).values_list("bin_id", flat=True))
    assert blocked.bin_id not in taken and taken
    left = replan.omissions.get(bin=blocked.bin)
    assert (left.reason, left.explanation) == (
        "crew_missed",
        "The crew could not collect it: Access blocked (parked car, works)",
    )
    with translation.override("zh-hant"):  # said in the reader's language, not the re-planner's
        assert left.explanation.startswith("清運人員無法")


def test_two_crews_acting_on_one_stop_get_a_refusal_not_a_server_error(city, day):
    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))
    stop = Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("route", "bin").first()
    other_phone = Stop.objects.select_related("route", "bin").get(pk=stop.pk)  # loaded before either acts
    services.mark_collected(stop, user=None, at=at(day, 10))

    with pytest.raises(ValidationError) as refused:
        services.mark_missed(other_phone, user=None, reason=MissedReason.DAMAGED, at=at(day, 10))

    assert refused.value.error_dict["stop"][0].code == "already_collected"
    assert not BinReport.objects.exists()


def test_a_crew_note_is_kept_and_a_bin_out_of_service_is_still_reported_not_collected(city, day):
    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))
    stop = Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("route", "bin").first()
    Bin.objects.filter(pk=stop.bin_id).update(is_active=False)  # taken out of service after planning
    with pytest.raises(ValidationError) as long_note:
        services.mark_missed(stop, user=None, reason=MissedReason.OTHER, note="x" * 501, at=at(day, 10))
    assert long_note.value.error_dict["note"][0].code == "note_too_long"

    services.mark_missed(stop, user=None, reason=MissedReason.DAMAGED, note=" Wheel off ", at=at(day, 10))

    stop.refresh_from_db()
    assert (stop.missed_reason, stop.missed_note) == (MissedReason.DAMAGED, "Wheel off")
    assert not BinReport.objects.exists()  # a bin out of service takes no report


def test_a_breakdown_re_plans_the_remaining_stops_over_the_other_vehicles(city, day):
    plan = services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 5)), user=None)
    routes = list(plan.routes.all())
    # The busiest truck breaks down (or the only one: the idle truck then takes over).
    broken = max(routes, key=lambda r: r.stops.filter(kind=StopKind.BIN).count())
    left = set(Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).values_list("bin_id", flat=True))
    replan = services.report_breakdown(broken, user=None, at=at(day, 9), seconds=0.3)
    assert replan.replans == plan and replan.status == PlanStatus.PUBLISHED
    plan.refresh_from_db()
    broken.refresh_from_db()
    assert plan.status == PlanStatus.SUPERSEDED and broken.status == RouteStatus.BROKEN_DOWN
    assert not replan.routes.filter(vehicle=broken.vehicle).exists()
    taken = set(Stop.objects.filter(route__plan=replan, kind=StopKind.BIN).values_list("bin_id", flat=True))
    assert taken == left
    assert all(s.eta >= at(day, 9) for s in Stop.objects.filter(route__plan=replan, kind=StopKind.BIN))
    with pytest.raises(ValidationError):
        services.report_breakdown(broken, user=None)


def test_a_breakdown_after_every_shift_has_ended_leaves_the_stops_out_instead_of_failing(city, day):
    plan = services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 5)), user=None)
    broken = plan.routes.first()
    left = set(Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).values_list("bin_id", flat=True))

    replan = services.report_breakdown(broken, user=None, at=at(day, 15), seconds=0.3)  # shifts end at 14:00

    assert not Stop.objects.filter(route__plan=replan, kind=StopKind.BIN).exists()
    assert set(replan.omissions.values_list("bin_id", flat=True)) == left
    # The other truck is in service: what is missing is shift time, and the plan says so.
    assert {o.reason for o in replan.omissions.all()} == {"shift_over"}
    (problem,) = replan.problem_list()
    assert problem["message"] == f"No vehicle has shift time left today: {len(left)} bins wait for the next plan."


def test_only_the_plan_the_crews_follow_takes_a_breakdown_and_the_re_plan_is_then_the_only_one(city, day):
    published = services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 5)), user=None)
    draft = services.build_plan(day, seconds=0.3, now=at(day, 6))  # a later draft beside it

    with pytest.raises(ValidationError) as refused:
        services.report_breakdown(draft.routes.first(), user=None, at=at(day, 9), seconds=0.3)
    assert refused.value.error_dict["route"][0].code == "not_current"

    replan = services.report_breakdown(published.routes.first(), user=None, at=at(day, 9), seconds=0.3)
    assert list(Plan.objects.filter(date=day, status=PlanStatus.PUBLISHED)) == [replan]


def test_crews_mark_only_the_current_plan_and_only_on_its_day(city, day):
    old = services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 5)), user=None)
    stop = Stop.objects.filter(route__plan=old, kind=StopKind.BIN).select_related("route", "bin").first()

    with pytest.raises(ValidationError) as early:
        services.mark_collected(stop, user=None, at=at(day - timedelta(days=1), 10))
    assert early.value.error_dict["at"][0].code == "wrong_day"
    with pytest.raises(ValidationError):
        services.mark_missed(stop, user=None, reason=MissedReason.BLOCKED, at=at(day + timedelta(days=3), 10))

    services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 6)), user=None)  # replaces it
    with pytest.raises(ValidationError) as replaced:
        services.mark_collected(stop, user=None, at=at(day, 10))
    assert replaced.value.error_dict["stop"][0].code == "superseded"
    assert not Stop.objects.filter(collected=True).exists() and not Stop.objects.exclude(missed_reason="").exists()


def test_a_breakdown_cannot_be_reported_on_a_plan_whose_day_is_over(city, day):
    plan = services.publish_plan(services.build_plan(day, seconds=0.3, now=at(day, 5)), user=None)

    with pytest.raises(ValidationError) as refused:
        services.report_breakdown(plan.routes.first(), user=None, at=at(day + timedelta(days=1), 7))

    assert "route" in refused.value.message_dict
    assert plan.routes.filter(status=RouteStatus.BROKEN_DOWN).count() == 0


def test_bins_are_linked_to_the_sensing_modules_waste_bin_things_and_read_through_it(day):
    publisher = StaffFactory(username="bins", roles=[Role.ADMINISTRATOR])
    data = {
        "name": "Bin BIN-0001 · Market St",
        "description": "bin",
        "properties": {"kind": "waste-bin", "bin_ref": "BIN-0001", "volume_litres": 660, "street": "Market St"},
        "Locations": [
            {
                "name": "kerb",
                "description": "kerb",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [-73.9, 40.71]},
            }
        ],
        "Datastreams": [
            {
                "name": "fill",
                "description": "fill",
                "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "unitOfMeasurement": {"name": "percent", "symbol": "%", "definition": ""},
                "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain", "metadata": "-"},
                "ObservedProperty": {"name": "fill-level", "definition": "urn:fill", "description": "fill"},
            }
        ],
    }
    thing = sensing.create_entity("Thing", data, user=publisher)
    stream = thing.datastreams.get()
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    rows = [
        sensing.NewObservation(
            datastream_id=stream.pk, phenomenon_time=(now - timedelta(hours=48 - i), None), result=float(i)
        )
        for i in range(49)
    ]
    sensing.create_observations(rows, user=None, system=True)
    report = services.sync_from_sensing()
    assert report.created == 1 and report.skipped == []
    b = Bin.objects.get(thing_id=thing.pk)
    assert (b.ref, b.volume_litres, b.datastream_id, b.address) == ("BIN-0001", 660, stream.pk, "Market St")
    readings = services.fill_histories([b], now)[b.pk]
    model = forecast.fit(readings)
    assert len(readings) == 49 and model.mean_rate == pytest.approx(1.0, rel=0.05)
    # A bin synced before addresses were read from the thing still carries the thing's name.
    Bin.objects.filter(pk=b.pk).update(address="Bin BIN-0001 · Market St")
    assert services.sync_from_sensing().updated == 1
    b.refresh_from_db()
    assert b.address == "Market St"
    Bin.objects.filter(pk=b.pk).update(address="Corner of Market St and 3rd")  # a planner's words stay
    services.sync_from_sensing()
    b.refresh_from_db()
    assert b.address == "Corner of Market St and 3rd"


def test_fill_histories_read_every_stored_history_in_one_query(django_assert_num_queries):
    from cityos.waste import selectors

    end = timezone.now().replace(minute=0, second=0, microsecond=0)
    bins = [BinFactory() for _ in range(3)]
    for b in bins[:2]:
        history(b, end, 1, lambda t: 1.0)
    start = end - timedelta(days=2)
    with django_assert_num_queries(1):
        histories = selectors.fill_histories(bins, start, end + timedelta(seconds=1))
    assert [histories[b.pk] for b in bins] == [
        selectors.fill_history(b, start, end + timedelta(seconds=1)) for b in bins
    ]
    assert histories[bins[0].pk] and histories[bins[2].pk] == []


def test_planning_reads_the_fill_histories_in_the_same_queries_however_many_bins():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fleet()
    day = timezone.localdate()
    end = timezone.make_aware(datetime.combine(day, time(5)))

    def history_queries(bins: int) -> int:
        for _ in range(bins):
            history(BinFactory(), end, 2, lambda t: 0.5)
        with CaptureQueriesContext(connection) as captured:
            services.build_plan(day, seconds=0.1, now=end)
        return sum("waste_fillreading" in q["sql"] and "SELECT" in q["sql"] for q in captured.captured_queries)

    assert history_queries(2) == history_queries(4) == 1


def test_a_comparison_can_send_the_plans_trucks_out_on_fewer_days_than_the_old_round():
    fleet()
    for index in range(8):
        BinFactory(round_weekdays="1" if index % 2 else "")  # half on a Tuesday round
    comparison = services.run_comparison(days=7, seed=2, seconds=0.05, plan_days=[0, 2, 4, 5])
    results = comparison.results
    assert results["plan_days"] == [0, 2, 4, 5] and results["round_days"] == [0, 1, 2, 3, 4, 5]
    weekdays = [datetime.fromisoformat(row["date"]).weekday() for row in results["planned_daily"] if row["routes"]]
    assert set(weekdays) <= {0, 2, 4, 5}
    tuesdays = [row for row in results["fixed_daily"] if datetime.fromisoformat(row["date"]).weekday() == 1]
    assert tuesdays[0]["collections"] >= 4  # the Tuesday round still runs in the comparison


@pytest.mark.parametrize("plan_days", [[], [7]])
def test_a_comparison_needs_real_weekdays_for_the_plan(plan_days):
    fleet()
    BinFactory()
    with pytest.raises(ValidationError) as error:
        services.run_comparison(days=7, seed=2, seconds=0.05, plan_days=plan_days)
    assert "plan_days" in error.value.message_dict


def test_one_simulation_runs_at_a_time():
    fleet()
    BinFactory()
    first = services.request_comparison(days=7, seed=1, user=None)
    with pytest.raises(services.ComparisonRunning) as busy:
        services.request_comparison(days=7, seed=2, user=None)
    assert busy.value.comparison == first
    assert Comparison.objects.count() == 1


def test_a_simulation_given_up_while_it_runs_stops_and_stays_given_up(monkeypatch):
    fleet()
    BinFactory()
    given_up = services.request_comparison(days=7, seed=1, user=None)

    def silent_too_long(comparison, plan_days, progress):
        Comparison.objects.filter(pk=comparison.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
        assert services.give_up_silent_comparisons() == 1
        services.request_comparison(days=7, seed=2, user=None)  # the next planner's, now running
        progress(1, 28)
        raise AssertionError("the simulation goes on after it was given up")

    monkeypatch.setattr(services, "_simulate", silent_too_long)
    ended = services.complete_comparison(given_up.pk)
    assert (ended.status, ended.error, ended.results) == (ComparisonStatus.FAILED, "abandoned", {})
    assert Comparison.objects.filter(status=ComparisonStatus.RUNNING).count() == 1
    assert services.complete_comparison(given_up.pk).status == ComparisonStatus.FAILED  # a late worker: nothing


def test_a_simulation_that_crashes_or_cannot_be_queued_frees_the_slot(monkeypatch, django_capture_on_commit_callbacks):
    fleet()
    BinFactory()
    crashing = services.request_comparison(days=7, seed=1, user=None)

    def crash(comparison, plan_days, progress):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(services, "_simulate", crash)
    assert services.complete_comparison(crashing.pk).error == "crashed"

    def no_queue(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "simulate_comparison", SimpleNamespace(enqueue=no_queue))
    with django_capture_on_commit_callbacks(execute=True):
        unqueued = services.request_comparison(days=7, seed=2, user=None)
    unqueued.refresh_from_db()
    assert (unqueued.status, unqueued.error) == (ComparisonStatus.FAILED, "crashed")
    assert services.request_comparison(days=7, seed=3, user=None).status == ComparisonStatus.RUNNING


def test_of_several_disposal_sites_a_plan_tips_at_the_nearest_not_the_first_named(city, day):
    from cityos.waste.models import DisposalSite

    near = DisposalSite.objects.get()
    DisposalSite.objects.create(name="Aardvark Landfill", longitude=near.longitude + 1, latitude=near.latitude)

    plan = services.build_plan(day, seconds=0.3, now=at(day, 5))

    tips = set(Stop.objects.filter(route__plan=plan, kind=StopKind.DISPOSAL).values_list("label", flat=True))
    assert tips == {near.name} and plan.bins_planned > 0
