"""In Chromium: open a poster's URL (no scanning), check in, and after a health officer sends the
alert, the person who was there gets it in their language; one who was there earlier gets nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cityos.checkin import services
from cityos.checkin.demo import install_templates
from cityos.checkin.models import CheckIn
from cityos.checkin.tests.factories import VenueFactory
from cityos.core.accounts.models import Language, Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.notifications.models import Message
from cityos.core.web.tests.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_check_in_from_the_poster_url_then_receive_the_exposure_alert(page, sign_in_browser, transactional_db):
    install_templates()
    venue = VenueFactory(name="Lotus Tea House", contact_email="owner@tea.example.org")
    poster_path = "/checkin/v/" + services.venue_code(venue) + "/"

    # Someone without an account checks in with an email address, and the diary keeps the visit.
    page.goto(poster_path)
    assert page.get_by_role("heading", level=1).inner_text() == "Check in at Lotus Tea House"
    assert_accessible(page, "anonymous check-in page")
    page.get_by_role("button", name="Check in").click()  # nothing typed: told what to fix
    assert "Enter a phone number or an email address" in page.locator(".error-summary").inner_text()
    assert_accessible(page, "check-in page with an error")
    page.get_by_label("Phone number or email for alerts").fill("early@example.org")
    page.get_by_role("button", name="Check in").click()
    page.wait_for_url("**/checkin/done/**")
    assert page.get_by_role("heading", level=1).inner_text() == "You are checked in"
    assert_accessible(page, "checked-in page")
    page.goto("/checkin/")
    assert page.locator("#diary li").all_inner_texts()[0].startswith("Lotus Tea House")
    assert_accessible(page, "my visits page")
    # ...but that was hours before the case came: move the visit back in time.
    CheckIn.objects.update(checked_in_at=timezone.now() - timedelta(hours=5))

    # A resident who reads Spanish checks in with one tap.
    rosa = ResidentFactory(first_name="Rosa", language=Language.SPANISH)
    sign_in_browser(page, rosa)
    page.goto(poster_path)
    assert page.get_by_label("Phone number or email for alerts").count() == 0
    assert_accessible(page, "signed-in check-in page")
    page.get_by_role("button", name="Check in").click()
    page.wait_for_url("**/checkin/done/**")
    page.goto(poster_path)
    page.get_by_role("button", name="Check in").click()
    assert "You are already checked in at Lotus Tea House" in page.locator("main").inner_text()

    # The case was there from 10 minutes ago; a health officer reviews and sends the alert.
    start = timezone.now() - timedelta(minutes=10)
    (alert,) = services.propose_exposure_alert(
        "CASE-B1", [{"venue_code": venue.short_code, "start": start, "end": start + timedelta(minutes=5)}]
    )
    officer = StaffFactory(roles=[Role.HEALTH_OFFICER])
    sign_in_browser(page, officer)
    page.goto(f"/checkin/ops/alerts/{alert.pk}/")
    assert_accessible(page, "exposure alert review page")
    page.get_by_role("button", name="Send the alert").click()
    page.wait_for_selector("text=The alert was sent.")

    # The activity page: check-ins per day as a chart, the district map, by keyboard and axe-clean.
    page.goto("/checkin/ops/activity/")
    assert page.locator("svg.chart rect").count() == 21  # one bar per day of the retention period
    page.wait_for_selector("#checkin-activity-map[data-loaded='1']")
    assert_accessible(page, "check-in activity page")
    page.get_by_role("button", name="Filter").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkin/ops/activity/?**")
    assert page.get_by_role("heading", level=1).inner_text() == "Check-in activity"

    # Staff change the venue's details from its page; the poster keeps working.
    page.goto(f"/checkin/venues/{venue.pk}/")
    page.get_by_role("link", name="Change the venue's details").click()
    assert page.get_by_label("Contact email").input_value() == "owner@tea.example.org"
    assert_accessible(page, "venue edit page")
    page.get_by_label("Contact phone").fill("+1 415 555 0100 ext. 89")
    page.get_by_role("button", name="Save the changes").click()
    assert "without an extension" in page.locator(".error-summary").inner_text()
    assert_accessible(page, "venue edit page with an error")
    page.get_by_label("Venue name").fill("Lotus Tea Room")
    page.get_by_label("Contact phone").fill("")
    page.get_by_role("button", name="Save the changes").click()
    page.wait_for_selector("text=The venue's details are saved.")
    assert page.get_by_role("heading", level=1).inner_text() == "Lotus Tea Room"

    # Rosa checks out from her visits, by keyboard.
    sign_in_browser(page, rosa)
    page.goto("/checkin/")
    assert_accessible(page, "my visits page with an open visit")
    page.get_by_role("button", name="Check out").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=You checked out of Lotus Tea Room.")
    assert CheckIn.objects.get(person=rosa).checked_out_at is not None

    message = Message.objects.get(recipient=rosa)
    assert message.template_key == services.TEMPLATE_EXPOSED
    assert message.language == "es"
    assert "Lotus Tea House" in message.body
    assert not Message.objects.filter(address="early@example.org").exists()
    assert Message.objects.filter(address="owner@tea.example.org").exists()
