"""The places pages in a real browser: filters by keyboard, the list and a place's page pass axe."""

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.geo.models import PlaceKind
from cityos.core.geo.tests.factories import DistrictFactory, PlaceFactory
from cityos.core.geo.tests.geojson import square
from cityos.core.web.tests.conftest import assert_accessible

pytestmark = pytest.mark.browser
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def city(transactional_db):
    west = DistrictFactory(code="west", name="West", geometry=square(0, 0))
    PlaceFactory(name="Harbour Clinic", kind=PlaceKind.CLINIC, district=west, opening_hours=ALWAYS)
    PlaceFactory(name="Square Wi-Fi", kind=PlaceKind.WIFI_HOTSPOT, district=west, lat=0.004, lon=0.006)


def test_filtering_by_keyboard_narrows_the_list_and_the_map(page, city):
    page.goto("/places/")
    page.wait_for_selector("#places-map[data-loaded]", state="attached")
    assert page.locator("#places-map path.leaflet-interactive").count() == 3  # one district, two places
    assert_accessible(page, "places page")
    page.get_by_text("Filters").first.click()
    page.get_by_label("Free Wi-Fi hotspot").check()
    page.get_by_role("button", name="Show places").press("Enter")
    page.wait_for_url("**/places/?kind=wifi_hotspot**")
    page.wait_for_selector("#places-map[data-loaded]", state="attached")
    assert page.locator(".place-list h3").all_inner_texts() == ["Square Wi-Fi"]
    assert page.locator("#places-map path.leaflet-interactive").count() == 2
    assert_accessible(page, "filtered places page")


def test_the_map_follows_the_apis_next_links_to_draw_every_place(page, city, settings):
    settings.NINJA_PAGINATION_MAX_LIMIT = 1  # the page asks for pages of one place
    page.goto("/places/")
    page.wait_for_selector("#places-map[data-loaded]", state="attached")
    assert "limit=1" in page.locator("#places-map").get_attribute("data-places-url")
    assert page.locator("#places-map path.leaflet-interactive").count() == 3  # one district, both places


def test_the_maps_credit_to_leaflet_is_titled_in_the_page_language(page, city, live_server, settings):
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "es", "url": live_server.url}])
    page.goto("/places/")
    page.wait_for_selector("#places-map[data-loaded]", state="attached")
    credit = page.locator("#places-map .leaflet-control-attribution a[href='https://leafletjs.com']")
    assert credit.inner_text() == "Leaflet"
    assert credit.get_attribute("title") == "Una biblioteca de JavaScript para mapas interactivos"


def test_a_place_page_passes_axe(page, city):
    page.goto("/places/")
    page.get_by_role("link", name="Harbour Clinic").click()
    page.wait_for_selector("#place-map[data-loaded]", state="attached")
    assert page.get_by_role("heading", level=1).inner_text() == "Harbour Clinic"
    assert_accessible(page, "place page")


def test_the_staff_list_passes_axe(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.goto("/places/manage/")
    assert "Harbour Clinic" in page.locator("table").inner_text()
    assert_accessible(page, "staff places list")
