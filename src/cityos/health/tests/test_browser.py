"""In Chromium: a health officer's daily follow-up, a resident's declaration and a quarantine
check-in with the phone's location; axe finds no WCAG 2.2 AA violation on those pages."""

from __future__ import annotations

import re

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.web.tests.conftest import assert_accessible
from cityos.health import services
from cityos.health.models import Declaration, FollowUp, FollowUpStatus, QuarantineCheckIn
from cityos.health.tests.conftest import at, days_ago

pytestmark = pytest.mark.browser
HOME = (40.7128, -73.9060)


def test_an_officer_records_todays_follow_up(page, sign_in_browser):
    officer = StaffFactory(roles=[Role.HEALTH_OFFICER])
    case = services.record_case(
        officer, name="Mei Chen", visits=[{"place": "Harbour Market", "start": at(3, 9), "end": at(3, 10)}]
    )
    contact = services.add_contact(
        officer, case, name="Luis Pérez", relationship="household", last_exposure=days_ago(2)
    )
    sign_in_browser(page, officer)

    page.goto("/health/follow-ups/")
    assert_accessible(page, "reason page")
    page.get_by_label("Why do you need this person's details?").fill("Daily follow-up calls")
    page.get_by_role("button", name="Continue").click()
    assert_accessible(page, "follow-ups due today")
    page.get_by_role("link", name="Record Luis Pérez").click()

    page.get_by_role("radio", name="Seen, has symptoms").check()
    page.get_by_role("button", name="Save the follow-up").click()
    assert page.get_by_role("alert").is_visible()  # the error summary names the field
    assert "Tick the symptoms the contact has." in page.locator(".error-summary").inner_text()
    assert_accessible(page, "follow-up form with an error")
    page.get_by_role("link", name="Symptoms: Tick the symptoms the contact has.").press("Enter")
    page.get_by_role("checkbox", name="Fever").check()
    page.get_by_role("button", name="Save the follow-up").press("Enter")

    # The redirect keeps the error link's #fragment, so the URL may end with one.
    page.wait_for_url(re.compile(r"/health/follow-ups/(#.*)?$"))
    assert "Follow-up of Luis Pérez recorded." in page.locator(".messages").inner_text()
    today = FollowUp.objects.get(contact=contact, day=days_ago(0))
    assert today.status == FollowUpStatus.SYMPTOMS and today.symptoms == ["fever"]

    page.goto(f"/health/cases/{case.pk}/")  # a case asks for its own reason
    page.get_by_label("Why do you need this person's details?").fill("Review the chain of transmission")
    page.get_by_role("button", name="Continue").press("Enter")
    assert page.locator("svg.chain-graph").is_visible()
    assert_accessible(page, "case page")


def test_a_resident_declares_and_checks_in_from_home(page, sign_in_browser):
    resident = ResidentFactory(phone="+12125550150")
    officer = StaffFactory(roles=[Role.HEALTH_OFFICER])
    services.start_quarantine(officer, resident, start_date=days_ago(1), home_lat=HOME[0], home_lon=HOME[1])
    sign_in_browser(page, resident)

    page.goto("/health/me/")
    assert_accessible(page, "my health page")
    page.get_by_role("link", name="Declare today").click()
    assert_accessible(page, "declaration form")
    page.get_by_role("checkbox", name="Fever").check()
    page.get_by_role("checkbox", name="Cough").check()
    page.get_by_role("button", name="Send my declaration").click()
    page.wait_for_url("**/health/me/")
    assert "Please get tested" in page.locator(".messages").inner_text()
    assert Declaration.objects.get(person=resident).flagged

    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": HOME[0] + 0.0003, "longitude": HOME[1]})
    page.get_by_role("link", name="Check in now").click()
    assert_accessible(page, "check-in page")
    page.get_by_role("button", name="Check in").click()
    page.wait_for_url("**/health/me/")
    assert "Checked in at home." in page.locator(".messages").inner_text()
    assert QuarantineCheckIn.objects.get().inside is True
    assert_accessible(page, "my health page after check-in")


def test_the_staff_lists_pass_axe(page, sign_in_browser):
    officer = StaffFactory(roles=[Role.HEALTH_OFFICER])
    resident = ResidentFactory(phone="+12125550151")
    case = services.record_case(officer, name="Mei Chen", person=resident)
    services.add_contact(officer, case, name="Luis Pérez", relationship="work", last_exposure=days_ago(1))
    services.declare(resident, symptoms=["breath"])
    services.start_quarantine(officer, resident, start_date=days_ago(2), home_lat=HOME[0], home_lon=HOME[1])
    services.raise_missed_check_ins()
    sign_in_browser(page, officer)
    for url, heading in [
        ("/health/cases/", "Cases"),
        ("/health/contacts/", "Contacts"),
        ("/health/follow-ups/", "Follow-ups due today"),
        ("/health/declarations/", "Flagged declarations"),
        ("/health/quarantines/", "Quarantines"),
    ]:
        page.goto(url)
        page.get_by_label("Why do you need this person's details?").fill("Morning review of the lists")
        page.get_by_role("button", name="Continue").press("Enter")
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert_accessible(page, url)
    # Sorting by keyboard: the column header is a link; the sorted column says so.
    page.goto("/health/cases/")
    page.get_by_role("link", name=re.compile(r"^Name")).press("Enter")
    assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("Name")
    page.get_by_text("The numbers as a table").press("Enter")
    assert_accessible(page, "sorted case list with the chart's table open")
    page.goto("/health/cases/new/")
    assert_accessible(page, "record a case")
