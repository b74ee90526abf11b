"""H3 helpers other apps aggregate with: cells, counts with small ones withheld, polygons."""

from __future__ import annotations

import h3
import pytest
from django.test import override_settings
from shapely.geometry import shape

from cityos.core.geo import h3cells
from cityos.core.geo.tests.geojson import square


def test_a_point_falls_in_one_cell_at_the_asked_resolution():
    cell = h3cells.cell_for(40.7128, -73.906, 9)
    assert h3.get_resolution(cell) == 9
    assert h3cells.cell_for(40.7128, -73.906) == cell  # places' resolution by default
    assert h3.get_resolution(h3cells.cell_for(40.7128, -73.906, 6)) == 6


@pytest.mark.parametrize(("lat", "lon", "resolution"), [(91, 0, 9), (0, 181, 9), (0, 0, 16)])
def test_a_point_or_resolution_out_of_range_is_refused(lat, lon, resolution):
    with pytest.raises(ValueError):
        h3cells.cell_for(lat, lon, resolution)


def test_counts_below_the_threshold_are_withheld():
    busy, quiet = h3cells.cell_for(0.001, 0.001), h3cells.cell_for(0.5, 0.5)
    counts = h3cells.count_per_cell([busy] * 5 + [quiet] * 4, threshold=5)
    assert counts.counts == {busy: 5}
    assert counts.suppressed_cells == 1 and counts.threshold == 5 and counts.total_shown == 5


@override_settings(CITYOS_SMALL_COUNT_THRESHOLD=3)
def test_the_threshold_comes_from_settings_by_default():
    cell = h3cells.cell_for(0.001, 0.001)
    assert h3cells.count_per_cell([cell] * 3).counts == {cell: 3}
    assert h3cells.count_per_cell([cell] * 2).counts == {}


def test_cells_roll_up_to_a_coarser_resolution_before_counting():
    near = [h3cells.cell_for(0.001 + i * 0.002, 0.001, 9) for i in range(4)]
    counts = h3cells.count_per_cell(near, resolution=5, threshold=1)
    assert list(counts.counts.values()) == [4]
    assert h3.get_resolution(next(iter(counts.counts))) == 5


def test_rolling_up_to_a_finer_resolution_is_refused():
    with pytest.raises(ValueError):
        h3cells.count_per_cell([h3cells.cell_for(0, 0, 5)], resolution=9)


def test_points_are_counted_per_cell():
    counts = h3cells.count_points([(0.001, 0.001)] * 6 + [(10, 10)], 7, threshold=5)
    assert list(counts.counts.values()) == [6] and counts.suppressed_cells == 1


def test_a_cell_becomes_a_closed_geojson_polygon_around_its_centre():
    cell = h3cells.cell_for(40.7128, -73.906)
    polygon = h3cells.cell_polygon(cell)
    ring = polygon["coordinates"][0]
    assert polygon["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 7
    assert shape(polygon).contains(shape({"type": "Point", "coordinates": [-73.906, 40.7128]}))


def test_counts_become_a_feature_collection():
    cell = h3cells.cell_for(0.001, 0.001)
    collection = h3cells.cells_feature_collection({cell: 7})
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["id"] == cell and feature["properties"] == {"cell": cell, "resolution": 9, "count": 7}


def test_cells_covering_a_district():
    area = square(0, 0)
    centred = h3cells.cells_covering(area, 9)
    overlapping = h3cells.cells_covering(area, 9, contain="overlap")
    inside = h3cells.cells_covering(area, 9, contain="full")
    assert inside < centred < overlapping
    assert all(h3.get_resolution(c) == 9 for c in centred)
    assert h3cells.cell_for(0.005, 0.005) in centred


def test_an_area_smaller_than_a_cell_still_gets_one_cell():
    assert h3cells.cells_covering(square(0, 0, 0.0001), 5) == {h3cells.cell_for(0.00005, 0.00005, 5)}
