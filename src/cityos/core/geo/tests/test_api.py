"""/api/v1/geo: GeoJSON for everyone to read; writes for operators and administrators only."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from cityos.core.accounts.models import Role
from cityos.core.geo.models import Place, PlaceKind
from cityos.core.geo.tests.factories import DistrictFactory, PlaceFactory
from cityos.core.geo.tests.geojson import square

pytestmark = pytest.mark.django_db
GEOJSON = "application/geo+json"
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NEVER = {d: [] for d in ALWAYS}


@pytest.fixture
def city():
    west = DistrictFactory(code="west", name="West", names={"es": "Oeste"}, geometry=square(0, 0), population=900)
    east = DistrictFactory(code="east", name="East", geometry=square(0.01, 0))
    PlaceFactory(name="Clinic", kind=PlaceKind.CLINIC, lat=0.005, lon=0.005, district=west, opening_hours=ALWAYS)
    PlaceFactory(name="Library", kind=PlaceKind.LIBRARY, lat=0.005, lon=0.015, district=east, opening_hours=NEVER)
    PlaceFactory(name="Shelter", kind=PlaceKind.SHELTER, lat=0.006, lon=0.016, district=east)
    PlaceFactory(name="Closed down", kind=PlaceKind.CLINIC, is_active=False, district=west)
    return west, east


def error_fields(response):
    """Field names of a 422, as ninja ({"detail": [{"loc"}]}) or RFC 9457 ({"errors": [{"field"}]}) puts them."""
    body = response.json()
    if "errors" in body:
        return {part for e in body["errors"] for part in e["field"].split(".")}
    return {str(part) for e in body["detail"] for part in e["loc"]}


def names(response):
    return sorted(f["properties"]["name"] for f in response.json()["features"])


def test_districts_are_a_geojson_feature_collection_named_in_the_request_language(client, city):
    response = client.get("/api/v1/geo/districts", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200 and response["Content-Type"] == GEOJSON
    body = response.json()
    assert body["type"] == "FeatureCollection"
    west = next(f for f in body["features"] if f["id"] == "west")
    assert west["geometry"]["type"] == "Polygon"
    assert west["properties"]["name"] == "Oeste" and west["properties"]["population"] == 900
    assert west["properties"]["place_count"] == 1  # the withdrawn clinic is not counted


def test_one_district_by_code_and_an_unknown_code(client, city):
    response = client.get("/api/v1/geo/districts/east")
    assert response.status_code == 200 and response.json()["properties"]["name"] == "East"
    assert client.get("/api/v1/geo/districts/nowhere").status_code == 404


def test_the_cells_covering_a_district(client, city):
    response = client.get("/api/v1/geo/districts/west/cells?resolution=9")
    assert response["Content-Type"] == GEOJSON
    assert len(response.json()["features"]) > 5
    assert client.get("/api/v1/geo/districts/west/cells?resolution=15").status_code == 422


def test_places_carry_what_the_map_shows(client, city):
    response = client.get("/api/v1/geo/places")
    assert response.status_code == 200 and response["Content-Type"] == GEOJSON
    assert names(response) == ["Clinic", "Library", "Shelter"]
    clinic = next(f for f in response.json()["features"] if f["properties"]["name"] == "Clinic")
    assert clinic["geometry"] == {"type": "Point", "coordinates": [0.005, 0.005]}
    props = clinic["properties"]
    assert props["kind"] == "clinic" and props["kind_label"] == "Clinic" and props["district"] == "west"
    assert props["open_now"] is True and props["opening_hours_text"] == "Every day: open 24 hours"
    assert {"address", "url", "h3_cell"} <= props.keys()


def test_places_filter_by_kind_district_open_now_and_bbox(client, city):
    assert names(client.get("/api/v1/geo/places?kind=clinic&kind=shelter")) == ["Clinic", "Shelter"]
    assert names(client.get("/api/v1/geo/places?district=east")) == ["Library", "Shelter"]
    assert names(client.get("/api/v1/geo/places?open_now=true")) == ["Clinic"]
    assert names(client.get("/api/v1/geo/places?open_now=false")) == ["Library", "Shelter"]
    assert names(client.get("/api/v1/geo/places?bbox=0.01,0,0.02,0.0055")) == ["Library"]
    assert names(client.get("/api/v1/geo/places?q=libr")) == ["Library"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=5,0,1,1", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("kind=casino", "kind"),
        ("open_now=maybe", "open_now"),
        ("format=xml", "format"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(client, city, query, field):
    response = client.get(f"/api/v1/geo/places?{query}")
    assert response.status_code == 422
    assert field in error_fields(response), response.json()


def test_places_export_as_csv(client, city):
    response = client.get("/api/v1/geo/places?format=csv&kind=clinic")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["name"] for r in rows] == ["Clinic"] and rows[0]["open_now"] == "true"


def test_one_place_and_a_withdrawn_or_missing_one(client, city):
    clinic = Place.objects.get(name="Clinic")
    response = client.get(f"/api/v1/geo/places/{clinic.pk}")
    assert response.status_code == 200 and response["Content-Type"] == GEOJSON
    assert response.json()["properties"]["name"] == "Clinic"
    assert client.get(f"/api/v1/geo/places/{Place.objects.get(name='Closed down').pk}").status_code == 404
    assert client.get("/api/v1/geo/places/999999").status_code == 404


NEW_PLACE = {
    "kind": "wifi_hotspot",
    "name": "Free Wi-Fi",
    "lat": 0.005,
    "lon": 0.015,
    "opening_hours": {"mon": [["08:00", "17:00"]]},
    "names": {"es": "Wi-Fi gratis"},
}


def post(client, data, path="/api/v1/geo/places", method="post"):
    return getattr(client, method)(path, json.dumps(data), content_type="application/json")


def test_an_operator_adds_a_place_and_its_district_is_computed(staff_client, city):
    _user, client = staff_client(Role.OPERATOR)
    response = post(client, NEW_PLACE)
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == GEOJSON
    props = response.json()["properties"]
    assert props["district"] == "east" and props["h3_cell"]
    assert Place.objects.get(name="Free Wi-Fi").names == {"es": "Wi-Fi gratis"}


def test_an_administrator_replaces_changes_and_deletes_a_place(staff_client, city):
    _user, client = staff_client(Role.ADMINISTRATOR)
    place = Place.objects.get(name="Library")
    path = f"/api/v1/geo/places/{place.pk}"
    response = post(client, {**NEW_PLACE, "name": "Library Wi-Fi", "lon": 0.005}, path, "put")
    assert response.status_code == 200 and response.json()["properties"]["district"] == "west"
    response = post(client, {"address": "2 Elm St"}, path, "patch")
    assert response.status_code == 200
    place.refresh_from_db()
    assert (place.name, place.address, place.kind) == ("Library Wi-Fi", "2 Elm St", "wifi_hotspot")
    assert client.delete(path).status_code == 204
    assert not Place.objects.filter(pk=place.pk).exists()


def test_anonymous_writes_are_refused_401(client, city):
    assert post(client, NEW_PLACE).status_code == 401
    assert client.delete(f"/api/v1/geo/places/{Place.objects.first().pk}").status_code == 401
    assert not Place.objects.filter(name="Free Wi-Fi").exists()


def test_residents_and_staff_without_the_role_are_refused_403(client, resident, staff_client, city):
    client.force_login(resident)
    assert post(client, NEW_PLACE).status_code == 403
    _user, caseworker = staff_client(Role.CASEWORKER)
    assert post(caseworker, NEW_PLACE).status_code == 403
    assert not Place.objects.filter(name="Free Wi-Fi").exists()


def test_staff_without_their_second_factor_are_refused(city):
    from cityos.core.accounts.tests.factories import StaffFactory

    client = Client()
    client.force_login(StaffFactory(roles=[Role.OPERATOR]))
    # A staff session counts only after TOTP: until then the caller is not signed in to the API.
    assert post(client, NEW_PLACE).status_code == 401
    assert not Place.objects.filter(name="Free Wi-Fi").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 95}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"kind": "casino"}, "kind"),
        ({"name": ""}, "name"),
        ({"opening_hours": {"mon": [["17:00", "08:00"]]}}, "opening_hours"),
        ({"opening_hours": {"someday": []}}, "opening_hours"),
        ({"website": "ftp://x"}, "website"),
        ({"names": {"xx": "?"}}, "names"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_nothing_is_saved(staff_client, city, change, field):
    _user, client = staff_client(Role.OPERATOR)
    response = post(client, {**NEW_PLACE, **change})
    assert response.status_code == 422, response.content
    assert field in error_fields(response), response.json()
    assert not Place.objects.filter(name="Free Wi-Fi").exists()


def test_the_openapi_document_says_places_are_geojson():
    from ninja import NinjaAPI

    from cityos.core.geo.api import router

    # This router alone, so the check does not depend on other modules' operations.
    api = NinjaAPI(urls_namespace="geo-openapi-check")
    api.add_router("/geo/", router)
    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))  # as served
    content = schema["paths"]["/api/v1/geo/places"]["get"]["responses"]["200"]["content"]
    assert {GEOJSON, "text/csv"} <= content.keys()
    write = schema["paths"]["/api/v1/geo/places"]["post"]
    assert write["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PlaceIn")
    assert GEOJSON in write["responses"]["201"]["content"]
    for method in ("put", "patch"):
        assert GEOJSON in schema["paths"]["/api/v1/geo/places/{place_id}"][method]["responses"]["200"]["content"]


def test_an_operators_machine_token_may_write_places(city):
    from cityos.core.accounts.tests.factories import StaffFactory
    from cityos.core.api.services import issue_token

    operator = StaffFactory(roles=[Role.OPERATOR])
    issued = issue_token(created_by=operator, owner=operator, name="sensor bridge", scopes=["write"])
    response = Client().post(
        "/api/v1/geo/places", NEW_PLACE, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
    )
    assert response.status_code == 201, response.content
    assert Place.objects.filter(name="Free Wi-Fi").exists()


# --- Paging: the places list pages like every list, and stays GeoJSON ---------------------


def test_places_come_a_page_at_a_time_with_geojson_links_to_the_next(client, city):
    first = client.get("/api/v1/geo/places?limit=2&kind=clinic&kind=library&kind=shelter")
    assert first.status_code == 200 and first["Content-Type"] == GEOJSON
    body = first.json()
    assert body["type"] == "FeatureCollection" and names(first) == ["Clinic", "Library"]
    assert (body["numberMatched"], body["numberReturned"]) == (3, 2)
    (link,) = body["links"]
    assert link["rel"] == "next" and link["type"] == GEOJSON
    assert link["href"].startswith("http://testserver/api/v1/geo/places?")
    assert "kind=library" in link["href"] and "offset=2" in link["href"]  # the filters are kept
    assert first["Link"] == f'<{link["href"]}>; rel="next"'

    last = client.get(link["href"])
    assert names(last) == ["Shelter"]
    assert [link["rel"] for link in last.json()["links"]] == ["prev"]
    assert last["Link"].endswith('rel="prev"') and "offset=0" in last["Link"]


def test_a_lone_page_has_no_links(client, city):
    response = client.get("/api/v1/geo/places")
    body = response.json()
    assert body["numberReturned"] == body["numberMatched"] == 3 and body["links"] == []
    assert "Link" not in response


def test_paging_applies_after_the_open_now_filter(client, city):
    body = client.get("/api/v1/geo/places?open_now=false&limit=1&offset=1").json()
    assert [f["properties"]["name"] for f in body["features"]] == ["Shelter"]
    assert (body["numberMatched"], body["numberReturned"]) == (2, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
    ],
)
def test_a_bad_limit_or_offset_is_a_422_naming_it_as_on_other_lists(client, city, query, field):
    response = client.get(f"/api/v1/geo/places?{query}")
    assert response.status_code == 422 and response["Content-Type"].startswith("application/problem+json")
    assert field in error_fields(response), response.json()


def test_the_csv_holds_every_match_not_one_page(client, city):
    response = client.get("/api/v1/geo/places?format=csv&limit=1&offset=1")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["name"] for r in rows] == ["Clinic", "Library", "Shelter"]


def test_the_openapi_document_shows_the_paging_of_places():
    from cityos.core.api.site import openapi_document

    operation = openapi_document()["paths"]["/api/v1/geo/places"]["get"]
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert limit["schema"]["minimum"] == 1 and limit["schema"]["maximum"] == 500
    assert any(p["name"] == "offset" for p in operation["parameters"])
    schema = openapi_document()["components"]["schemas"]["PlaceCollection"]
    assert {"numberMatched", "numberReturned", "links"} <= set(schema["required"])


# --- Names in the request's language, in GeoJSON and CSV alike ----------------------------


def test_the_csv_names_places_in_the_request_language_as_geojson_does(client, city):
    Place.objects.filter(name="Clinic").update(names={"es": "Clínica", "zh-hant": "診所"})
    geojson = client.get("/api/v1/geo/places?kind=clinic", HTTP_ACCEPT_LANGUAGE="es").json()
    assert geojson["features"][0]["properties"]["name"] == "Clínica"
    assert geojson["features"][0]["properties"]["names"] == {"en": "Clinic", "es": "Clínica", "zh-hant": "診所"}
    response = client.get("/api/v1/geo/places?format=csv&kind=clinic", HTTP_ACCEPT_LANGUAGE="es")
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert (row["name"], row["kind_label"]) == ("Clínica", "Clínica")
    # Every name travels too, so the file imports back without the Spanish one becoming the main name.
    assert (row["name_en"], row["name_es"], row["name_zh-hant"]) == ("Clinic", "Clínica", "診所")
    # A place with no translation keeps its main name.
    response = client.get("/api/v1/geo/places?format=csv&kind=library", HTTP_ACCEPT_LANGUAGE="es")
    (row,) = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    assert (row["name"], row["kind_label"], row["name_es"]) == ("Library", "Biblioteca", "")
