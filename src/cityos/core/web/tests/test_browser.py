"""The front doors in a real browser: residents and staff sign in, switch language, read the
places map and the operations centre, by keyboard too, and axe finds no WCAG 2.2 AA violation."""

from __future__ import annotations

import random
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory, StaffFactory
from cityos.core.geo import demo as geo_demo
from cityos.core.geo.models import District
from cityos.core.registry import DemoContext
from cityos.core.web.tests.conftest import assert_accessible

pytestmark = pytest.mark.browser

# map.js draws districts outlined in the brand's dark blue; every other vector is a place marker.
DISTRICT_PATHS = 'path.leaflet-interactive[stroke="#073f78"]'
VECTORS = "path.leaflet-interactive"


def build_demo_geography() -> None:
    geo_demo.build(DemoContext(rng=random.Random(7), say=lambda _line: None))


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_resident_signs_up_then_signs_in(page):
    page.goto("/")
    assert_accessible(page, "home page")

    page.get_by_role("link", name="Create an account").first.click()
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # Neither email nor phone given: the errors are announced, tied to their fields, and pass axe too.
    summary = page.get_by_role("alert")
    assert "Give an email address or a phone number" in summary.inner_text()
    email = page.get_by_label("Email")
    assert email.get_attribute("aria-invalid") == "true"
    assert "id_email_error" in (email.get_attribute("aria-describedby") or "")
    assert_accessible(page, "sign-up page with errors")

    page.get_by_label("First name").fill("Mei")
    page.get_by_label("Email").fill("mei@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/me/")
    assert page.get_by_role("heading", level=1).inner_text() == "My account"
    assert_accessible(page, "my account page")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.click()
    assert_accessible(page, "sign-in page")
    page.get_by_label("Email, phone number or staff username").fill("mei@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_text("Signed in as Mei").is_visible()


def test_a_resident_changes_their_phone_number_by_keyboard(page, sign_in_browser):
    from cityos.core.notifications.models import Message

    resident = ResidentFactory(first_name="Mei", phone="+14155552671")
    sign_in_browser(page, resident)
    page.goto("/me/")
    page.get_by_role("link", name="Change your details").click()
    page.wait_for_url("**/me/edit/")
    assert_accessible(page, "change your details page")

    # No password: the error is announced, tied to its field, and passes axe too.
    page.get_by_label("Phone number").fill("(212) 555-0142")
    page.get_by_label("Phone number").press("Enter")
    password = page.get_by_label("Current password")
    password.and_(page.locator("[aria-invalid=true]")).wait_for()
    assert "id_current_password_error" in (password.get_attribute("aria-describedby") or "")
    assert "Enter your current password" in page.get_by_role("alert").inner_text()
    assert_accessible(page, "change your details page with errors")

    password.fill(TEST_PASSWORD)
    password.press("Enter")
    page.wait_for_url("**/me/phone/")
    assert_accessible(page, "confirm your new phone number page")
    code = re.search(r"\b\d{6}\b", Message.objects.get(address="+12125550142").body)
    assert code
    page.get_by_label("Code from the text message").fill(code.group())
    page.get_by_label("Code from the text message").press("Enter")
    page.wait_for_url("**/me/")
    assert "+12125550142" in page.get_by_role("status").inner_text()
    resident.refresh_from_db()
    assert resident.phone == "+12125550142"


def test_staff_sign_in_with_a_totp_code(page):
    staff = StaffFactory(username="operator-1", roles=[Role.OPERATOR])
    page.goto("/accounts/sign-in/?next=/ops/")
    page.get_by_label("Email, phone number or staff username").fill("operator-1")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/verify/**")
    assert_accessible(page, "second-step page")

    page.get_by_label("6-digit code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_label("6-digit code from your authenticator app").get_attribute("aria-invalid") == "true"

    device = TOTPDevice.objects.get(user=staff)
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    page.get_by_label("6-digit code from your authenticator app").fill(current_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/ops/")
    assert page.get_by_role("heading", level=1).inner_text() == "Operations centre"


def test_switching_language_changes_the_page_and_is_remembered(page, sign_in_browser):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"

    page.get_by_label("Language").select_option("zh-hant")
    page.get_by_role("button", name="Change language").click()
    page.wait_for_function("document.documentElement.lang === 'zh-hant'")
    assert "歡迎" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page, "home page in Traditional Chinese")

    page.get_by_label("語言").select_option("es")
    page.get_by_role("button", name="變更語言").click()
    page.wait_for_function("document.documentElement.lang === 'es'")
    assert "bienvenida" in page.get_by_role("heading", level=1).inner_text()
    page.goto("/accounts/sign-in/")
    assert page.get_by_role("heading", level=1).inner_text() == "Iniciar sesión"

    # A signed-in resident's choice is saved on the account, so messages follow it.
    resident = ResidentFactory(language="en")
    sign_in_browser(page, resident)
    page.goto("/me/")
    page.get_by_label("Idioma").select_option("zh-hant")
    page.get_by_role("button", name="Cambiar idioma").click()
    page.wait_for_function("document.documentElement.lang === 'zh-hant'")
    resident.refresh_from_db()
    assert resident.language == "zh-hant"


def test_the_public_places_map_draws_districts_and_places_without_a_tile_server(page):
    build_demo_geography()
    districts = District.objects.count()

    page.goto("/places/")
    page.wait_for_selector("#places-map[data-loaded]", state="attached")
    # Every place, on however many pages the API gives them.
    places = page.evaluate("fetch('/api/v1/geo/places').then(r => r.json()).then(data => data.numberMatched)")
    assert districts == 8 and places > 0
    assert page.locator(f"#places-map {DISTRICT_PATHS}").count() == districts
    assert page.locator(f"#places-map {VECTORS}").count() == districts + places
    assert page.locator("#places-map img.leaflet-tile").count() == 0
    assert_accessible(page, "places map")

    # Keyboard: the map takes focus, and Tab leads out of it again (no keyboard trap).
    page.locator("#places-map").focus()
    for _press in range(6):
        page.keyboard.press("Tab")
        if not page.evaluate("document.getElementById('places-map').contains(document.activeElement)"):
            break
    else:
        pytest.fail("Tab did not leave the map")


def test_the_operations_centre_shows_the_map_and_live_tiles(page, sign_in_browser):
    build_demo_geography()
    sign_in_browser(page, StaffFactory(roles=[Role.OPERATOR]))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/ops/")
    page.wait_for_selector("#ops-map[data-loaded]", state="attached")
    assert page.locator(f"#ops-map {DISTRICT_PATHS}").count() == District.objects.count()
    # Every tile's HTMX partial has replaced its placeholder.
    page.wait_for_function("!document.querySelector('.tile .tile-body .muted:only-child')")
    assert page.locator(".tile").count() >= 1
    assert page.locator('[data-tile="jobs"] dl').is_visible()
    # Wide screen: the map and the tiles sit side by side.
    map_box = page.locator(".ops-map").bounding_box()
    tiles_box = page.locator(".ops-tiles").bounding_box()
    assert tiles_box["x"] > map_box["x"] + map_box["width"] - 1
    assert_accessible(page, "operations centre")


def test_keyboard_reaches_the_skip_link_first_then_the_sign_in_fields_in_order(page):
    page.goto("/accounts/sign-in/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    order = []
    for _press in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.type"))
    assert order == ["id_username", "id_password", "submit"]


def test_staff_pages_pass_axe_on_a_phone(page, sign_in_browser):
    admin = StaffFactory(roles=[Role.ADMINISTRATOR])
    ResidentFactory.create_batch(3)
    sign_in_browser(page, admin)
    page.goto("/audit/")
    assert page.locator("#audit-search tbody tr").count() >= 1
    assert_accessible(page, "audit log")
    page.get_by_label("From").fill("2030-01-02")
    page.get_by_label("To").fill("2030-01-01")
    page.get_by_role("button", name="Filter").click()
    to_field = page.get_by_label("To")
    to_field.and_(page.locator("[aria-invalid=true]")).wait_for()
    assert "id_until_error" in (to_field.get_attribute("aria-describedby") or "")
    assert_accessible(page, "audit log with a filter error")

    page.goto("/accounts/people/?q=")
    assert_accessible(page, "residents directory")

    # A new staff member enrols an authenticator before the second step.
    newcomer = StaffFactory(roles=[Role.OPERATOR])
    TOTPDevice.objects.filter(user=newcomer).delete()
    page.context.clear_cookies()
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email, phone number or staff username").fill(newcomer.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/totp/setup/**")
    assert page.locator(".qr svg").is_visible()
    assert_accessible(page, "authenticator set-up page")


def test_a_table_wider_than_the_phone_scrolls_in_its_own_box_reachable_by_keyboard(page, sign_in_browser):
    from cityos.core.notifications.models import Message

    Message.objects.create(address="+12125550142", channel="sms", template_key="waste_report_collected", body="Hi")
    sign_in_browser(page, StaffFactory(roles=[Role.ADMINISTRATOR]))
    page.goto("/messages/")
    box = page.locator(".table-wrap").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # nine columns on 390 px
    assert (box.get_attribute("role"), box.get_attribute("tabindex")) == ("region", "0")
    assert box.get_attribute("aria-label")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself does not
    assert_accessible(page, "messages on a phone")
    page.set_viewport_size({"width": 1600, "height": 900})
    box.and_(page.locator(":not([role])")).wait_for()  # fits again: no longer a stop on the way
