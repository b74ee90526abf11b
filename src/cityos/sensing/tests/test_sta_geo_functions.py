"""geo.distance, geo.length and st_relate in $filter (OGC 18-088, 9.3.3.5.2), on FROST's fixture:
its geospatial tests' eight Locations and FeaturesOfInterest, and their expected answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityos.core.accounts.models import User
from cityos.sensing import services
from cityos.sensing.models import Location, ObservationType
from cityos.sensing.sta import geo_functions
from cityos.sensing.sta.compile import compile_filter
from cityos.sensing.sta.errors import StaError
from cityos.sensing.sta.filter import BinOp, Call, Literal, Negate, Node, Not, Path
from cityos.sensing.sta.schema import ENTITY_TYPES
from cityos.sensing.tests.conftest import CELSIUS, STA, get

pytestmark = pytest.mark.django_db

POINT = {"type": "Point"}
GEOMETRIES: list[dict[str, Any]] = [
    {**POINT, "coordinates": [8, 51]},
    {**POINT, "coordinates": [8, 52]},
    {**POINT, "coordinates": [8, 53]},
    {"type": "Feature", "properties": {}, "geometry": {**POINT, "coordinates": [8, 54]}},
    {"type": "Polygon", "coordinates": [[[8, 53], [7, 52], [7, 53], [8, 53]]]},
    {"type": "LineString", "coordinates": [[5, 52], [5, 53]]},  # 1 long
    {"type": "LineString", "coordinates": [[5, 52], [6, 53]]},  # √2 long
    {"type": "LineString", "coordinates": [[4, 52], [8, 52]]},  # 4 long
]


def _datastream(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": "temperature",
        "unitOfMeasurement": CELSIUS,
        "observationType": ObservationType.MEASUREMENT,
        "Sensor": {"name": "Sensor 1", "description": "s", "encodingType": "text", "metadata": "m"},
        "ObservedProperty": {"name": "Temperature", "definition": "http://ucom.org/temperature", "description": "t"},
    }


@pytest.fixture
def frost(operator: User) -> None:
    """Locations 0-7, FeaturesOfInterest "FoI 0"-"FoI 7" of the same geometries, and one
    Observation (result = its number) of each of FoI 0-4, as FROST's tests make them."""
    things = [
        services.create_entity(
            "Thing", {"name": f"Thing {i}", "description": "t", "Datastreams": [_datastream(f"DS {i}")]}, user=operator
        )
        for i in range(1, 5)
    ]
    owners = {0: things[0], 1: things[0], 2: things[1], 3: things[2], 4: things[3]}
    for i, geometry in enumerate(GEOMETRIES):
        location: dict[str, Any] = {
            "name": f"Location {i}",
            "description": "l",
            "encodingType": "application/geo+json",
            "location": geometry,
        }
        if i in owners:
            location["Things"] = [{"@iot.id": owners[i].pk}]
        services.create_entity("Location", location, user=operator)
        foi = services.create_entity(
            "FeatureOfInterest",
            {"name": f"FoI {i}", "description": "f", "encodingType": "application/geo+json", "feature": geometry},
            user=operator,
        )
        if i in owners:
            services.create_entity(
                "Observation",
                {
                    "result": i,
                    "phenomenonTime": f"2016-01-0{i + 1}T01:01:01Z",
                    "Datastream": {"@iot.id": owners[i].datastreams.get().pk},
                    "FeatureOfInterest": {"@iot.id": foi.pk},
                },
                user=operator,
            )


def names(client: Client, path: str, filter_text: str, prefix: str) -> set[int]:
    response = get(client, path, **{"$filter": filter_text, "$top": "100"})
    assert response.status_code == 200, response.content
    found = set()
    for entity in response.json()["value"]:
        name = entity.get("name", "")
        if path == "/Observations":
            found.add(int(entity["result"]))
        elif name.startswith(prefix):
            found.add(int(name.removeprefix(prefix)))
    return found


ALL = set(range(8))


