"""The waste pages in a browser: plans with their map, the crew's page by keyboard, the results
with the 30-day comparison, bins; axe finds no WCAG 2.2 A/AA violation on any of them."""

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.web.tests.conftest import assert_accessible
from cityos.waste import services
from cityos.waste.models import Bin, Plan, Stop, StopKind
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


def test_a_crew_marks_a_bin_collected_by_keyboard(page, city, sign_in_browser):
    stop = (
        Stop.objects.filter(route__plan=city, kind=StopKind.BIN)
        .select_related("bin")
        .order_by("route", "sequence")
        .first()
    )
    assert stop is not None and stop.bin is not None
    sign_in_browser(page, StaffFactory(roles=[Role.SERVICE_AGENT]))
    page.goto(f"/waste/crew/{stop.route_id}/")
    assert_accessible(page, "crew's route")
    page.locator(f"#fill-{stop.pk}").fill("90")
    page.get_by_role("button", name=f"Collected {stop.bin.ref}").press("Enter")
    page.wait_for_url(f"**/waste/crew/{stop.route_id}/**")
    assert f"Bin {stop.bin.ref} marked collected." in page.locator("body").inner_text()
    assert_accessible(page, "crew's route after a collection")
    stop.refresh_from_db()
    assert stop.collected and stop.fill_at_pickup == 90
    assert Plan.objects.count() == 1
