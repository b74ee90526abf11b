"""The public dashboard on a phone and the health officers' data entry, with axe and the keyboard."""

from __future__ import annotations

import datetime

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.web.tests.conftest import assert_accessible
from cityos.epi import refresh
from cityos.epi.models import LabResult
from cityos.epi.tests.factories import daily_cases, district, hospital, hospital_days

pytestmark = pytest.mark.browser
START = datetime.date(2026, 1, 1)


@pytest.fixture
def city(transactional_db):
    big, small = district("big", 200_000), district("small", 3_000)
    daily_cases(big, START, [20 + i for i in range(60)])
    daily_cases(small, START, [0] * 58 + [3, 0])
    hospital_days(hospital(), START, [40 + i // 3 for i in range(60)], total=100)
    refresh.refresh_dashboard(START + datetime.timedelta(days=59), seed=1)


def test_the_dashboard_on_a_phone_passes_axe_and_its_map_draws_the_risk_layer(page, city):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/epi/")
    page.wait_for_selector("#epi-map[data-loaded]", state="attached")
    assert page.locator("svg.chart[role=img]").count() == 6
    assert page.locator("#epi-map path.leaflet-interactive").count() == 2  # both districts from /api/v1/epi/risk
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert_accessible(page, "epidemic dashboard")


def test_a_health_officer_enters_lab_results_by_keyboard(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.HEALTH_OFFICER]))
    page.goto("/epi/manage/")
    assert_accessible(page, "epidemic data entry")
    form = page.locator("section", has=page.get_by_role("heading", name="Lab results"))
    form.get_by_label("District").select_option("big")
    form.get_by_label("Day").fill("2026-03-01")
    form.get_by_label("Tests done").fill("10")
    form.get_by_label("Positive tests").fill("12")
    form.get_by_role("button", name="Save").press("Enter")
    page.wait_for_selector(".error-summary")
    assert "positives cannot exceed tests" in page.locator(".error-summary").inner_text()
    assert_accessible(page, "epidemic data entry with errors")
    form = page.locator("section", has=page.get_by_role("heading", name="Lab results"))
    form.get_by_label("Positive tests").fill("2")
    form.get_by_role("button", name="Save").press("Enter")
    page.wait_for_selector("[role=status]")
    assert LabResult.objects.get().positives == 2


def test_a_health_officer_filters_and_sorts_the_stored_reports_by_keyboard(page, city, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.HEALTH_OFFICER]))
    page.goto("/epi/manage/reports/")
    assert_accessible(page, "stored epidemic reports")
    page.locator("#id_district").select_option("small")
    page.locator("#id_date_from").fill("2026-02-28")
    page.get_by_role("button", name="Show").press("Enter")
    page.wait_for_url("**district=small**")
    assert page.get_by_role("status").inner_text() == "2 reports"
    page.get_by_role("link", name="Local cases").press("Enter")
    page.wait_for_url("**sort=local**")
    assert page.locator("th[aria-sort=ascending]").inner_text() == "Local cases"
    page.locator("#id_date_to").fill("2026-02-01")
    page.get_by_role("button", name="Show").press("Enter")
    page.wait_for_selector(".error-summary")
    assert "is before the start date" in page.locator(".error-summary").inner_text()
    assert_accessible(page, "stored epidemic reports with errors")