@pytest.mark.parametrize(
    ("path", "filter_text", "expected"),
    [
        # FROST's testGeoDistance
        ("/Locations", "geo.distance(location, geography'POINT(8 54.1)') lt 1", {3}),
        ("/Locations", "geo.distance(location, geography'POINT(8 54.1)') gt 1", ALL - {3}),
        ("/Observations", "geo.distance(FeatureOfInterest/feature, geography'POINT(8 54.1)') lt 1", {3}),
        ("/Observations", "geo.distance(FeatureOfInterest/feature, geography'POINT(8 54.1)') gt 1", {0, 1, 2, 4}),
        ("/Locations", "geo.distance(location, geography'SRID=4326;POINT(8 54.1)') lt 1", {3}),
        # FROST's testGeoLength
        ("/Locations", "geo.length(location) gt 1", {6, 7}),
        ("/Locations", "geo.length(location) ge 1", {5, 6, 7}),
        ("/Locations", "geo.length(location) eq 1", {5}),
        ("/Locations", "geo.length(location) ne 1", ALL - {5}),
        ("/Locations", "geo.length(location) le 4", ALL),
        ("/Locations", "geo.length(location) lt 4", ALL - {7}),
        ("/FeaturesOfInterest", "geo.length(feature) gt 1", {6, 7}),
        ("/FeaturesOfInterest", "geo.length(feature) eq 1", {5}),
        ("/FeaturesOfInterest", "geo.length(feature) lt 4", ALL - {7}),
        # FROST's testStRelate, and the geo.intersects tests with an EWKT literal
        (
            "/Locations",
            "st_relate(geography'POLYGON((7.5 51.5, 7.5 53.5, 8.5 53.5, 8.5 51.5, 7.5 51.5))', location, 'T********')",
            {1, 2, 4, 7},
        ),
        (
            "/FeaturesOfInterest",
            "st_relate(geography'POLYGON((7.5 51.5, 7.5 53.5, 8.5 53.5, 8.5 51.5, 7.5 51.5))', feature, 'T********')",
            {1, 2, 4, 7},
        ),
        ("/Locations", "geo.intersects(location, geography'SRID=4326;LINESTRING(7.5 51, 7.5 54)')", {4, 7}),
    ],
)
def test_frost_geospatial_examples(
    client: Client, frost: None, path: str, filter_text: str, expected: set[int]
) -> None:
    prefix = "FoI " if path == "/FeaturesOfInterest" else "Location "
    assert names(client, path, filter_text, prefix) == expected


def test_a_measure_compares_either_way_round_and_with_arithmetic_on_literals(client: Client, frost: None) -> None:
    near = "geo.distance(location, geography'POINT(8 54.1)')"
    assert names(client, "/Locations", f"1 gt {near}", "Location ") == {3}
    # a distance in metres, by the metres in a degree of latitude
    assert names(client, "/Locations", f"{near} mul 111320 lt 20000", "Location ") == {3}
    assert names(client, "/Locations", f"20000 gt 111320 mul {near}", "Location ") == {3}
    assert names(client, "/Locations", "geo.length(location) add 1 gt 2", "Location ") == {6, 7}
    assert names(client, "/Locations", "-geo.length(location) lt -1", "Location ") == {6, 7}
    assert names(client, "/Locations", f"{near} lt 20000 div 111320", "Location ") == {3}
    assert names(client, "/Locations", f"{near} lt -1", "Location ") == set()
    assert names(client, "/Locations", f"not ({near} lt 1) and geo.length(location) eq 0", "Location ") == {0, 1, 2, 4}
    assert names(client, "/Locations", f"{near} le 0.2 or name eq 'Location 7'", "Location ") == {3, 7}


def test_measures_of_literals_are_constants(client: Client, frost: None) -> None:
    three_four_five = "geo.distance(geography'POINT(0 0)', geography'POINT(3 4)') eq 5"
    assert names(client, "/Locations", three_four_five, "Location ") == ALL
    assert names(client, "/Locations", "geo.length(geography'LINESTRING(0 0, 0 2)') lt 1", "Location ") == set()


def test_things_by_the_distance_of_their_locations_are_listed_once(client: Client, frost: None) -> None:
    response = get(
        client, "/Things", **{"$filter": "geo.distance(Locations/location, geography'POINT(8 51.5)') le 0.5"}
    )
    assert response.status_code == 200, response.content
    assert [thing["name"] for thing in response.json()["value"]] == ["Thing 1"]  # both its Locations match


