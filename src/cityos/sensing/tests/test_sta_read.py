"""Reading the SensorThings API: resource paths, every query option, paging and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cityos.sensing.models import Observation, Thing
from cityos.sensing.sta.filter import MAX_DEPTH, MAX_TERMS
from cityos.sensing.tests.conftest import STA, get

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(make_station: Callable[..., Thing]) -> list[Thing]:
    return [
        make_station("Station 1", count=5, lon=121.5, lat=25.0),
        make_station("Station 2", count=3, lon=121.6, lat=25.1),
        make_station("Far station", count=2, lon=10.0, lat=50.0),
    ]


def values(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["value"]  # type: ignore[no-any-return]


def test_service_root_lists_entity_sets_and_conformance(client: Client) -> None:
    body = client.get(STA + "/").json()
    names = {entry["name"] for entry in body["value"]}
    assert names == {
        "Things",
        "Locations",
        "HistoricalLocations",
        "Datastreams",
        "Sensors",
        "ObservedProperties",
        "Observations",
        "FeaturesOfInterest",
    }
    assert all(entry["url"].startswith("http://testserver/sta/v1.1/") for entry in body["value"])
    assert (
        "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array" in body["serverSettings"]["conformance"]
    )


def test_entity_by_id_has_self_and_navigation_links(client: Client, network: list[Thing]) -> None:
    thing = network[0]
    body = get(client, f"/Things({thing.pk})").json()
    assert body["@iot.id"] == thing.pk
    assert body["@iot.selfLink"] == f"http://testserver{STA}/Things({thing.pk})"
    assert body["name"] == "Station 1"
    assert body["properties"]["kind"] == "water-quality"
    assert body["Datastreams@iot.navigationLink"] == f"http://testserver{STA}/Things({thing.pk})/Datastreams"
    assert body["Locations@iot.navigationLink"].endswith("/Locations")
    assert get(client, f"/Things('{thing.pk}')").json()["@iot.id"] == thing.pk


def test_navigation_property_and_value_paths(client: Client, network: list[Thing]) -> None:
    thing = network[0]
    datastream = thing.datastreams.get()
    streams = values(get(client, f"/Things({thing.pk})/Datastreams"))
    assert [d["@iot.id"] for d in streams] == [datastream.pk]
    assert get(client, f"/Datastreams({datastream.pk})/Thing").json()["@iot.id"] == thing.pk
    assert len(values(get(client, f"/Things({thing.pk})/Datastreams({datastream.pk})/Observations"))) == 5
    assert get(client, f"/Things({thing.pk})/name").json() == {"name": "Station 1"}
    raw = get(client, f"/Things({thing.pk})/name/$value")
    assert raw["Content-Type"].startswith("text/plain") and raw.content.decode() == "Station 1"
    assert get(client, f"/Datastreams({datastream.pk})/phenomenonTime").json() == {
        "phenomenonTime": "2026-03-01T00:00:00Z/2026-03-01T04:00:00Z"
    }
    history = values(get(client, f"/Things({thing.pk})/HistoricalLocations"))
    assert len(history) == 1
    location = values(get(client, f"/HistoricalLocations({history[0]['@iot.id']})/Locations"))[0]
    assert location["location"] == {"type": "Point", "coordinates": [121.5, 25.0]}


@pytest.mark.parametrize("city_zone", ["UTC", "Asia/Taipei", "America/Los_Angeles"])
def test_time_functions_read_times_in_utc_as_they_are_shown(
    client: Client, network: list[Thing], settings: Any, city_zone: str
) -> None:
    # The observations are at 00:00-04:00Z on 2026-03-01; in Taipei that is 08:00-12:00 and in
    # Los Angeles the day before. A client sees "...Z" times, so hour() and date() must agree.
    settings.TIME_ZONE = city_zone
    at_one = values(get(client, "/Observations", **{"$filter": "hour(phenomenonTime) eq 1"}))
    assert at_one and all(o["phenomenonTime"][11:13] == "01" for o in at_one)
    assert len(values(get(client, "/Observations", **{"$filter": "date(phenomenonTime) eq 2026-03-01"}))) == 10
    assert len(values(get(client, "/Observations", **{"$filter": "day(phenomenonTime) eq 1"}))) == 10
    early = values(get(client, "/Observations", **{"$filter": "time(phenomenonTime) lt 02:00:00"}))
    assert early and all(o["phenomenonTime"][11:13] in ("00", "01") for o in early)
    assert len(values(get(client, "/Observations", **{"$filter": "totaloffsetminutes(phenomenonTime) eq 0"}))) == 10


def test_ref_lists_self_links_only(client: Client, network: list[Thing]) -> None:
    refs = values(get(client, "/Things/$ref"))
    assert refs == [{"@iot.selfLink": f"http://testserver{STA}/Things({t.pk})"} for t in network]
    single = get(client, f"/Things({network[0].pk})/Datastreams/$ref").json()["value"][0]
    assert set(single) == {"@iot.selfLink"}


def test_filter_compares_strings_numbers_and_times(client: Client, network: list[Thing]) -> None:
    assert [t["name"] for t in values(get(client, "/Things", **{"$filter": "name eq 'Station 2'"}))] == ["Station 2"]
    assert len(values(get(client, "/Observations", **{"$filter": "result ge 12 and result lt 14"}))) == 3
    assert len(values(get(client, "/Observations", **{"$filter": "result add 1 eq 12"}))) == 3
    assert len(values(get(client, "/Observations", **{"$filter": "result mod 2 eq 0"}))) == 6
    late = values(get(client, "/Observations", **{"$filter": "phenomenonTime gt 2026-03-01T02:30:00Z"}))
    assert {o["result"] for o in late} == {13.0, 14.0}
    assert len(values(get(client, "/Observations", **{"$filter": "hour(phenomenonTime) eq 1"}))) == 3
    assert (
        len(
            values(
                get(client, "/Observations", **{"$filter": "year(phenomenonTime) eq 2026 and day(phenomenonTime) eq 1"})
            )
        )
        == 10
    )
    assert len(values(get(client, "/Things", **{"$filter": "not startswith(name, 'Station')"}))) == 1
    assert len(values(get(client, "/Things", **{"$filter": "substringof('tion 1', name) or endswith(name, '2')"}))) == 2
    assert len(values(get(client, "/Things", **{"$filter": "length(name) eq 9 and indexof(name, 'tion') eq 3"}))) == 2
    assert (
        len(
            values(
                get(
                    client,
                    "/Things",
                    **{"$filter": "toupper(substring(name, 0, 3)) eq 'STA' and trim(concat(' ', name)) eq name"},
                )
            )
        )
        == 2
    )
    assert (
        len(
            values(
                get(
                    client,
                    "/Observations",
                    **{"$filter": "round(result div 4) eq 3 and result gt 10.5 and floor(result) eq ceiling(result)"},
                )
            )
        )
        == 6
    )
    assert len(values(get(client, "/Things", **{"$filter": "properties/kind eq 'water-quality'"}))) == 3
    assert len(values(get(client, "/Things", **{"$filter": "description ne null"}))) == 3
    assert (
        len(values(get(client, "/Observations", **{"$filter": "phenomenonTime lt now() and resultTime eq null"}))) == 10
    )


def test_filter_through_links(client: Client, network: list[Thing]) -> None:
    observations = values(get(client, "/Observations", **{"$filter": "Datastream/Thing/name eq 'Station 2'"}))
    assert len(observations) == 3
    things = values(get(client, "/Things", **{"$filter": "Datastreams/Observations/result gt 13"}))
    assert [t["name"] for t in things] == ["Station 1"]  # once, though two observations match


def test_spatial_filters(client: Client, network: list[Thing]) -> None:
    taipei = "geography'POLYGON((121 24, 122 24, 122 26, 121 26, 121 24))'"
    inside = values(get(client, "/Locations", **{"$filter": f"st_within(location, {taipei})"}))
    assert len(inside) == 2
    assert len(values(get(client, "/Locations", **{"$filter": f"not geo.intersects(location, {taipei})"}))) == 1
    things = values(get(client, "/Things", **{"$filter": f"st_intersects(Locations/location, {taipei})"}))
    assert {t["name"] for t in things} == {"Station 1", "Station 2"}
    foi = values(get(client, "/Observations", **{"$filter": f"st_within(FeatureOfInterest/feature, {taipei})"}))
    assert len(foi) == 8


def test_orderby_top_skip_count_select(client: Client, network: list[Thing]) -> None:
    body = get(
        client, "/Observations", **{"$orderby": "result desc", "$top": "3", "$skip": "1", "$count": "true"}
    ).json()
    assert body["@iot.count"] == 10
    assert [o["result"] for o in body["value"]] == [13.0, 12.0, 12.0]
    names = [t["name"] for t in values(get(client, "/Things", **{"$orderby": "length(name) desc,name asc"}))]
    assert names == ["Far station", "Station 1", "Station 2"]
    selected = values(get(client, "/Things", **{"$select": "name,Datastreams"}))[0]
    assert set(selected) == {"name", "Datastreams@iot.navigationLink"}
    with_id = values(get(client, "/Things", **{"$select": "id"}))[0]
    assert set(with_id) == {"@iot.id", "@iot.selfLink"}


def test_server_driven_paging_with_next_links(client: Client, network: list[Thing]) -> None:
    body = get(client, "/Observations", **{"$top": "4", "$orderby": "id", "$filter": "result ge 10"}).json()
    seen = [o["@iot.id"] for o in body["value"]]
    while "@iot.nextLink" in body:
        assert body["@iot.nextLink"].startswith("http://testserver/sta/v1.1/Observations?")
        body = client.get(body["@iot.nextLink"]).json()
        seen += [o["@iot.id"] for o in body["value"]]
    assert seen == list(Observation.objects.order_by("id").values_list("id", flat=True))


def test_max_page_size_caps_top(client: Client, network: list[Thing], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITYOS_STA_MAX_TOP", "4")
    body = get(client, "/Observations", **{"$top": "1000"}).json()
    assert len(body["value"]) == 4
    assert "%24top=4" in body["@iot.nextLink"] or "$top=4" in body["@iot.nextLink"]


def test_nested_expand_with_its_own_options(client: Client, network: list[Thing]) -> None:
    expand = (
        "Locations,Datastreams($filter=startswith(name, 'Station');$top=2;"
        "$expand=Observations($orderby=phenomenonTime desc;$top=2;$count=true;$select=result))"
    )
    things = values(get(client, "/Things", **{"$expand": expand, "$orderby": "name"}))
    station_1 = things[1]
    assert station_1["name"] == "Station 1"
    assert station_1["Locations"][0]["name"] == "Station 1 site"
    (datastream,) = station_1["Datastreams"]
    assert datastream["Observations"] == [{"result": 14.0}, {"result": 13.0}]
    assert datastream["Observations@iot.count"] == 5
    # The next page keeps the nested options: the same order, count and selection, 2 further on.
    assert datastream["Observations@iot.nextLink"].endswith(
        "/Observations?$orderby=phenomenonTime%20desc&$count=true&$select=result&$top=2&$skip=2"
    )
    assert "Observations@iot.navigationLink" not in datastream
    assert things[0]["Datastreams"] == []  # "Far station" fails the nested filter
    path_expand = get(client, f"/Observations({Observation.objects.first().pk})", **{"$expand": "Datastream/Thing"})  # type: ignore[union-attr]
    assert path_expand.json()["Datastream"]["Thing"]["name"] == "Station 1"


def test_a_nested_next_link_keeps_the_nested_options(client: Client, network: list[Thing]) -> None:
    datastream = network[0].datastreams.get()
    expand = "Observations($filter=result gt 10.5;$orderby=phenomenonTime desc;$top=2;$select=result,id)"
    body = get(client, f"/Datastreams({datastream.pk})", **{"$expand": expand}).json()
    assert [o["result"] for o in body["Observations"]] == [14.0, 13.0]
    link = body["Observations@iot.nextLink"]
    assert link == (
        f"http://testserver{STA}/Datastreams({datastream.pk})/Observations"
        "?$filter=result%20gt%2010.5&$orderby=phenomenonTime%20desc&$select=result,id&$top=2&$skip=2"
    )
    following = client.get(link)  # the link as given: the rest of the same list
    assert [o["result"] for o in values(following)] == [12.0, 11.0]
    assert set(values(following)[0]) == {"result", "@iot.id", "@iot.selfLink"}
    assert "@iot.nextLink" not in following.json()


def test_json_members_are_read_through_links(client: Client, network: list[Thing]) -> None:
    """Datastream/Thing/properties/kind is the Thing's properties' kind, not a key "thing" of
    the Datastream's own JSON (Django's KT() reads paths so)."""
    every = {o.pk for o in Observation.objects.all()}
    found = values(get(client, "/Observations", **{"$filter": "Datastream/Thing/properties/kind eq 'water-quality'"}))
    assert {o["@iot.id"] for o in found} == every
    assert values(get(client, "/Datastreams", **{"$filter": "length(Thing/properties/kind) eq 13"}))
    ordered = values(get(client, "/Datastreams", **{"$orderby": "Thing/properties/kind,id", "$select": "id"}))
    assert len(ordered) == 3


def test_top_zero_counts_without_a_next_link(client: Client, network: list[Thing]) -> None:
    body = get(client, "/Observations", **{"$top": "0", "$count": "true"}).json()
    assert body == {"@iot.count": 10, "value": []}
    thing = get(client, f"/Things({network[0].pk})", **{"$expand": "Datastreams/Observations($top=0;$count=true)"})
    (datastream,) = thing.json()["Datastreams"]
    assert datastream["Observations"] == [] and datastream["Observations@iot.count"] == 5
    assert "Observations@iot.nextLink" not in datastream


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/Nothings", {}, 404, "There is no resource 'Nothings'"),
        ("/Things(999)", {}, 404, "There is no such Thing"),
        ("/Things(1)/Colour", {}, 404, "Thing has no property or link 'Colour'"),
        ("/Things/Datastreams", {}, 400, "Datastreams can only follow one entity"),
        ("/Things", {"$filter": "name eq"}, 400, "$filter: expected a value"),
        ("/Things", {"$filter": "colour eq 'red'"}, 400, "Thing has no property 'colour'"),
        ("/Things", {"$filter": "name gt 3"}, 400, "cannot compare a string with a number"),
        ("/Things", {"$filter": "name"}, 400, "not a condition"),
        ("/Things", {"$filter": "name add 1 eq 2"}, 400, "arithmetic needs numbers"),
        ("/Locations", {"$filter": "st_within(location, geography'POLYGON((0 0')"}, 400, "not valid WKT"),
        ("/Locations", {"$filter": "st_within(name, geography'POINT(0 0)')"}, 400, "compares a location property"),
        ("/Observations", {"$filter": "phenomenonTime gt 2026-01-01T00:00:00"}, 400, "has no time zone"),
        ("/Things", {"$top": "-1"}, 400, "$top must be a whole number"),
        ("/Things", {"$count": "yes"}, 400, "$count must be true or false"),
        ("/Things", {"$select": "colour"}, 400, "$select: Thing has no property 'colour'"),
        ("/Things", {"$expand": "Sensors"}, 400, "$expand: Thing has no link 'Sensors'"),
        ("/Things", {"$expand": "Datastreams($top=2"}, 400, "unbalanced"),
        ("/Things", {"$expand": "Datastreams($top)"}, 400, "is not name=value"),
        ("/Things", {"$orderby": "Datastreams/name"}, 400, "$orderby: a property reached through a list"),
        ("/Things", {"$orderby": "properties"}, 400, "$orderby: properties is a JSON object"),
        ("/Things", {"$filter": "properties eq 'x'"}, 400, "$filter: properties is a JSON object"),
        ("/Things", {"$filter": "length(properties) gt 1"}, 400, "use one of its members"),
        (
            "/Observations",
            {"$filter": "year(Datastream/unitOfMeasurement) eq 2026"},
            400,
            "unitOfMeasurement is a JSON",
        ),
        ("/Datastreams", {"$orderby": "Thing/properties desc"}, 400, "order by one of its members"),
        ("/Things", {"$frobnicate": "1"}, 400, "unknown query option '$frobnicate'"),
        # Whole numbers beyond a 64-bit column: named, never a server error.
        ("/Things", {"$filter": "id eq 99999999999999999999999"}, 400, "number 99999999999999999999999 is too large"),
        ("/Things", {"$filter": "length(name) gt 99999999999999999999"}, 400, "the number 99999999999999999999 is"),
        ("/Things", {"$orderby": "id add 99999999999999999999"}, 400, "$orderby: the number 99999999999999999999"),
        ("/Things", {"$skip": "99999999999999999999"}, 400, "$skip must be at most"),
        ("/Things(99999999999999999999)", {}, 404, "There is no Thing with @iot.id 99999999999999999999"),
        # {thing}: a Thing of the network (ids are not reset between tests on PostgreSQL).
        ("/Things({thing})/Datastreams(99999999999999999999)", {}, 404, "There is no Datastream with @iot.id"),
    ],
)
def test_bad_reads_get_sensorthings_errors(
    client: Client, network: list[Thing], path: str, params: dict[str, str], status: int, message: str
) -> None:
    response = get(client, path.replace("{thing}", str(network[0].pk)), **params)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == status and body["type"] == "error"
    assert message in body["message"]


def test_long_and_deep_filters_are_answered_or_refused_never_a_server_error(
    client: Client, network: list[Thing]
) -> None:
    """The development server and most WSGI servers pass URLs of any length: a filter of
    thousands of terms must come back as an answer or a SensorThings 400, not a 500."""
    ids = list(Observation.objects.order_by("pk").values_list("pk", flat=True))
    wanted = ids[:3]
    many = " or ".join(f"id eq {pk}" for pk in [*range(10**6, 10**6 + MAX_TERMS - 3), *wanted])
    assert [o["@iot.id"] for o in values(get(client, "/Observations", **{"$filter": many}))] == wanted
    every = " and ".join(f"result ge {n}" for n in range(MAX_TERMS))
    assert values(get(client, "/Observations", **{"$filter": every})) == []  # no result reaches 499
    deep = "(" * (MAX_DEPTH - 1) + "result add 1 gt 14" + ")" * (MAX_DEPTH - 1)
    assert len(values(get(client, "/Observations", **{"$filter": deep}))) == 1
    refusals = {
        " and ".join(f"result gt {n}" for n in range(2000)): f"more than {MAX_TERMS} conditions",
        " or ".join(f"id eq {n}" for n in range(2000)): f"more than {MAX_TERMS} conditions",
        "result" + " add 1" * 2000 + " gt 0": f"nested too deeply (at most {MAX_DEPTH} levels)",
        "(" * 2000 + "result gt 0" + ")" * 2000: f"nested too deeply (at most {MAX_DEPTH} levels)",
        "not " * 2000 + "result gt 0": f"nested too deeply (at most {MAX_DEPTH} levels)",
    }
    for text, message in refusals.items():
        for option in ("$filter", "$orderby"):
            response = get(client, "/Observations", **{option: text})
            assert response.status_code == 400, (option, text[:40], response.content)
            assert message in response.json()["message"] and response.json()["message"].startswith(option)
    # A chain used where a value belongs is named in the error, shortened.
    wrong = get(client, "/Observations", **{"$filter": f"({every}) add 1 gt 0"}).json()["message"]
    assert "a condition cannot be used as a value" in wrong and len(wrong) < 400


def test_a_filter_the_database_cannot_evaluate_is_a_400(client: Client, network: list[Thing]) -> None:
    Thing.objects.filter(pk=network[0].pk).update(properties={"depth": "deep"})
    response = get(client, "/Things", **{"$filter": "properties/depth gt 3"})
    assert response.status_code in (200, 400)  # SQLite compares loosely; PostgreSQL refuses the cast
    if response.status_code == 400:
        assert response.json()["type"] == "error"
    assert get(client, "/Things").status_code == 200


def test_reads_can_be_closed_to_the_public(
    client: Client, network: list[Thing], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYOS_STA_PUBLIC_READ", "false")
    response = get(client, "/Things")
    assert response.status_code == 401 and response.json()["type"] == "error"
    assert response["WWW-Authenticate"].startswith("Bearer")
