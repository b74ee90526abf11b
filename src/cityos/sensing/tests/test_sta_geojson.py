"""Locations and FeaturesOfInterest hold GeoJSON (RFC 7946) in WGS 84 degrees: anything else is
refused with a 400 naming the member at fault, however it arrives, and a refused deep insert
saves nothing."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.test import Client

from cityos.sensing import services
from cityos.sensing.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
)
from cityos.sensing.sta.errors import StaError
from cityos.sensing.tests.conftest import STA, get, patch, post, thing_payload

pytestmark = pytest.mark.django_db

MODELS: list[type[models.Model]] = [
    Thing,
    Location,
    HistoricalLocation,
    Datastream,
    Sensor,
    ObservedProperty,
    Observation,
    FeatureOfInterest,
]


def point(lon: Any, lat: Any) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def collection(depth: int) -> dict[str, Any]:
    geometry: dict[str, Any] = point(121.5, 25.0)
    for _ in range(depth):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    return geometry


# (GeoJSON, what the message says after the member's name: "location" or "feature")
BAD: list[tuple[Any, str]] = [
    (point(200, 25.0), ".coordinates[0]: the longitude 200 is not between -180 and 180"),
    (point(-180.5, 25.0), ".coordinates[0]: the longitude -180.5 is not between -180 and 180"),
    (point(121.5, 95), ".coordinates[1]: the latitude 95 is not between -90 and 90"),
    (point(121.5, -90.01), ".coordinates[1]: the latitude -90.01 is not between -90 and 90"),
    (point(25.0, 121.5), ".coordinates[1]: the latitude 121.5"),  # latitude first: a common slip
    (point("121.5", 25.0), ".coordinates[0] must be a number, not '121.5'"),
    (point(True, 25.0), ".coordinates[0] must be a number, not True"),
    (point(121.5, None), ".coordinates[1] must be a number, not None"),
    ({"type": "Point", "coordinates": [[121.5, 25.0]]}, ".coordinates must be a position"),
    ({"type": "Point", "coordinates": [121.5]}, ".coordinates must be a position"),
    ({"type": "Point", "coordinates": [121.5, 25.0, 3, 4]}, ".coordinates must be a position"),
    ({"type": "Point"}, ".coordinates must be a position"),
    ({"type": "LineString", "coordinates": [121.5, 25.0]}, ".coordinates must be a list of positions"),
    ({"type": "LineString", "coordinates": [[121.5, 25.0]]}, ".coordinates must hold at least 2 positions"),
    ({"type": "MultiPoint", "coordinates": []}, ".coordinates is empty"),
    ({"type": "MultiPoint", "coordinates": [[121.5, 25.0], [181, 25.0]]}, ".coordinates[1][0]: the longitude 181"),
    (
        {"type": "Polygon", "coordinates": [[121, 25], [122, 25], [122, 26], [121, 25]]},
        ".coordinates[0] must be a list",
    ),
    ({"type": "Polygon", "coordinates": [[[121, 25], [122, 25], [122, 26]]]}, ".coordinates[0] is not a closed ring"),
    ({"type": "Polygon", "coordinates": [[[121, 25], [122, 25], [121, 25]]]}, ".coordinates[0] is not a closed ring"),
    ({"type": "Polygon", "coordinates": []}, ".coordinates is empty"),
    (
        {"type": "MultiPolygon", "coordinates": [[[[121, 25], [122, 25], [122, 91], [121, 25]]]]},
        ".coordinates[0][0][2][1]: the latitude 91",
    ),
    (
        {"type": "point", "coordinates": [121.5, 25.0]},
        " must be a GeoJSON geometry or Feature: its type must be one of",
    ),
    ({"type": "Circle", "coordinates": [121.5, 25.0], "radius": 3}, " must be a GeoJSON geometry or Feature"),
    ({"type": "LinearRing", "coordinates": [[0, 0], [1, 0], [1, 1], [0, 0]]}, " must be a GeoJSON geometry"),
    ({"type": "FeatureCollection", "features": []}, " must be a GeoJSON geometry or Feature"),
    ({"type": "Feature", "geometry": None, "properties": {}}, ".geometry is missing"),
    ({"type": "Feature", "geometry": point(121.5, 100)}, ".geometry.coordinates[1]: the latitude 100"),
    (
        {"type": "GeometryCollection", "geometries": [point(121.5, 25.0), point(500, 25.0)]},
        ".geometries[1].coordinates[0]: the longitude 500",
    ),
    ({"type": "GeometryCollection", "geometries": []}, ".geometries must be a list of one or more geometries"),
    (collection(6), ".geometries[0]" * 4 + ": GeometryCollections may be nested at most 4 deep"),
    ("POINT(121.5 25.0)", " must be a GeoJSON geometry or Feature"),
    (None, " must be a GeoJSON geometry or Feature"),
]

GOOD: list[Any] = [
    point(121.5, 25.0),
    point(-180, -90),
    point(180, 90),
    {"type": "Point", "coordinates": [121.5, 25.0, 12.5]},  # with altitude
    {"type": "Feature", "geometry": point(121.5, 25.0), "properties": {"name": "gauge"}},
    {"type": "LineString", "coordinates": [[121.5, 25.0], [121.6, 25.1]]},
    {"type": "Polygon", "coordinates": [[[121, 25], [122, 25], [122, 26], [121, 25]]]},
    {"type": "MultiPolygon", "coordinates": [[[[121, 25], [122, 25], [122, 26], [121, 25]]]]},
    {"type": "GeometryCollection", "geometries": [point(121.5, 25.0), collection(3)]},
]


def location(geometry: Any, encoding: str = "application/geo+json") -> dict[str, Any]:
    return {"name": "gauge", "description": "river gauge", "encodingType": encoding, "location": geometry}


def feature(geometry: Any, encoding: str = "application/geo+json") -> dict[str, Any]:
    return {"name": "reach", "description": "river reach", "encodingType": encoding, "feature": geometry}


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def refused(response: Any, message: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400 and body["type"] == "error"
    assert message in body["message"], (message, body["message"])


def test_bad_geojson_is_refused_on_post_naming_the_member(writer: Client) -> None:
    for geometry, message in BAD:
        refused(post(writer, "/Locations", location(geometry)), "location" + message)
        refused(post(writer, "/FeaturesOfInterest", feature(geometry)), "feature" + message)
    assert not Location.objects.exists() and not FeatureOfInterest.objects.exists()


@pytest.mark.parametrize("encoding", ["application/geo+json", "application/vnd.geo+json"])
def test_geojson_of_every_geometry_type_is_stored_as_given(writer: Client, encoding: str) -> None:
    for geometry in GOOD:
        made = post(writer, "/Locations", location(geometry, encoding))
        assert made.status_code == 201, made.content
        assert made.json()["location"] == geometry and made.json()["encodingType"] == encoding
        made = post(writer, "/FeaturesOfInterest", feature(geometry, encoding))
        assert made.status_code == 201, made.content
        assert made.json()["feature"] == geometry and made.json()["encodingType"] == encoding


def test_non_finite_and_huge_coordinates_are_refused() -> None:
    # JSON cannot carry NaN or infinity (the body is then not valid JSON); Python callers can.
    for value in (math.nan, math.inf, -math.inf, 10**400):
        with pytest.raises(StaError, match=r"location.coordinates\[0\] must be a finite number"):
            services.check_geometry(point(value, 25.0), "location")


def test_an_overflowing_number_in_the_body_is_refused(writer: Client) -> None:
    body = json.dumps(location(point(121.5, 25.0))).replace("121.5", "1e400")
    response = writer.post(f"{STA}/Locations", data=body, content_type="application/json")
    refused(response, "The body is not valid JSON")
    assert not Location.objects.exists()


def test_patch_and_put_refuse_bad_geojson_and_keep_the_old(writer: Client, make_station: Callable[..., Thing]) -> None:
    thing = make_station(count=1)
    site = thing.locations.get()
    foi = FeatureOfInterest.objects.get()
    before = (site.location, foi.feature)
    for geometry, message in BAD:
        refused(patch(writer, f"/Locations({site.pk})", {"location": geometry}), "location" + message)
        refused(patch(writer, f"/FeaturesOfInterest({foi.pk})", {"feature": geometry}), "feature" + message)
        for path, body, name in (
            (f"/Locations({site.pk})", location(geometry), "location"),
            (f"/FeaturesOfInterest({foi.pk})", feature(geometry), "feature"),
        ):
            response = writer.put(STA + path, data=json.dumps(body), content_type="application/json")
            refused(response, name + message)
    site.refresh_from_db()
    foi.refresh_from_db()
    assert (site.location, foi.feature) == before


def test_a_good_patch_moves_the_location_and_its_box(writer: Client, make_station: Callable[..., Thing]) -> None:
    site = make_station(count=0).locations.get()
    response = patch(writer, f"/Locations({site.pk})", {"location": point(121.7, 25.2)})
    assert response.status_code == 200, response.content
    site.refresh_from_db()
    assert (site.bbox_min_x, site.bbox_min_y) == (121.7, 25.2)


def test_a_thing_with_a_bad_inline_location_saves_nothing(writer: Client) -> None:
    before = counts()
    refused(post(writer, "/Things", thing_payload(lon=121.5, lat=125.0)), "location.coordinates[1]: the latitude 125")
    assert counts() == before


def test_an_observation_with_a_bad_inline_feature_saves_nothing(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    datastream = make_station(count=1).datastreams.get()
    before = counts()
    bad = {"result": 1, "FeatureOfInterest": feature(point(-200, 25.0))}
    message = "feature.coordinates[0]: the longitude -200"
    refused(post(writer, f"/Datastreams({datastream.pk})/Observations", bad), message)
    refused(post(writer, "/Observations", {**bad, "Datastream": {"@iot.id": datastream.pk}}), message)
    assert counts() == before


def test_deep_inserts_nested_further_save_nothing_either(writer: Client, make_station: Callable[..., Thing]) -> None:
    make_station(count=1)
    before = counts()
    payload = thing_payload("Station 2")
    payload["Datastreams"][0]["Observations"] = [
        {"result": 1},
        {"result": 2, "FeatureOfInterest": feature({"type": "Point", "coordinates": [[121.5, 25.0]]})},
    ]
    refused(post(writer, "/Things", payload), "feature.coordinates must be a position")
    with_observations = {**feature(point(121.5, 25.0)), "Observations": [{"result": 1}]}
    with_observations["feature"] = point(121.5, 91)
    refused(post(writer, "/FeaturesOfInterest", with_observations), "feature.coordinates[1]: the latitude 91")
    assert counts() == before


def test_moving_a_thing_to_a_bad_location_keeps_it_where_it_was(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    thing = make_station(count=0)
    site = thing.locations.get()
    before = counts()
    response = patch(writer, f"/Things({thing.pk})", {"Locations": [location(point(121.5, -95))]})
    refused(response, "location.coordinates[1]: the latitude -95")
    assert counts() == before
    assert list(thing.locations.all()) == [site]


def test_rows_stored_before_the_check_are_still_read_patched_on_other_fields_and_linked(
    writer: Client, make_station: Callable[..., Thing]
) -> None:
    # Stored before GeoJSON was checked: the check is of what a request sends, not of what is kept.
    thing = make_station(count=1)
    site = thing.locations.get()
    foi = FeatureOfInterest.objects.get()
    old = {"type": "Point", "coordinates": [500, 25.0, 1, 2]}
    Location.objects.filter(pk=site.pk).update(location=old)
    FeatureOfInterest.objects.filter(pk=foi.pk).update(feature=old)
    assert get(writer, f"/Locations({site.pk})").json()["location"] == old
    assert patch(writer, f"/Locations({site.pk})", {"name": "renamed"}).status_code == 200
    assert patch(writer, f"/FeaturesOfInterest({foi.pk})", {"description": "renamed"}).status_code == 200
    linked = post(writer, "/Things", {"name": "Station 2", "description": "", "Locations": [{"@iot.id": site.pk}]})
    assert linked.status_code == 201, linked.content
    site.refresh_from_db()
    foi.refresh_from_db()
    assert (site.name, site.location, foi.description, foi.feature) == ("renamed", old, "renamed", old)
