"""The pages: public ones open to anyone (phone first, stale data said as such), staff ones
for the right roles with every read of tenants' homes audited, exports, and the tile."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cityos.core.audit.models import AuditEntry
from cityos.monitoring import services
from cityos.monitoring.models import WorkOrder
from cityos.monitoring.tests.factories import district, hourly, middle_of_last_hour, observe, thing

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    now = timezone.now().replace(microsecond=0)
    district("harbour", "Harbour", {"zh-hant": "港區", "es": "Puerto"})
    fresh = thing("Bay 1", "parking-bay", ["occupied"], car_park="Quay Car Park", car_park_id="quay")
    observe(fresh, "occupied", [(now - timedelta(minutes=1), False)])
    old = thing("Bay 2", "parking-bay", ["occupied"], car_park="Old Mill", car_park_id="mill")
    observe(old, "occupied", [(now - timedelta(days=2), False)])
    water = thing("W1", "water-quality", ["pH", "turbidity", "chlorine", "conductivity"], district="harbour")
    for prop, value in {"pH": 7.1, "turbidity": 0.2, "chlorine": 0.4, "conductivity": 350.0}.items():
        observe(water, prop, [(now - timedelta(minutes=5), value)])
    air = thing("A1", "air-quality", ["pm25", "pm10", "no2", "o3"], district="harbour")
    observe(air, "pm25", hourly(now.replace(minute=0, second=0, microsecond=0), 24, 7.0))
    trap = thing("T1", "predator-trap", ["trap-event"], trap_line="ridge")
    observe(trap, "trap-event", [(now - timedelta(days=1), 1)], parameters={"species": "stoat"})
    home = thing("Home 1", "home-climate", ["temperature", "relative-humidity"], home_ref="H-1",
                 address="1 Quay Street", tenure="council", district="harbour")  # fmt: skip
    end = middle_of_last_hour(now)
    observe(home, "temperature", hourly(end, 168, 15.0))
    observe(home, "relative-humidity", hourly(end, 168, 90.0))
    services.run_damp_check(now)


def test_parking_page_shows_free_bays_and_stale_car_parks(city):
    html = Client().get("/monitoring/parking/").content.decode()
    assert "Quay Car Park" in html and "1 of 1 bay free" in html
    assert "Old Mill" in html and "No recent data" in html and "the counts may be wrong" in html
    assert 'data-places-url="/api/v1/monitoring/parking/geojson"' in html


def test_public_pages_render_in_each_language(city):
    for url in (
        "/monitoring/parking/",
        "/monitoring/water/",
        "/monitoring/water/what-it-means/",
        "/monitoring/air/",
        "/monitoring/traps/",
    ):
        assert Client().get(url).status_code == 200, url
    water = Client().get("/monitoring/water/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "港區" in water and "良好" in water
    air = Client().get("/monitoring/air/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "ICA 39: Buena" in air  # PM2.5 7.0 µg/m³: 50 / 9.0 * 7.0 = 38.9 -> 39
    assert "stoat" in Client().get("/monitoring/traps/").content.decode()
    # The device's English code is shown in the reader's language; data (API, CSV) keep the code.
    assert "armiño (1)" in Client().get("/monitoring/traps/", HTTP_ACCEPT_LANGUAGE="es").content.decode()


def test_staff_pages_need_the_right_role(city, staff_client):
    assert Client().get("/monitoring/staff/homes/").status_code == 302  # to sign in
    _, operator = staff_client("operator")
    assert operator.get("/monitoring/staff/homes/").status_code == 403
    assert operator.get("/monitoring/staff/work-orders/").status_code == 403
    assert operator.get("/monitoring/staff/traps/").status_code == 200
    _, health = staff_client("health_officer")
    assert health.get("/monitoring/staff/traps/").status_code == 403


def test_the_damp_list_is_audited_filtered_and_exported(city, staff_client):
    _, caseworker = staff_client("caseworker")
    html = caseworker.get("/monitoring/staff/homes/").content.decode()
    assert "H-1" in html and "1 Quay Street" in html and 'aria-sort="descending"' in html
    assert AuditEntry.objects.filter(object_type="monitoring.HomeRisk", action="read").count() == 1
    assert "H-1" not in caseworker.get("/monitoring/staff/homes/", {"level": "low"}).content.decode()
    assert "H-1" not in caseworker.get("/monitoring/staff/homes/", {"q": "nowhere"}).content.decode()
    export = caseworker.get("/monitoring/staff/homes/damp-risk.csv", {"district": "harbour"})
    assert export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("home_ref,address,district,score") and lines[1].startswith(
        "H-1,1 Quay Street,harbour,100"
    )
    assert AuditEntry.objects.filter(object_type="monitoring.HomeRisk", action="export").exists()
    assert caseworker.get("/monitoring/staff/homes/damp-risk.xlsx").status_code == 404


def test_work_order_pages_update_with_errors_next_to_the_field(city, staff_client):
    user, caseworker = staff_client("caseworker")
    order = WorkOrder.objects.get()
    listing = caseworker.get("/monitoring/staff/work-orders/").content.decode()
    assert "H-1" in listing
    url = f"/monitoring/staff/work-orders/{order.pk}/"
    page = caseworker.get(url)
    assert page.status_code == 200 and "Relative humidity at or above 70%" in page.content.decode()
    assert AuditEntry.objects.filter(
        object_type="monitoring.WorkOrder", action="read", object_id=str(order.pk)
    ).exists()
    refused = caseworker.post(url, {"status": "scheduled", "scheduled_for": "", "note": ""})
    assert refused.status_code == 200 and "Give the date of the visit." in refused.content.decode()
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    done = caseworker.post(url, {"status": "scheduled", "scheduled_for": day, "note": "Tenant called"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert (order.status, str(order.scheduled_for), order.updated_by) == ("scheduled", day, user)
    csv = caseworker.get("/monitoring/staff/work-orders/work-orders.csv", {"status": "all"}).content.decode()
    assert "H-1" in csv and "scheduled" in csv


def test_trap_catches_list_and_exports(city, staff_client):
    _, operator = staff_client("operator")
    html = operator.get("/monitoring/staff/traps/").content.decode()
    assert "stoat" in html and "ridge" in html
    bad = operator.get("/monitoring/staff/traps/", {"start": "not-a-date"}).content.decode()
    assert "Give a date as YYYY-MM-DD." in bad
    far = operator.get("/monitoring/staff/traps/", {"end": "9999-12-31"})  # was an overflow: a 500
    assert far.status_code == 200 and "Enter a date from 1900 to 2199." in far.content.decode()
    geo = json.loads(operator.get("/monitoring/staff/traps/catches.geojson").content)
    assert geo["features"][0]["properties"]["species"] == "stoat"
    csv = operator.get("/monitoring/staff/traps/catches.csv").content.decode()
    assert csv.splitlines()[1].split(",")[1:5] == ["T1", "ridge", "1", "stoat"]


def test_the_tile(city, staff_client):
    _, caseworker = staff_client("caseworker")
    html = caseworker.get("/monitoring/tile/").content.decode()
    assert "Homes at damp risk" in html and "1 / 2" in html
    _, operator = staff_client("operator")
    assert "Homes at damp risk" not in operator.get("/monitoring/tile/").content.decode()
