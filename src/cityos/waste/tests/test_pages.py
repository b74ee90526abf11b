"""Staff pages: bins, fleet, plans with their map, route sheets, crews' page, results."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cityos.core.accounts.models import Role
from cityos.waste import services
from cityos.waste.models import Bin, Comparison, ComparisonStatus, Plan, PlanJob, Stop, StopKind, Vehicle
from cityos.waste.tasks import build_requested_plan, simulate_comparison
from cityos.waste.tests.factories import BinFactory, published_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(db):
    return published_plan()


def test_pages_need_the_right_role(client, staff_client):
    assert client.get(reverse("waste:plans")).status_code == 302
    _, clerk = staff_client(Role.CASEWORKER)
    assert clerk.get(reverse("waste:plans")).status_code == 403
    _, crew = staff_client(Role.SERVICE_AGENT)
    assert crew.get(reverse("waste:plans")).status_code == 200
    assert crew.get(reverse("waste:bins")).status_code == 403  # bins are the planners'


def test_bins_page_lists_filters_and_exports(staff_client):
    BinFactory(ref="corner-1")
    BinFactory(ref="park-2", kind="glass")
    _, operator = staff_client(Role.OPERATOR)
    html = operator.get(reverse("waste:bins") + "?kind=glass").content.decode()
    assert "park-2" in html and "corner-1" not in html and "waste-bins-map" in html
    csv = operator.get(reverse("waste:bins") + "?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("ref,kind") and "corner-1" in csv
    geo = operator.get(reverse("waste:bins") + "?format=geojson").json()
    assert len(geo["features"]) == 2


def test_a_bin_form_refuses_a_bin_without_a_location(staff_client):
    _, operator = staff_client(Role.OPERATOR)
    response = operator.post(
        reverse("waste:bin-new"),
        {"ref": "x1", "kind": "general", "volume_litres": 240, "compaction_factor": 1, "service_minutes": 2},
    )
    assert response.status_code == 200 and "error-summary" in response.content.decode()
    assert not Bin.objects.exists()
    ok = operator.post(
        reverse("waste:bin-new"),
        {
            "ref": "x1",
            "kind": "general",
            "volume_litres": 240,
            "compaction_factor": 1,
            "service_minutes": 2,
            "longitude": 1,
            "latitude": 2,
            "is_active": "on",
        },
    )
    assert ok.status_code == 302 and Bin.objects.get().ref == "x1"


def test_planning_a_day_from_the_page_shows_the_plan_with_its_map_and_sheets(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    day = timezone.localdate().isoformat()
    asked = operator.post(reverse("waste:plans"), {"date": day, "seconds": 1})
    # The plan is built by a job: the page it opens polls the job until the plan is there.
    job = PlanJob.objects.get()
    assert asked.status_code == 302 and asked.url == reverse("waste:plan-job", args=[job.pk])
    again = operator.post(reverse("waste:plans"), {"date": day, "seconds": 1})  # a second click
    assert again.url == asked.url and PlanJob.objects.count() == 1
    waiting = operator.get(asked.url).content.decode()
    assert "waiting for a worker" in waiting and f'hx-get="{asked.url}" hx-trigger="every 2s"' in waiting
    assert "the plan for" in operator.get(reverse("waste:plans")).content.decode()  # listed as being built
    assert build_requested_plan.call(job.pk) == "done"  # what the worker runs
    polled = operator.get(asked.url, HTTP_HX_REQUEST="true")
    job.refresh_from_db()
    assert polled["HX-Redirect"] == reverse("waste:plan", args=[job.plan_id])
    response = operator.get(asked.url)
    assert response.status_code == 302 and response.url == polled["HX-Redirect"]
    html = operator.get(response.url).content.decode()
    assert "waste-plan-map" in html and "Route sheet (PDF)" in html
    assert "broke down: re-plan" not in html  # a draft beside the published plan: crews do not follow it
    route = plan.routes.first()
    pdf = operator.get(reverse("waste:route-sheet", args=[route.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    gpx = operator.get(reverse("waste:route-gpx", args=[route.pk]))
    assert b"<gpx" in gpx.content
    geo = operator.get(reverse("waste:plan-geojson", args=[plan.pk])).json()
    assert geo["features"]
    partial = operator.get(reverse("waste:plan", args=[plan.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "bins collected" in partial and "<h1" not in partial


def test_the_crew_marks_bins_collected_on_the_phone_page(staff_client, plan):
    _, crew = staff_client(Role.SERVICE_AGENT)
    route = plan.routes.first()
    stop = route.stops.filter(kind=StopKind.BIN).first()
    html = crew.get(reverse("waste:crew", args=[route.pk])).content.decode()
    assert f"stop-{stop.pk}" in html and "How full was it" in html
    bad = crew.post(reverse("waste:stop-collected", args=[stop.pk]), {"fill": "500"}, follow=True)
    assert not Stop.objects.get(pk=stop.pk).collected
    # Said at the stop, where the phone's screen is after the page comes back, naming bin and field.
    said = bad.content.decode().split(f'id="stop-{stop.pk}"')[1].split("</li>")[0]
    assert f'role="alert" id="stop-problem-{stop.pk}">Not saved for {stop.bin.ref}: How full was it (%)?' in said
    assert "150" in said
    assert "stop-problem" not in crew.get(reverse("waste:crew", args=[route.pk])).content.decode()  # said once
    crew.post(reverse("waste:stop-collected", args=[stop.pk]), {"fill": "88"})
    stop.refresh_from_db()
    assert stop.collected and stop.fill_at_pickup == 88
    assert "1 of" in crew.get(reverse("waste:crew", args=[route.pk])).content.decode()
    # Crews may not re-plan.
    assert crew.post(reverse("waste:route-breakdown", args=[route.pk])).status_code == 403


def test_the_crew_reports_a_bin_it_could_not_collect_on_the_phone_page(staff_client, plan):
    _, crew = staff_client(Role.SERVICE_AGENT)
    route = plan.routes.first()
    stop = route.stops.filter(kind=StopKind.BIN).select_related("bin").first()
    html = crew.get(reverse("waste:crew", args=[route.pk])).content.decode()
    assert f"Could not collect {stop.bin.ref}?" in html and "Access blocked (parked car, works)" in html
    unknown = crew.post(reverse("waste:stop-missed", args=[stop.pk]), {"reason": "aliens"}, follow=True)
    assert "Select a valid choice" in unknown.content.decode() and not Stop.objects.get(pk=stop.pk).missed_reason
    done = crew.post(
        reverse("waste:stop-missed", args=[stop.pk]), {"reason": "blocked", "note": "Van in the bay"}, follow=True
    )
    page = done.content.decode()
    assert f"Bin {stop.bin.ref} reported not collected." in page
    assert "Not collected at" in page and "Van in the bay" in page and "1 could not be collected" in page
    assert Stop.objects.get(pk=stop.pk).missed_reason == "blocked"
    # The supervisor's plan page counts it too.
    _, operator = staff_client(Role.OPERATOR)
    assert "1 could not be collected" in operator.get(reverse("waste:plan", args=[plan.pk])).content.decode()
    # In Spanish, for a crew that reads it.
    spanish = crew.get(reverse("waste:crew", args=[route.pk]), headers={"accept-language": "es"}).content.decode()
    assert "no se pudo recoger" in spanish


def test_the_crew_sees_what_residents_reported_at_a_bin_but_not_who_or_their_note(staff_client, plan):
    route = plan.routes.first()
    stop = route.stops.filter(kind=StopKind.BIN).select_related("bin").first()
    services.report_bin(stop.bin.ref, "full", note="Ask Mrs Lee at no. 4", phone="+12125550142")
    services.report_bin(stop.bin.ref, "full")
    services.report_bin(stop.bin.ref, "damaged", note="Lid hanging off")
    _, crew = staff_client(Role.SERVICE_AGENT)
    html = crew.get(reverse("waste:crew", args=[route.pk])).content.decode()
    item = html[html.index(f'id="stop-{stop.pk}"') :]
    item = item[: item.index("</li>")]
    assert "Reported: Full or overflowing (2 times) · Reported: Damaged (once)" in item
    # The phone's last digits, not "0142" alone: a bin's reference may be B-0142 in a long run.
    assert "Mrs Lee" not in html and "Lid hanging" not in html and "5550142" not in html
    assert html.count("Reported: ") == 2  # only at that bin


def test_a_supervisor_reports_a_breakdown_from_the_plan_page(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    route = plan.routes.first()
    page = operator.get(reverse("waste:plan", args=[plan.pk])).content.decode()
    # Behind a box that says what it does (and keeps open and focused while the table refreshes).
    assert f'<details id="route-{route.pk}-breakdown" hx-preserve="true">' in page
    assert "cannot be undone" in page and f"Re-plan without {route.vehicle.name}" in page
    response = operator.post(reverse("waste:route-breakdown", args=[route.pk]))
    replan = Plan.objects.exclude(pk=plan.pk).get()
    assert response.url == reverse("waste:plan", args=[replan.pk])
    again = operator.post(reverse("waste:route-breakdown", args=[route.pk]), follow=True)
    assert "already reported" in again.content.decode()
    old = operator.get(reverse("waste:plan", args=[plan.pk])).content.decode()
    assert f'crews now follow <a href="{reverse("waste:plan", args=[replan.pk])}">the current plan</a>' in old
    assert "-breakdown" not in old  # a replaced plan takes no breakdown
    _, crew = staff_client(Role.SERVICE_AGENT)
    assert "Ask your supervisor" in crew.get(reverse("waste:crew", args=[route.pk])).content.decode()


def test_results_page_starts_a_simulation_shows_its_progress_then_its_results(
    staff_client, plan, django_capture_on_commit_callbacks
):
    _, operator = staff_client(Role.OPERATOR)
    page = operator.get(reverse("waste:results")).content.decode()
    assert "No simulation yet" in page
    # The plan's days start as the city's shift days, Monday to Saturday.
    assert page.count('name="plan_days"') == 7 and page.count("checked") == 6
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(reverse("waste:results"), {"days": 7, "seed": 3, "plan_days": [0, 1, 2, 3, 4, 5]})
    assert response.status_code == 302
    requested = Comparison.objects.get()
    assert requested.status == ComparisonStatus.RUNNING
    assert DBTaskResult.objects.get().task_path == "cityos.waste.tasks.simulate_comparison"
    waiting = operator.get(reverse("waste:results")).content.decode()
    assert "The simulation has started" in waiting and "waiting for a worker" in waiting
    assert 'hx-get="/waste/results/progress/"' in waiting
    assert operator.get(reverse("waste:results-progress")).status_code == 200

    simulate_comparison.call(requested.pk)  # what the worker runs

    ended = operator.get(reverse("waste:results-progress"))
    assert ended["HX-Refresh"] == "true"
    html = operator.get(reverse("waste:results")).content.decode()
    assert "The simulation has finished" in html  # in the status area, after the reload
    assert "Fixed round" in html and "Sensor-driven plan" in html and "<svg" in html
    assert "Kilometres against the fixed round" in html and "at most 85% full" in html
    assert "results/progress" not in html
    done = Comparison.objects.get()
    assert done.status == ComparisonStatus.DONE and done.done_steps == done.steps == 14 + 2 * 7


def test_the_running_simulation_shows_how_far_it_has_got(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    services.request_comparison(days=7, seed=3, user=None)
    Comparison.objects.update(done_steps=9, steps=28)
    fragment = operator.get(reverse("waste:results-progress")).content.decode()
    assert "Simulating: 32% done" in fragment and '<progress id="simulation-bar" max="28" value="9">' in fragment
    again = operator.post(reverse("waste:results"), {"days": 7, "seed": 4, "plan_days": [0, 2, 4, 5]})
    assert again.status_code == 200 and "already running" in again.content.decode()
    assert Comparison.objects.count() == 1


def test_a_simulation_whose_worker_stopped_is_given_up_and_can_be_run_again(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    stuck = services.request_comparison(days=7, seed=3, user=None)
    Comparison.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    response = operator.post(reverse("waste:results"), {"days": 7, "seed": 4, "plan_days": [0, 2, 4, 5]})
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == (ComparisonStatus.FAILED, "abandoned")
    assert Comparison.objects.filter(status=ComparisonStatus.RUNNING).count() == 1
    Comparison.objects.filter(status=ComparisonStatus.RUNNING).delete()
    assert "had not reported for 10 minutes" in operator.get(reverse("waste:results")).content.decode()


def test_a_silent_simulation_is_given_up_when_the_page_polls_it(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    stuck = services.request_comparison(days=7, seed=3, user=None)
    Comparison.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    assert operator.get(reverse("waste:results-progress"))["HX-Refresh"] == "true"
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == (ComparisonStatus.FAILED, "abandoned")


def test_a_simulation_that_cannot_run_says_why(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    requested = services.request_comparison(days=7, seed=3, user=None)
    Vehicle.objects.update(is_active=False)  # the fleet went out of service meanwhile
    assert simulate_comparison.call(requested.pk) == "failed"
    html = operator.get(reverse("waste:results")).content.decode()
    assert "it needs bins with a location, a vehicle in service and a disposal site" in html


def test_a_signed_out_poll_sends_the_page_to_sign_in_and_back(client, plan):
    polled = client.get(
        reverse("waste:results-progress"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/waste/results/?tab=1",
    )
    assert polled.status_code == 200 and polled["HX-Redirect"].endswith("?next=/waste/results/%3Ftab%3D1")
    assert client.get(reverse("waste:results-progress")).status_code == 302  # not htmx: a plain redirect


def test_the_plan_can_be_simulated_on_fewer_days_than_the_round(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    none = operator.post(reverse("waste:results"), {"days": 7, "seed": 3})
    assert none.status_code == 200 and "Choose at least one weekday" in none.content.decode()
    assert not Comparison.objects.exists()
    response = operator.post(reverse("waste:results"), {"days": 7, "seed": 3, "plan_days": [0, 2, 4, 5]})
    assert response.status_code == 302
    comparison = services.complete_comparison(Comparison.objects.get().pk)
    assert comparison.results["plan_days"] == [0, 2, 4, 5] and comparison.plan_days == "0,2,4,5"
    html = operator.get(reverse("waste:results")).content.decode()
    assert "went out on Monday, Wednesday, Friday and Saturday; the fixed round's on Monday, Tuesday" in html


def test_fleet_pages(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    assert "Truck" in operator.get(reverse("waste:fleet")).content.decode()
    bad = operator.post(
        reverse("waste:vehicle-new"),
        {
            "name": "T9",
            "depot": plan.routes.first().vehicle.depot_id,
            "volume_litres": 1000,
            "weight_kg": 1000,
            "shift_start": "14:00",
            "shift_end": "06:00",
            "break_minutes": 30,
            "break_after_minutes": 240,
            "co2_kg_per_km": 1.2,
        },
    )
    assert bad.status_code == 200 and "error-summary" in bad.content.decode()


def test_fleet_forms_refuse_what_the_planner_could_not_use(staff_client, plan):
    from cityos.waste.models import Depot, DisposalSite

    _, operator = staff_client(Role.OPERATOR)
    sites = DisposalSite.objects.count()
    overnight = {"name": "Night tip", "longitude": 1, "latitude": 2, "unload_minutes": 15}
    refused = operator.post(reverse("waste:site-new"), {**overnight, "opens_at": "18:00", "closes_at": "06:00"})
    assert "The site must close after it opens" in refused.content.decode()
    nowhere = operator.post(reverse("waste:depot-new"), {"name": "Nowhere", "longitude": -500, "latitude": 999})
    said = nowhere.content.decode()
    assert "greater than or equal to -180" in said and "less than or equal to 90" in said
    vehicle = {
        "name": "T9",
        "depot": plan.routes.first().vehicle.depot_id,
        "volume_litres": 1000,
        "weight_kg": 1000,
        "shift_start": "06:00",
        "shift_end": "14:00",
        "break_minutes": 99_999,
        "break_after_minutes": 240,
        "co2_kg_per_km": -5,
    }
    negative = operator.post(reverse("waste:vehicle-new"), vehicle).content.decode()
    assert "greater than or equal to 0" in negative and "less than or equal to 240" in negative
    assert (DisposalSite.objects.count(), Depot.objects.filter(name="Nowhere").exists()) == (sites, False)
    assert not Vehicle.objects.filter(name="T9").exists()


def test_the_operations_centre_tile_shows_todays_progress_risks_and_reports(staff_client, plan):
    from cityos.waste.models import Bin

    first, second = list(plan.routes.first().stops.filter(kind=StopKind.BIN).select_related("route", "bin"))[:2]
    services.mark_collected(first, user=None)
    services.mark_missed(second, user=None, reason="blocked")
    Bin.objects.filter(pk=second.bin_id).update(overflow_risk=0.9)
    services.report_bin(second.bin.ref, "full")
    _, crew = staff_client(Role.SERVICE_AGENT)

    html = crew.get(reverse("waste:tile")).content.decode()

    total = plan.bins_planned
    assert f"<dd>1 / {total}</dd>" in html  # collected today
    assert html.count("<dd>1</dd>") == 3  # not collected, likely to overflow, open reports
    assert reverse("waste:plan", args=[plan.pk]) in html and "Bin reports" not in html  # reports are the planners'
    _, clerk = staff_client(Role.CASEWORKER)
    assert clerk.get(reverse("waste:tile")).status_code == 403
    # The tile is on the operations centre for crews and planners.
    assert 'hx-get="/waste/tile/"' in crew.get("/ops/").content.decode()


def test_the_tile_says_when_today_has_no_plan(staff_client, db):
    _, operator = staff_client(Role.OPERATOR)
    html = operator.get(reverse("waste:tile")).content.decode()
    assert "No plan for today." in html and "Bin reports" in html


def test_the_tile_counts_the_day_across_a_breakdown_re_plan(staff_client, plan):
    route = plan.routes.first()
    first, second = list(route.stops.filter(kind=StopKind.BIN).select_related("route", "bin"))[:2]
    services.mark_collected(first, user=None)
    services.mark_missed(second, user=None, reason="blocked")
    services.report_breakdown(route, user=None, seconds=0.3)
    _, crew = staff_client(Role.SERVICE_AGENT)

    html = crew.get(reverse("waste:tile")).content.decode()

    # Collected and not stay on the replaced plan: the tile still counts them, with what the
    # re-plan has left to do.
    replan = Plan.objects.get(status="published")
    left = replan.routes.filter(stops__kind=StopKind.BIN).count()
    assert f"<dd>1 / {2 + left}</dd>" in html
    could_not = html.split("Could not be collected</dt><dd>")[1]
    assert could_not.startswith("1</dd>")


def test_every_results_table_has_a_header_for_each_column(staff_client, plan):
    services.run_comparison(days=7, seconds=0.1)
    _, operator = staff_client(Role.OPERATOR)
    html = operator.get(reverse("waste:results")).content.decode()
    tables = re.findall(r"<table>.*?</table>", html, re.S)
    assert len(tables) >= 2
    for table in tables:
        headers = len(re.findall(r'<th scope="col"', table.split("</thead>")[0]))
        first_row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", table, re.S)
        assert first_row, table[:200]
        cells = len(re.findall(r"<t[hd][ >]", first_row.group(1)))
        assert cells == headers, table[:300]


def test_what_the_crews_did_counts_each_day_once_with_the_bins_collected_and_not(plan):
    from cityos.waste import selectors

    today = plan.date
    services.build_plan(today, seconds=0.3)  # a later draft of the same day
    services.build_plan(today + timedelta(days=1), seconds=0.3)  # tomorrow's: nothing done yet
    first, second, *_ = list(Stop.objects.filter(route__plan=plan, kind=StopKind.BIN).select_related("route", "bin"))
    services.mark_collected(first, user=None, fill=90)
    services.mark_missed(second, user=None, reason="blocked")

    (row,) = selectors.actual_results()

    assert row["plan"] == plan and row["date"] == today
    assert (row["collected"], row["missed"], row["fill"]) == (1, 1, 90.0)
    assert row["planned"] == plan.bins_planned and row["km"] == round(plan.distance_m / 1000, 1)


def test_after_a_breakdown_the_day_counts_what_the_vehicles_drove_before_it(staff_client, plan):
    from cityos.waste import conf, selectors
    from cityos.waste.routing import haversine_m

    route = max(plan.routes.all(), key=lambda r: r.stops.filter(kind=StopKind.BIN).count())
    start, *stops = list(route.stops.order_by("sequence").select_related("route", "bin"))
    skipped, emptied = [s for s in stops if s.kind == StopKind.BIN][:2]
    services.mark_collected(emptied, user=None)  # the crew passed the first bin by

    replan = services.report_breakdown(route, user=None, seconds=0.3)

    # From where it set out straight to the bin it emptied: the bin it passed is not counted.
    legs = [start] + [s for s in stops if s.kind != StopKind.BIN and s.sequence < emptied.sequence] + [emptied]
    points = [(s.longitude, s.latitude) for s in legs]
    driven = sum(haversine_m(points[i : i + 2])[0][1] * conf.circuity() for i in range(len(points) - 1))
    assert skipped.sequence < emptied.sequence
    assert selectors.plan_totals(replan)["driven_before_km"] == pytest.approx(driven / 1000, abs=0.005)
    (row,) = selectors.actual_results()
    assert row["km"] == round((driven + replan.distance_m) / 1000, 1)
    _, operator = staff_client(Role.OPERATOR)
    html = operator.get(reverse("waste:plan", args=[replan.pk])).content.decode()
    assert f"before that, the vehicles had driven {driven / 1000:.1f} km that day" in html


def test_a_plan_that_cannot_be_built_says_why_and_stops_polling(staff_client, plan):
    from cityos.waste.models import DisposalSite

    _, operator = staff_client(Role.OPERATOR)
    day = timezone.localdate().isoformat()
    operator.post(reverse("waste:plans"), {"date": day, "seconds": 1}, HTTP_ACCEPT_LANGUAGE="es")
    job = PlanJob.objects.get()
    assert job.language == "es"
    DisposalSite.objects.all().delete()  # gone before a worker took the job up
    assert build_requested_plan.call(job.pk) == "failed"

    polled = operator.get(reverse("waste:plan-job", args=[job.pk]), HTTP_HX_REQUEST="true")

    assert polled.status_code == 286  # htmx stops polling
    html = polled.content.decode()
    assert 'role="alert"' in html and reverse("waste:plans") in html
    assert "Añade una planta de tratamiento antes de planificar." in html  # in the planner's language


def test_a_route_sheet_prints_chinese_and_any_vehicle_name(staff_client, plan, caplog):
    from cityos.core.web import pdf

    if pdf.first_font(pdf.CJK_FONTS) is None or pdf.first_font(pdf.LATIN_FONTS) is None:
        pytest.skip("needs a Latin and a CJK font (apt-get install fonts-dejavu-core fonts-wqy-microhei)")
    route = plan.routes.select_related("vehicle").first()
    Vehicle.objects.filter(pk=route.vehicle_id).update(name='Camión "3" 垃圾車')
    _, crew = staff_client(Role.SERVICE_AGENT)

    with caplog.at_level("WARNING", logger="fpdf"):
        sheet = crew.get(reverse("waste:route-sheet", args=[route.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant")

    assert sheet.content.startswith(b"%PDF")
    assert sheet.content.count(b"/FontFile2") == len(pdf.text_fonts())  # each script's font, CJK among them
    assert not [r for r in caplog.records if "missing" in r.getMessage()]  # no glyph left blank
    assert sheet["Content-Disposition"].startswith("inline; filename*=utf-8''route-")
    assert "%E5%9E%83%E5%9C%BE%E8%BB%8A.pdf" in sheet["Content-Disposition"]  # 垃圾車, quoted


def test_a_crew_sees_the_plans_but_not_the_planners_tools(staff_client, plan):
    _, crew = staff_client(Role.SERVICE_AGENT)
    html = crew.get(reverse("waste:plans")).content.decode()
    assert reverse("waste:plan", args=[plan.pk]) in html
    assert "Plan a day" not in html and reverse("waste:fleet") not in html and reverse("waste:results") not in html
    _, operator = staff_client(Role.OPERATOR)
    planner = operator.get(reverse("waste:plans")).content.decode()
    assert "Plan a day" in planner and reverse("waste:fleet") in planner


def test_a_plan_on_a_day_the_fleet_does_not_work_says_so(staff_client, plan):
    _, operator = staff_client(Role.OPERATOR)
    sunday = plan.date + timedelta(days=(6 - plan.date.weekday()) or 7)
    extra = services.build_plan(sunday, seconds=0.3)
    html = operator.get(reverse("waste:plan", args=[extra.pk])).content.decode()
    assert "Sunday is not one of the fleet's shift days" in html
    if plan.date.weekday() != 6:  # today's plan, on a shift day
        assert "shift days" not in operator.get(reverse("waste:plan", args=[plan.pk])).content.decode()
