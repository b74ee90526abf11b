"""The waste pages in a browser: plans with their map, the crew's page by keyboard (with a photo
of a bin it could not collect), the results with the 30-day comparison, bins, and a resident's
report on a phone by keyboard; axe finds no WCAG 2.2 A/AA violation on any of them."""

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.web.tests.conftest import assert_accessible
from cityos.waste import services
from cityos.waste.models import Bin, BinReport, Comparison, ComparisonStatus, Plan, PlanJob, Stop, StopKind
from cityos.waste.tasks import build_requested_plan, simulate_comparison
from cityos.waste.tests.factories import published_plan

pytestmark = pytest.mark.browser


@pytest.fixture
def city(transactional_db):
    plan = published_plan()
    services.run_comparison(days=3, seed=2, seconds=0.05)
    return plan


def test_a_planner_opens_the_plan_its_map_and_the_results(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.goto("/waste/")
    assert_accessible(page, "plans")
    page.get_by_role("link", name=f"#{city.pk}").press("Enter")
    page.wait_for_url(f"**/waste/plans/{city.pk}/")
    page.wait_for_selector("#waste-plan-map[data-loaded]", state="attached")
    assert page.locator("#waste-plan-map path.leaflet-interactive").count() >= 1
    assert " km in all" in page.locator("main").inner_text()
    assert_accessible(page, "plan with its map")
    page.goto("/waste/results/")
    text = page.locator("main").inner_text()
    assert "Fixed round" in text and "Sensor-driven plan" in text and "Kilometres against the fixed round" in text
    assert_accessible(page, "results and the comparison")


def test_a_planner_runs_a_simulation_and_watches_it_finish(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.goto("/waste/results/")
    page.get_by_label("Days to simulate").fill("7")
    page.get_by_label("Tuesday").uncheck()
    page.get_by_label("Thursday").uncheck()
    page.get_by_role("button", name="Run the simulation").press("Enter")
    page.wait_for_selector("#simulation-progress")
    assert "waiting for a worker" in page.locator("main").inner_text()
    assert_accessible(page, "results with a simulation in progress")
    simulate_comparison.call(Comparison.objects.get(status=ComparisonStatus.RUNNING).pk)  # the worker
    page.wait_for_selector("#simulation-progress", state="detached", timeout=20_000)  # polled, then reloaded
    text = page.locator("main").inner_text()
    assert "went out on Monday, Wednesday, Friday and Saturday" in text


def test_bins_pages_pass_axe(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.goto("/waste/bins/")
    page.wait_for_selector("#waste-bins-map[data-loaded]", state="attached")
    assert_accessible(page, "bins")
    target = Bin.objects.first()
    assert target is not None
    page.get_by_role("link", name=target.ref).first.press("Enter")
    page.wait_for_url(f"**/waste/bins/{target.pk}/")
    assert_accessible(page, "a bin")


@pytest.fixture
def crew_page(page, city, sign_in_browser):
    """A crew member on the phone page of the route holding the plan's first bin; that stop."""
    stop = (
        Stop.objects.filter(route__plan=city, kind=StopKind.BIN)
        .select_related("bin")
        .order_by("route", "sequence")
        .first()
    )
    assert stop is not None and stop.bin is not None
    sign_in_browser(page, StaffFactory(roles=[Role.SERVICE_AGENT]))
    page.goto(f"/waste/crew/{stop.route_id}/")
    return stop


def test_a_crew_marks_a_bin_collected_by_keyboard(page, crew_page):
    stop = crew_page
    assert_accessible(page, "crew's route")
    page.locator(f"#fill-{stop.pk}").fill("90")
    page.get_by_role("button", name=f"Collected {stop.bin.ref}").press("Enter")
    page.wait_for_url(f"**/waste/crew/{stop.route_id}/**")
    assert f"Bin {stop.bin.ref} marked collected." in page.locator("body").inner_text()
    assert_accessible(page, "crew's route after a collection")
    stop.refresh_from_db()
    assert stop.collected and stop.fill_at_pickup == 90
    assert Plan.objects.count() == 1


def test_a_crew_reports_a_blocked_bin_with_a_photo_by_keyboard(page, crew_page, sign_in_browser, private_media):
    from cityos.waste.tests.test_photos import camera_jpeg

    stop = crew_page
    summary = page.get_by_text(f"Could not collect {stop.bin.ref}?")
    summary.focus()
    page.keyboard.press("Enter")  # a <summary> opens by keyboard
    assert_accessible(page, "crew's route with the not-collected form open")
    page.locator(f"#reason-{stop.pk}").select_option("blocked")
    photo = page.locator(f"#photo-{stop.pk}")
    assert photo.get_attribute("capture") == "environment"  # a phone opens its rear camera
    photo.set_input_files(files=[{"name": "car.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg(800, 600)}])
    page.get_by_role("button", name=f"Report {stop.bin.ref} not collected").press("Enter")
    page.wait_for_url(f"**/waste/crew/{stop.route_id}/**")
    assert f"Bin {stop.bin.ref} reported not collected." in page.locator("body").inner_text()
    assert "Photo attached" in page.locator(f"#stop-{stop.pk}").inner_text()
    assert_accessible(page, "crew's route after a bin could not be collected")
    stop.refresh_from_db()
    assert stop.missed_reason == "blocked" and not stop.collected and stop.missed_photo
    # The supervisor opens the photo from the plan page.
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.goto(f"/waste/plans/{stop.route.plan_id}/")
    assert_accessible(page, "plan with a bin not collected and its photo")
    page.get_by_role("link", name=f"Photo of what the crew saw at {stop.bin.ref}").press("Enter")
    page.wait_for_url(f"**/waste/stops/{stop.pk}/photo.jpg")
    assert page.evaluate("document.images[0].naturalWidth") == 800


@pytest.fixture
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def test_a_resident_reports_a_full_bin_on_a_phone_by_keyboard(page, transactional_db, private_media):
    from cityos.waste.tests.factories import BinFactory
    from cityos.waste.tests.test_photos import camera_jpeg

    BinFactory(ref="B-0012", address="Corner of Main St")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/waste/bins/B-0012/report/")  # the QR sticker's target: the reference is filled in
    assert page.get_by_label("Bin reference").input_value() == "B-0012"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert_accessible(page, "report form")
    page.get_by_label("Bin reference").fill("B-77")
    page.get_by_label("Bin reference").press("Tab")
    page.keyboard.press("Space")  # Tab reaches the first choice of the group; Space picks it
    assert page.get_by_label("Full or overflowing").is_checked()
    page.get_by_role("button", name="Send the report").press("Enter")
    page.wait_for_selector(".error-summary")
    assert "We do not know the bin “B-77”" in page.locator("#id_bin_error").inner_text()
    assert page.get_by_label("Bin reference").get_attribute("aria-invalid") == "true"
    assert_accessible(page, "report form with an error")
    page.get_by_role("link", name="Bin reference: We do not know the bin “B-77”.", exact=False).press("Enter")
    page.keyboard.press("Control+A")
    page.keyboard.type("B-0012")
    page.get_by_label("Anything else we should know?").fill("Bags on the pavement")
    page.get_by_label("Photo").set_input_files(
        files=[{"name": "bin.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}]
    )
    page.get_by_role("button", name="Send the report").press("Enter")
    page.wait_for_selector("[role=status]")
    report = BinReport.objects.get()
    assert f"Your report number is {report.pk}." in page.locator("main").inner_text()
    assert report.problem == "full" and report.note == "Bags on the pavement" and report.photo
    assert_accessible(page, "report confirmation")


def test_a_planner_resolves_a_report_by_keyboard(page, transactional_db, sign_in_browser, private_media):
    import io

    from cityos.waste import photos
    from cityos.waste.tests.factories import BinFactory
    from cityos.waste.tests.test_photos import camera_jpeg

    BinFactory(ref="B-0012")
    picture = photos.prepare(io.BytesIO(camera_jpeg(800, 600)))
    report = services.report_bin("B-0012", "full", channel="sms", phone="+12125550142", photo=picture).report
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.goto("/waste/reports/")
    assert "+1•••••0142" in page.locator("main").inner_text()
    assert_accessible(page, "bin reports")
    page.get_by_role("link", name=f"Photo of report {report.pk}").press("Enter")
    page.wait_for_url(f"**/waste/reports/{report.pk}/photo.jpg")
    assert page.evaluate("document.images[0].naturalWidth") == 800
    page.go_back()
    page.get_by_role("button", name=f"Dismiss report {report.pk}").press("Enter")
    page.wait_for_selector("[role=status], .messages")
    report.refresh_from_db()
    assert report.resolution == "dismissed"
    assert_accessible(page, "bin reports after a dismissal")


def test_a_planner_watches_the_plan_being_built_and_it_opens_when_ready(page, transactional_db, sign_in_browser):
    import re

    from playwright.sync_api import expect

    published_plan()
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.goto("/waste/")
    page.get_by_label("Solver time, at most (seconds)").fill("1")
    page.get_by_role("button", name="Plan", exact=True).press("Enter")
    page.wait_for_url("**/waste/plans/jobs/*/")
    expect(page.locator("#plan-job")).to_contain_text("waiting for a worker")
    assert_accessible(page, "a plan waiting to be built")
    build_requested_plan.call(PlanJob.objects.get().pk)  # the worker

    page.wait_for_url(re.compile(r"/waste/plans/\d+/$"), timeout=20_000)  # polled, then sent on
    expect(page.get_by_text("The plan is ready.")).to_be_visible()
    assert Plan.objects.count() == 2


def test_the_plan_page_keeps_keyboard_focus_and_an_open_breakdown_box_when_it_refreshes(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    url = f"/waste/plans/{city.pk}/"
    page.goto(url)
    route = city.routes.first()
    page.locator(f"#route-{route.pk}-breakdown summary").press("Enter")  # opened by keyboard
    page.focus(f"#route-{route.pk}-sheet")

    # What the 30-second poll does, at once.
    page.evaluate("url => htmx.ajax('GET', url, {target: '#plan-progress', swap: 'innerHTML'})", url)

    assert page.evaluate("document.activeElement.id") == f"route-{route.pk}-sheet"
    assert page.evaluate(f"document.getElementById('route-{route.pk}-breakdown').open")
    assert_accessible(page, "plan with its breakdown box open")


def test_a_resident_types_the_reference_as_they_can_and_the_problem_group_points_only_at_what_is_there(
    page, transactional_db
):
    from cityos.waste.tests.factories import BinFactory
    from cityos.waste.tests.test_references import full_width

    BinFactory(ref="BIN-0012")
    BinFactory(ref="BIN-S012")
    page.goto("/waste/report/")
    problem = page.get_by_role("group", name="What is wrong?")
    assert problem.get_attribute("aria-describedby") is None  # no help and no error: nothing to point at
    page.get_by_label("Bin reference").fill("0012")
    page.get_by_role("button", name="Send the report").press("Enter")
    page.wait_for_selector(".error-summary")
    assert "matches more than one bin, such as BIN-0012 and BIN-S012" in page.locator("#id_bin_error").inner_text()
    assert problem.get_attribute("aria-describedby") == "id_problem_error"
    assert_accessible(page, "report form with a reference that could be two bins")
    page.get_by_label("Bin reference").fill(full_width("BIN 0012"))  # typed with a CJK input method
    page.get_by_label("Full or overflowing").check()
    page.get_by_role("button", name="Send the report").press("Enter")
    page.wait_for_selector("[role=status]")
    assert BinReport.objects.get().bin.ref == "BIN-0012"