def test_the_standard_example_distance_in_degrees(client: Client, operator: User) -> None:
    services.create_entity(
        "Location",
        {
            "name": "Manhattan",
            "description": "m",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [-73.905, 40.705]},
        },
        user=operator,
    )
    services.create_entity(
        "Location",
        {
            "name": "Albany",
            "description": "a",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [-73.75, 42.65]},
        },
        user=operator,
    )
    response = get(client, "/Locations", **{"$filter": "geo.distance(location, geography'POINT(-73.9 40.7)') lt 0.01"})
    assert [location["name"] for location in response.json()["value"]] == ["Manhattan"]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/Locations",
            {"$filter": "geo.distance(location, geography'POINT(0 0)')"},
            "can only be compared with a number",
        ),
        (
            "/Locations",
            {"$filter": "geo.distance(location, geography'POINT(0 0)') lt name"},
            "compared with a number made of literals",
        ),
        ("/Locations", {"$filter": "round(geo.length(location)) gt 2"}, "can only be compared with a number"),
        ("/Locations", {"$filter": "geo.length(location) lt geo.length(location)"}, "one measure of the row"),
        ("/Locations", {"$filter": "geo.length(location) div 0 lt 1"}, "divided by zero"),
        ("/Locations", {"$filter": "geo.length(location) lt 1e308 mul 10 mod 2"}, "has no value"),
        (
            "/Locations",
            {"$orderby": "geo.distance(location, geography'POINT(0 0)') mul 2"},
            "$orderby: geo.distance() can only be compared with a number",
        ),
        (
            "/Things",
            {"$orderby": "geo.distance(Locations/location, geography'POINT(0 0)')"},
            "$orderby: a property reached through a list of entities cannot order results",
        ),
        ("/Locations", {"$orderby": "geo.distance(location, geography'POINT(0')"}, "$orderby: the geography literal"),
        (
            "/Locations",
            {"$filter": "geo.distance(location, location) lt 1"},
            "geo.distance() measures between a location property and a literal",
        ),
        ("/Locations", {"$filter": "geo.distance(name, geography'POINT(0 0)') lt 1"}, "geo.distance() measures"),
        ("/Locations", {"$filter": "geo.length(geography'LINESTRING(0 0') lt 1"}, "not valid WKT"),
        ("/Locations", {"$filter": "geo.distance(location, geography'SRID=3857;POINT(0 0)') lt 1"}, "only SRID=4326"),
        ("/Locations", {"$filter": "geo.distance(location, geography'POINT(0 0)') lt 1 div 0"}, "divided by zero"),
        ("/Locations", {"$filter": "st_relate(location, geography'POINT(0 0)', 'T*')"}, "DE-9IM pattern"),
        (
            "/Locations",
            {"$filter": "st_relate(location, location, 'T********')"},
            "relates a location property and a literal",
        ),
    ],
)
def test_misused_geospatial_functions_are_refused_with_a_reason(
    client: Client, path: str, params: dict[str, str], message: str
) -> None:
    response = client.get(STA + path, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "error" and message in body["message"], body


GEO_PATHS = [("FeatureOfInterest", "feature"), ("result",), ("Datastream", "observedArea"), ("nothing",)]
geo_leaves = st.one_of(
    st.sampled_from(GEO_PATHS).map(Path),
    st.integers(-5, 50).map(lambda v: Literal(v, "number")),
    st.sampled_from([0.5, 1e308]).map(lambda v: Literal(v, "number")),
    st.sampled_from(["T********", "x"]).map(lambda v: Literal(v, "string")),
    st.sampled_from(["POINT(121 24)", "LINESTRING(0 0, 1 1)", "SRID=4326;POINT(1 2)", "POINT EMPTY", "POINT("]).map(
        lambda v: Literal(v, "geography")
    ),
)
GEO_CALLS = {"geo.distance": 2, "geo.length": 1, "st_relate": 3, "round": 1}


def _geo_extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(
            BinOp,
            st.sampled_from(["eq", "ne", "lt", "ge", "and", "or", "add", "mul", "div", "mod"]),
            children,
            children,
        ),
        st.builds(Not, children),
        st.builds(Negate, children),
        st.builds(
            lambda name, args: Call(name, tuple(args[: GEO_CALLS[name]])),
            st.sampled_from(sorted(GEO_CALLS)),
            st.lists(children, min_size=3, max_size=3),
        ),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(geo_leaves, _geo_extend, max_leaves=8))
