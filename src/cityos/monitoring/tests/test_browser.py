"""The public pages on a phone and the housing staff's flow, with axe and the keyboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.web.tests.conftest import assert_accessible
from cityos.monitoring import services
from cityos.monitoring.models import WorkOrder
from cityos.monitoring.tests.factories import district, hourly, middle_of_last_hour, observe, thing

pytestmark = pytest.mark.browser


@pytest.fixture
def city(transactional_db):
    now = timezone.now().replace(microsecond=0)
    district("harbour", "Harbour")
    for i, occupied in enumerate([False, True]):
        bay = thing(f"Bay {i}", "parking-bay", ["occupied"], car_park="Quay", car_park_id="quay", lon=174.78 + i / 1000)
        observe(bay, "occupied", [(now - timedelta(minutes=1), occupied)])
    water = thing("W1", "water-quality", ["pH", "turbidity", "chlorine", "conductivity"], district="harbour")
    for prop, value in {"pH": 7.1, "turbidity": 1.5, "chlorine": 0.4, "conductivity": 350.0}.items():
        observe(water, prop, [(now - timedelta(minutes=5), value)])
    air = thing("A1", "air-quality", ["pm25", "pm10", "no2", "o3"], district="harbour", lon=174.8)
    observe(air, "pm25", hourly(now.replace(minute=0, second=0, microsecond=0), 24, 12.0))
    trap = thing("T1", "predator-trap", ["trap-event"], trap_line="ridge", lat=-41.3)
    observe(trap, "trap-event", [(now - timedelta(days=1), 1)], parameters={"species": "rat"})
    home = thing("Home 1", "home-climate", ["temperature", "relative-humidity"], home_ref="H-1",
                 address="1 Quay Street", tenure="council", district="harbour")  # fmt: skip
    end = middle_of_last_hour(now)
    observe(home, "temperature", hourly(end, 168, 15.0))
    observe(home, "relative-humidity", hourly(end, 168, 90.0))
    services.run_damp_check(now)


@pytest.mark.parametrize(
    ("url", "map_id", "markers"),
    [
        ("/monitoring/parking/", "parking-map", 1),
        ("/monitoring/air/", "air-map", 1),
        ("/monitoring/traps/", "traps-map", 1),
    ],
)
def test_public_pages_on_a_phone_pass_axe_and_draw_their_maps(page, city, url, map_id, markers):
    page.goto(url)
    page.wait_for_selector(f"#{map_id}[data-loaded]", state="attached")
    assert page.locator(f"#{map_id} path.leaflet-interactive").count() == markers
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert_accessible(page, url)


def test_water_pages_pass_axe(page, city):
    page.goto("/monitoring/water/")
    assert "Check advisory" in page.locator("main").inner_text()
    assert_accessible(page, "water quality")
    page.get_by_role("link", name="What the values mean").press("Enter")
    page.wait_for_url("**/what-it-means/")
    assert_accessible(page, "what the water values mean")


def test_a_caseworker_ranks_homes_and_schedules_a_visit_by_keyboard(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.CASEWORKER]))
    page.goto("/monitoring/staff/homes/")
    assert_accessible(page, "damp and mould risk")
    page.get_by_role("link", name="Open H-1").press("Enter")
    page.wait_for_url("**/work-orders/**")
    page.get_by_role("link", name="H-1").press("Enter")
    page.wait_for_url("**/work-orders/*/")
    assert_accessible(page, "work order")
    page.get_by_label("Status").select_option("scheduled")
    page.get_by_role("button", name="Save").press("Enter")
    page.wait_for_selector(".error-summary")
    assert "Give the date of the visit." in page.locator(".error-summary").inner_text()
    assert_accessible(page, "work order with errors")
    page.get_by_label("Visit date").fill((timezone.localdate() + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Save").press("Enter")
    page.wait_for_selector("[role=status]")
    assert WorkOrder.objects.get().status == "scheduled"
