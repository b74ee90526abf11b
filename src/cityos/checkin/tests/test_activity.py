"""The health staff's activity page: check-ins per day (SVG), a district map layer, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cityos.checkin.models import AlertState, ExposureAlert
from cityos.checkin.tests.factories import VenueFactory, visit
from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.geo.models import District

pytestmark = pytest.mark.django_db

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}


@pytest.fixture
def city():
    north = District.objects.create(code="north", name="North", geometry=SQUARE, centroid_lat=0.5, centroid_lon=0.5)
    south = District.objects.create(code="south", name="South", geometry=SQUARE, centroid_lat=0.5, centroid_lon=0.5)
    market = VenueFactory(name="Harbour Market", district=north)
    library = VenueFactory(name="South Library", district=south)
    now = timezone.now()
    # Earlier today, even just after midnight (an hour ago would be yesterday then).
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    earlier_today = max(now - timedelta(hours=1), today_start)
    for i in range(3):
        visit(market, earlier_today, contact=f"+1415555010{i}")
    visit(market, now - timedelta(days=2), contact="+14155550109")
    visit(library, now - timedelta(days=1), contact="+14155550110")
    ExposureAlert.objects.create(
        case_ref="C-1",
        venue=market,
        visit_start=now - timedelta(hours=2),
        visit_end=now - timedelta(hours=1),
        buffer_minutes=30,
    )
    ExposureAlert.objects.create(
        case_ref="C-2",
        venue=library,
        visit_start=now - timedelta(hours=2),
        visit_end=now - timedelta(hours=1),
        buffer_minutes=30,
        state=AlertState.DISMISSED,
    )
    return north, south


def officer_client(_client):
    return verified_client(StaffFactory(roles=[Role.HEALTH_OFFICER]))


def test_the_page_charts_check_ins_per_day_and_lists_districts_and_venues(client, city):
    response = officer_client(client).get(reverse("checkin:ops-activity"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<svg class="chart"' in html and "Check-ins per day" in html
    assert "5 check-ins from" in html  # the chart's description: all five stored visits
    assert 'id="checkin-activity-map"' in html and "checkin/activity-map.js" in html
    days = dict(response.context["days"])
    today = timezone.localdate()
    assert days[today] == 3 and days[today - timedelta(days=2)] == 1
    rows = {row["name"]: (row["check_ins"], row["exposures"]) for row in response.context["districts"]}
    # The dismissed alert is not an exposure.
    assert rows == {"North": (4, 1), "South": (1, 0)}
    assert response.context["venues"][0][1] == "Harbour Market"


def test_the_map_layer_colours_districts_by_check_ins_and_marks_exposures(client, city):
    response = officer_client(client).get(reverse("checkin:ops-activity-map"))
    assert response["Content-Type"] == "application/geo+json"
    features = {f["properties"]["check_ins"]: f["properties"] for f in response.json()["features"]}
    assert features[4]["exposures"] == 1 and features[1]["exposures"] == 0
    assert features[4]["fill"] != features[1]["fill"]
    assert "North: 4 check-ins, 1 exposures" in features[4]["name"]


def test_filters_by_district_and_dates(client, city):
    north, _south = city
    today = timezone.localdate()
    staff = officer_client(client)
    response = staff.get(reverse("checkin:ops-activity"), {"district": north.pk, "start": today - timedelta(days=1)})
    assert [row["name"] for row in response.context["districts"]] == ["North"]
    assert sum(count for _day, count in response.context["days"]) == 3
    layer = staff.get(reverse("checkin:ops-activity-map"), {"district": north.pk}).json()
    assert [f["properties"]["check_ins"] for f in layer["features"]] == [4]


def test_bad_dates_are_refused_next_to_the_field(client, city):
    today = timezone.localdate()
    staff = officer_client(client)
    response = staff.get(reverse("checkin:ops-activity"), {"start": today, "end": today - timedelta(days=3)})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    too_long = staff.get(reverse("checkin:ops-activity"), {"start": today - timedelta(days=200), "end": today})
    assert too_long.status_code == 400 and "Choose at most 92 days." in too_long.content.decode()


def test_only_health_officers_see_activity(client, city):
    client.force_login(ResidentFactory())
    assert client.get(reverse("checkin:ops-activity")).status_code in (302, 403)
    operator = verified_client(StaffFactory(roles=[Role.OPERATOR]))
    assert operator.get(reverse("checkin:ops-activity-map")).status_code == 403
