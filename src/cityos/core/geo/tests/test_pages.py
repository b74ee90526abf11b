"""The public map page, a place's page, and the staff list with its exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.core.geo.models import PlaceKind
from cityos.core.geo.tests.factories import DistrictFactory, PlaceFactory
from cityos.core.geo.tests.geojson import square

pytestmark = pytest.mark.django_db
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def city():
    west = DistrictFactory(code="west", name="West", geometry=square(0, 0))
    clinic = PlaceFactory(
        name="Harbour Clinic",
        kind=PlaceKind.CLINIC,
        district=west,
        opening_hours=ALWAYS,
        names={"es": "Clínica del Puerto"},
        address="1 Quay St",
    )
    wifi = PlaceFactory(name="Square Wi-Fi", kind=PlaceKind.WIFI_HOTSPOT, district=west)
    gone = PlaceFactory(name="Old Shelter", kind=PlaceKind.SHELTER, district=west, is_active=False)
    return clinic, wifi, gone


def test_the_map_page_lists_places_with_open_now_badges_beside_the_map(client, city):
    response = client.get(reverse("geo:places"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Harbour Clinic" in html and "Square Wi-Fi" in html and "Old Shelter" not in html
    assert "Open now" in html and "Every day: open 24 hours" in html
    # The largest page the API gives, so the map needs one request (it follows next links past it).
    assert 'data-places-url="/api/v1/geo/places?limit=500"' in html and 'class="map"' in html
    assert 'for="id_kind_0"' in html  # each kind checkbox is labelled


def test_the_map_credits_leaflet_in_the_page_language(client, city):
    html = client.get(reverse("geo:places"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert 'data-leaflet-title="互動式地圖的 JavaScript 函式庫"' in html  # map.js titles Leaflet's link with it


def test_filters_work_as_plain_get_parameters_and_reach_the_map(client, city):
    response = client.get(reverse("geo:places"), {"kind": "wifi_hotspot", "district": "west"})
    html = response.content.decode()
    assert "Square Wi-Fi" in html and "Harbour Clinic" not in html
    assert 'data-places-url="/api/v1/geo/places?kind=wifi_hotspot&amp;district=west&amp;limit=500"' in html
    assert "Harbour Clinic" in client.get(reverse("geo:places"), {"open_now": "on"}).content.decode()
    assert "Square Wi-Fi" not in client.get(reverse("geo:places"), {"open_now": "on"}).content.decode()


def test_an_unknown_kind_is_shown_as_a_field_error(client, city):
    response = client.get(reverse("geo:places"), {"kind": "casino"})
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors


def test_the_page_speaks_the_readers_language(client, city):
    response = client.get(reverse("geo:places"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Clínica del Puerto" in response.content.decode()


def test_a_place_has_its_own_page_with_its_week(client, city):
    clinic, _wifi, gone = city
    response = client.get(reverse("geo:place", args=[clinic.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Harbour Clinic" in html and "1 Quay St" in html and "Monday" in html
    assert f'data-places-url="/api/v1/geo/places/{clinic.pk}"' in html
    assert client.get(reverse("geo:place", args=[gone.pk])).status_code == 404


def test_the_staff_list_needs_an_operator_or_administrator(client, staff_client, city):
    assert client.get(reverse("geo:manage")).status_code == 302  # to sign-in
    _user, caseworker = staff_client(Role.CASEWORKER)
    assert caseworker.get(reverse("geo:manage")).status_code == 403
    _user, operator = staff_client(Role.OPERATOR)
    response = operator.get(reverse("geo:manage"))
    assert response.status_code == 200 and "Old Shelter" in response.content.decode()


def test_the_staff_list_filters_searches_and_sorts(staff_client, city):
    _user, operator = staff_client(Role.ADMINISTRATOR)
    response = operator.get(reverse("geo:manage"), {"active": "no"})
    assert [p.name for p in response.context["page"]] == ["Old Shelter"]
    response = operator.get(reverse("geo:manage"), {"q": "quay"})
    assert [p.name for p in response.context["page"]] == ["Harbour Clinic"]
    response = operator.get(reverse("geo:manage"), {"sort": "-name"})
    assert [p.name for p in response.context["page"]] == ["Square Wi-Fi", "Old Shelter", "Harbour Clinic"]
    partial = operator.get(reverse("geo:manage"), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"Harbour Clinic" in partial.content


def test_the_staff_exports_follow_the_filters(staff_client, city):
    _user, operator = staff_client(Role.OPERATOR)
    response = operator.get(reverse("geo:export-csv"), {"kind": "clinic"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["name"] for r in rows] == ["Harbour Clinic"]
    response = operator.get(reverse("geo:export-geojson"), {"active": "no"})
    assert response["Content-Type"] == "application/geo+json"
    assert [f["properties"]["name"] for f in json.loads(response.content)["features"]] == ["Old Shelter"]


def test_the_ops_navigation_offers_the_list_to_operators(staff_client, city):
    _user, operator = staff_client(Role.OPERATOR)
    assert reverse("geo:manage") in operator.get(reverse("geo:manage")).content.decode()
