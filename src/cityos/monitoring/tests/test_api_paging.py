"""The public monitoring lists page like every list of the open API: ``limit``/``offset`` in,
``{count, next, previous, results}`` out, in an order that ties never shuffle. Their GeoJSON
layers stay whole FeatureCollections, for the maps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cityos.core.api.tests.paging import BAD_PAGING, assert_bad_paging_refused, documented_page
from cityos.core.api.tests.paging import every_page as every_page_of
from cityos.monitoring.tests.factories import district, observe, thing

pytestmark = pytest.mark.django_db
API = "/api/v1/monitoring"


def every_page(url: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each page and every result of an open list, read anonymously."""
    return every_page_of(Client(), url, params)


@pytest.fixture
def five_traps() -> list[int]:
    """Five traps of one name on one line: only their ids tell them apart."""
    now = timezone.now()
    traps = [thing("Trap", "predator-trap", ["trap-event"], trap_line="ridge") for _ in range(5)]
    observe(traps[0], "trap-event", [(now - timedelta(days=10), 1)], parameters={"species": "rat"})
    return [t.pk for t in traps]


def test_traps_page_by_line_and_name_ties_by_id_keeping_the_filters(five_traps):
    pages, rows = every_page(f"{API}/traps", {"limit": 2, "days": 5})
    assert [len(p["results"]) for p in pages] == [2, 2, 1] and {p["count"] for p in pages} == {5}
    assert pages[0]["next"].startswith(f"http://testserver{API}/traps?") and "days=5" in pages[0]["next"]
    assert pages[0]["previous"] is None and pages[-1]["previous"] is not None
    assert [t["id"] for t in rows] == sorted(five_traps)
    assert all(t["catches"] == 0 for t in rows)  # the catch 10 days ago is outside days=5


def test_a_map_layer_stays_one_whole_feature_collection(five_traps):
    body = Client().get(f"{API}/traps/geojson", {"limit": 2}).json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 5


def test_car_parks_of_one_name_page_by_id():
    now = timezone.now()
    for park_id in ("north", "east", "west"):
        bay = thing(f"Bay {park_id}", "parking-bay", ["occupied"], car_park="City Car Park", car_park_id=park_id)
        observe(bay, "occupied", [(now - timedelta(minutes=1), False)])
    pages, rows = every_page(f"{API}/parking", {"limit": 2})
    assert [len(p["results"]) for p in pages] == [2, 1] and pages[0]["count"] == 3
    assert [p["id"] for p in rows] == ["east", "north", "west"]


@pytest.mark.parametrize(
    ("layer", "kind", "properties"), [("water", "water-quality", ["pH"]), ("air", "air-quality", ["pm25"])]
)
def test_districts_page_by_name(layer, kind, properties):
    for code, name in (("c", "Cove"), ("a", "Anchor"), ("b", "Bay")):
        district(code, name)
        thing(f"{layer} {code}", kind, properties, district=code)
    pages, rows = every_page(f"{API}/{layer}", {"limit": 1})
    assert len(pages) == 3 and pages[0]["count"] == 3
    assert [r["name"] for r in rows] == ["Anchor", "Bay", "Cove"]


def test_the_guidelines_fit_one_page_and_page_when_asked():
    whole = Client().get(f"{API}/water/guidelines").json()
    assert whole["count"] == 4 and whole["next"] is None and len(whole["results"]) == 4
    _pages, rows = every_page(f"{API}/water/guidelines", {"limit": 3})
    assert [g["measure"] for g in rows] == ["pH", "turbidity", "chlorine", "conductivity"]


@pytest.mark.parametrize("path", ["parking", "water", "water/guidelines", "air", "traps"])
@pytest.mark.parametrize(("query", "code"), BAD_PAGING)
def test_a_bad_limit_or_offset_is_a_422_naming_it(path, query, code):
    assert_bad_paging_refused(Client().get(f"{API}/{path}", query), query, code)


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("parking", "CarParkOut"),
        ("water", "WaterDistrictOut"),
        ("water/guidelines", "GuidelineOut"),
        ("air", "AirDistrictOut"),
        ("traps", "TrapOut"),
    ],
)
def test_openapi_documents_the_paged_lists(path, item):
    parameters, page, item_schema = documented_page(Client(), f"{API}/{path}")
    assert {"limit", "offset"} <= parameters
    assert page == {"count", "next", "previous", "results"} and item_schema == item
