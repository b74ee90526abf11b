"""A route's GPX 1.1, read back with gpxpy (an independent GPX client), as a crew's navigation app would."""

from __future__ import annotations

from datetime import UTC, timedelta
from xml.etree import ElementTree as ET

import gpxpy
import pytest
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.waste import geo
from cityos.waste.models import Route, Stop, StopKind
from cityos.waste.tests.factories import published_plan

pytestmark = pytest.mark.django_db

GPX = "{http://www.topografix.com/GPX/1/1}"


@pytest.fixture
def route(db) -> Route:
    """The published plan's route with the most bins (so no check below can pass on an empty route)."""
    plan = published_plan()
    route = max(plan.routes.all(), key=lambda r: r.stops.filter(kind=StopKind.BIN).count())
    assert route.stops.filter(kind=StopKind.BIN).count() >= 2
    return route


def visited(route: Route) -> list[Stop]:
    return [s for s in route.stops.select_related("bin").order_by("sequence") if s.kind != StopKind.BREAK]


def download(staff_client, route: Route) -> str:
    _, crew = staff_client(Role.SERVICE_AGENT)
    response = crew.get(reverse("waste:route-gpx", args=[route.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gpx+xml"
    assert response["Content-Disposition"].startswith("attachment;") and ".gpx" in response["Content-Disposition"]
    return response.content.decode("utf-8")


def test_the_file_is_gpx_1_1_in_the_gpx_namespace_with_elements_in_schema_order(staff_client, route):
    text = download(staff_client, route)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode())  # noqa: S314 - our own file
    assert root.tag == f"{GPX}gpx" and root.get("version") == "1.1" and root.get("creator") == "CityOS"
    # Every element is in the GPX 1.1 namespace (a wrong or missing namespace makes apps reject the file).
    assert all(element.tag.startswith(GPX) for element in root.iter())
    # The schema's sequence: metadata, then wpt*, then rte*.
    tags = [child.tag.removeprefix(GPX) for child in root]
    stops = visited(route)
    assert tags == ["metadata"] + ["wpt"] * len(stops) + ["rte"]
    points = [*root.iter(f"{GPX}wpt"), *root.iter(f"{GPX}rtept")]
    assert len(points) == 2 * len(stops)
    for point in points:
        order = [child.tag.removeprefix(GPX) for child in point]
        assert order == sorted(order, key=["time", "name", "desc", "type"].index)
    parsed = gpxpy.parse(text)
    assert parsed.version == "1.1" and parsed.creator == "CityOS"
    assert parsed.name == f"{route.vehicle.name} {route.plan.date.isoformat()}"


def test_the_waypoints_are_the_stops_in_visiting_order_with_bin_refs_and_coordinates(staff_client, route):
    parsed = gpxpy.parse(download(staff_client, route))
    stops = visited(route)
    assert len(parsed.waypoints) == len(stops)
    for waypoint, stop in zip(parsed.waypoints, stops, strict=True):
        assert (waypoint.latitude, waypoint.longitude) == pytest.approx((stop.latitude, stop.longitude), abs=1e-6)
        assert waypoint.type == stop.kind
        if stop.bin is not None:
            assert stop.kind == StopKind.BIN
            assert waypoint.name == f"{stop.sequence}. {stop.bin.ref}"
        else:
            assert waypoint.name == f"{stop.sequence}. {stop.label}"
    bins = [str(w.name).split(". ", 1)[1] for w in parsed.waypoints if w.type == StopKind.BIN]
    assert bins == [s.bin.ref for s in stops if s.bin is not None] and len(bins) >= 2
    # The route starts and ends at the depot.
    assert parsed.waypoints[0].type == parsed.waypoints[-1].type == StopKind.DEPOT


def test_the_route_to_follow_passes_through_every_stop_in_order(staff_client, route):
    parsed = gpxpy.parse(download(staff_client, route))
    assert len(parsed.routes) == 1
    points = parsed.routes[0].points
    assert [(p.latitude, p.longitude, p.name) for p in points] == [
        (w.latitude, w.longitude, w.name) for w in parsed.waypoints
    ]
    assert len(points) == len(visited(route))
    assert parsed.length_2d() == 0  # no track: the file carries stops, not a recorded trace
    assert parsed.routes[0].length() > 0


def test_every_point_has_the_stops_expected_time_in_utc(staff_client, route):
    text = download(staff_client, route)
    parsed = gpxpy.parse(text)
    stops = visited(route)
    for point in parsed.waypoints:
        assert point.time is not None and point.time.utcoffset() == timedelta(0)
    times = [w.time for w in parsed.waypoints if w.time is not None]
    assert times == [s.eta.astimezone(UTC).replace(microsecond=0) for s in stops]
    assert times == sorted(times) and times[0] < times[-1]
    assert [p.time for p in parsed.routes[0].points] == times
    assert parsed.time == route.plan.created_at.astimezone(UTC).replace(microsecond=0)
    assert "+00:00" not in text  # GPX times are UTC, written with Z


def test_a_bins_address_is_its_description_and_markup_in_it_is_escaped(staff_client, route):
    stop = route.stops.filter(kind=StopKind.BIN).select_related("bin").first()
    stop.bin.address = "Kerk & <Plein> 3\x0b"
    stop.bin.save()
    parsed = gpxpy.parse(download(staff_client, route))
    waypoint = next(w for w in parsed.waypoints if w.name == f"{stop.sequence}. {stop.bin.ref}")
    assert waypoint.description == "Kerk & <Plein> 3"  # the vertical tab XML cannot carry is dropped
    others = [w for w in parsed.waypoints if w is not waypoint]
    assert others and all(w.description is None for w in others)


def test_crew_breaks_are_left_out(route):
    last = route.stops.order_by("-sequence").first()
    Stop.objects.create(
        route=route,
        sequence=last.sequence + 1,
        kind=StopKind.BREAK,
        longitude=last.longitude + 0.01,
        latitude=last.latitude,
        label="Crew break",
        eta=last.eta + timedelta(minutes=5),
    )
    parsed = gpxpy.parse(geo.route_gpx(route))
    assert route.stops.filter(kind=StopKind.BREAK).exists()
    assert StopKind.BREAK not in {w.type for w in parsed.waypoints}
    assert StopKind.BREAK not in {p.type for p in parsed.routes[0].points}
    assert len(parsed.waypoints) == len(visited(route))


def test_the_api_serves_the_same_gpx_to_crews_only(client, staff_client, route):
    page = download(staff_client, route)
    _, crew = staff_client(Role.SERVICE_AGENT)
    api = crew.get(f"/api/v1/waste/routes/{route.pk}/gpx")
    assert api.status_code == 200 and api["Content-Type"] == "application/gpx+xml"
    assert api.content.decode() == page
    assert client.get(f"/api/v1/waste/routes/{route.pk}/gpx").status_code == 401
    _, clerk = staff_client(Role.CASEWORKER)
    assert clerk.get(f"/api/v1/waste/routes/{route.pk}/gpx").status_code == 403
    assert clerk.get(reverse("waste:route-gpx", args=[route.pk])).status_code == 403
    assert crew.get(reverse("waste:route-gpx", args=[route.pk + 1000])).status_code == 404
