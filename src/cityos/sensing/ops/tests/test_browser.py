"""The operations centre in a real browser: the map and the alert feed pass axe, and a new alert
arrives in the feed through server-sent events without a reload."""

from __future__ import annotations

import time

import pytest

from cityos.core.accounts.models import Role
from cityos.core.web.tests.conftest import assert_accessible
from cityos.sensing.models import AlertRule, Comparison, RuleKind
from cityos.sensing.ops import rules
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.browser


@pytest.fixture
def live_city(transactional_db, water, north, make_thing, observe, settings):
    settings.CITYOS_SENSING_SSE_POLL = "0.3"
    settings.CITYOS_SENSING_SSE_SECONDS = "3"
    thing = make_thing(streams=("turbidity", "battery"), name="Riverside station")
    make_thing(name="Hill station")
    turbidity = thing.datastreams.get(observed_property__name="turbidity")
    AlertRule.objects.create(
        name="Turbid water", kind=RuleKind.THRESHOLD, datastream=turbidity, comparison=Comparison.ABOVE, threshold=4
    )
    rules.invalidate()
    observe(turbidity, (5, 2.0))
    return turbidity


def test_the_map_and_the_live_alert_feed(page, live_city, water, north, observe, sign_in_browser):
    sign_in_browser(page, staff(Role.OPERATOR, water, (north,)))
    page.goto("/sensing/ops/map/")
    page.wait_for_selector("#things-map[data-loaded]", state="attached")
    assert page.locator("#things-map path.leaflet-interactive").count() >= 2
    assert_accessible(page, "sensor map")

    page.goto("/sensing/ops/health/")
    assert "Riverside station" in page.locator("table").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # phone: only the table scrolls
    assert_accessible(page, "device health")

    page.goto("/sensing/ops/alerts/")
    page.wait_for_function("document.getElementById('feed-status').textContent.length > 0")
    assert_accessible(page, "alert feed")
    assert page.locator("#alert-rows tr").count() == 0

    observe(live_city, (0, 9.5))
    page.wait_for_selector("#alert-rows tr[data-state=open]")
    assert "Riverside station" in page.locator("#alert-rows").inner_text()
    assert "New alert" in page.locator("#feed-status").inner_text()
    assert_accessible(page, "alert feed with an alert")

    page.get_by_role("button", name="Acknowledge").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#alert-rows tr[data-state=acknowledged]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Leave the page, so the server's stream notices the closed connection before the test ends.
    page.goto("about:blank")
    time.sleep(1)
