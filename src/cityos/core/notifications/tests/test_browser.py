"""The messaging pages in a real browser on a phone: axe finds no WCAG 2.2 AA violation,
errors are announced and tied to their fields, and the keyboard reaches everything."""

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications import services
from cityos.core.notifications.models import ChannelPreference
from cityos.core.notifications.selectors import Segment
from cityos.core.web.tests.conftest import (  # noqa: F401 - fixtures shared with the front doors' tests
    _chromium,
    assert_accessible,
    page,
    sign_in_browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("immediate_tasks")]


def test_a_resident_sets_preferences_by_keyboard_and_the_page_passes_axe(page, sign_in_browser):  # noqa: F811
    person = ResidentFactory(phone="+14155550160")
    sign_in_browser(page, person)
    page.goto("/messages/preferences/")
    assert_accessible(page, "message preferences")

    page.get_by_label("SMS").select_option("1")
    page.get_by_label("Email").select_option("1")
    page.get_by_role("button", name="Save preferences").click()
    sms = page.get_by_label("SMS")
    sms.and_(page.locator("[aria-invalid=true]")).wait_for()
    assert "id_rank_sms_error" in (sms.get_attribute("aria-describedby") or "")
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page, "message preferences with an error")

    page.get_by_label("Email").select_option("2")
    page.get_by_role("button", name="Save preferences").click()
    page.get_by_text("Saved.").wait_for()
    assert ChannelPreference.objects.get(user=person).channels == ["sms", "email"]


def test_staff_compose_and_read_messages_on_a_phone(page, sign_in_browser, welcome):  # noqa: F811
    north = DistrictFactory(name="North")
    people = [ResidentFactory(district=north) for _ in range(3)]
    ChannelPreference.objects.create(user=people[0], channels=["email"], opted_out=True)
    operator = StaffFactory(roles=[Role.OPERATOR])
    services.send_to_segment(Segment(district_ids=(north.pk,)), "welcome", sent_by=operator)
    sign_in_browser(page, operator)

    page.goto("/messages/compose/")
    assert_accessible(page, "compose")
    page.get_by_label("Message", exact=True).select_option("welcome")
    page.get_by_label("North").check()
    page.get_by_role("button", name="Check who it reaches").click()
    page.get_by_text("This message will go to 3 people.").wait_for()
    assert_accessible(page, "compose with the reach")

    page.goto("/messages/")
    assert page.locator("#messages-table tbody tr").count() == 3
    assert_accessible(page, "messages list")
    page.get_by_label("State").select_option("suppressed")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**state=suppressed**")
    page.locator("#messages-table caption", has_text="1 message").wait_for()