def test_any_tree_with_geospatial_functions_compiles_or_is_refused_with_a_reason(tree: Node) -> None:
    try:
        compile_filter(ENTITY_TYPES["Observation"], tree)
    except StaError as error:
        assert error.code == 400 and error.message


# --- $orderby on a measure (as FROST orders with PostGIS) ------------------------------------
# From POINT(8 51): Location 0 is on it, 1 and 7 are 1 away, 4 is √2, 2 is 2, 6 is √8, 3 is 3
# and 5 is √10.
NEAREST_FIRST = [0, 1, 7, 4, 2, 6, 3, 5]
FROM = "geo.distance(location, geography'POINT(8 51)')"


def ordered(client: Client, path: str, **params: str) -> list[int]:
    response = get(client, path, **{"$top": "100", **params})
    assert response.status_code == 200, response.content
    if path == "/Observations":
        return [int(entity["result"]) for entity in response.json()["value"]]
    return [int(entity["name"].rsplit(" ", 1)[1]) for entity in response.json()["value"]]


@pytest.mark.parametrize("leaf", [64, 1])  # 1: every row is found through the CASE's id tree
def test_orderby_distance_lists_the_nearest_first_and_breaks_ties_by_id(
    client: Client, frost: None, monkeypatch: pytest.MonkeyPatch, leaf: int
) -> None:
    monkeypatch.setattr(geo_functions, "_LEAF", leaf)
    assert ordered(client, "/Locations", **{"$orderby": FROM}) == NEAREST_FIRST
    assert ordered(client, "/Locations", **{"$orderby": f"{FROM} asc"}) == NEAREST_FIRST
    assert ordered(client, "/Locations", **{"$orderby": f"{FROM} desc"}) == [5, 3, 6, 2, 4, 1, 7, 0]


def test_orderby_distance_takes_further_keys_and_a_filter(client: Client, frost: None) -> None:
    assert ordered(client, "/Locations", **{"$orderby": f"{FROM},name desc"}) == [0, 7, 1, 4, 2, 6, 3, 5]
    assert ordered(client, "/Locations", **{"$orderby": f"{FROM} desc", "$filter": f"{FROM} le 2"}) == [2, 4, 1, 7, 0]
    assert ordered(client, "/Locations", **{"$orderby": "geo.length(location) desc"})[:3] == [7, 6, 5]


def test_orderby_distance_pages_through_every_row_once_by_next_links(client: Client, frost: None) -> None:
    response = get(client, "/Locations", **{"$orderby": FROM, "$top": "3"})
    seen: list[int] = []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [int(entity["name"].rsplit(" ", 1)[1]) for entity in body["value"]]
        if "@iot.nextLink" not in body:
            break
        response = client.get(body["@iot.nextLink"])
    assert seen == NEAREST_FIRST


def test_orderby_distance_of_a_linked_feature_and_inside_expand(client: Client, frost: None) -> None:
    feature = "geo.distance(FeatureOfInterest/feature, geography'POINT(8 51)')"
    assert ordered(client, "/Observations", **{"$orderby": feature}) == [0, 1, 4, 2, 3]
    nested = f"Observations($orderby={feature} desc)"
    response = get(client, "/Datastreams", **{"$filter": "name eq 'DS 1'", "$expand": nested})
    assert [observation["result"] for observation in response.json()["value"][0]["Observations"]] == [1, 0]


def test_a_row_without_a_readable_geometry_sorts_as_the_farthest(client: Client, frost: None) -> None:
    Location.objects.filter(name="Location 0").update(location={"type": "Nothing"})
    assert ordered(client, "/Locations", **{"$orderby": FROM}) == [*NEAREST_FIRST[1:], 0]
    assert ordered(client, "/Locations", **{"$orderby": f"{FROM} desc"}) == [0, 5, 3, 6, 2, 4, 1, 7]


def test_orderby_distance_of_too_many_rows_is_refused_until_a_filter_narrows_them(
    client: Client, frost: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geo_functions, "ORDER_LIMIT", 3)
    response = get(client, "/Locations", **{"$orderby": FROM})
    assert response.status_code == 400
    assert "can order at most 3 entities with a location; narrow them with a $filter" in response.json()["message"]
    assert ordered(client, "/Locations", **{"$orderby": FROM, "$filter": f"{FROM} lt 1.2"}) == [0, 1, 7]
