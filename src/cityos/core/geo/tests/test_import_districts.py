"""Districts come from a GeoJSON FeatureCollection; a bad file is refused whole, with reasons."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from cityos.core.geo.models import District
from cityos.core.geo.services import ImportAction, import_districts
from cityos.core.geo.tests.factories import DistrictFactory, PlaceFactory
from cityos.core.geo.tests.geojson import BOWTIE, collection, feature, square, two_districts

pytestmark = pytest.mark.django_db


def test_a_valid_file_creates_districts_with_names_centroid_and_area():
    report = import_districts(two_districts(), user=None)
    assert report.ok and report.saved
    assert [i.action for i in report.items] == [ImportAction.CREATE, ImportAction.CREATE]
    west = District.objects.get(code="west")
    assert west.name == "West"
    assert west.names == {"zh-hant": "西區", "es": "Oeste"}
    assert west.population == 1200
    assert west.centroid_lon == pytest.approx(0.005) and west.centroid_lat == pytest.approx(0.005)
    assert west.area_km2 == pytest.approx(1.231, rel=0.01)  # 0.01° x 0.01° at the equator
    assert District.objects.get(code="east").names == {"es": "Este"}


def test_importing_again_updates_by_code_and_reports_unchanged_ones():
    import_districts(two_districts(), user=None)
    changed = collection(
        feature("west", "West", square(0, 0), names={"zh-hant": "西區", "es": "Oeste"}, population=1200),
        feature("east", "East End", square(0.01, 0), name_es="Este"),
        feature("north", "North", square(0, 0.01)),
    )
    report = import_districts(changed, user=None)
    assert [i.action for i in report.items] == [ImportAction.UNCHANGED, ImportAction.UPDATE, ImportAction.CREATE]
    assert District.objects.count() == 3
    assert District.objects.get(code="east").name == "East End"


def test_properties_left_out_keep_their_stored_values():
    DistrictFactory(code="west", name="Old", names={"es": "Viejo"}, population=10)
    import_districts(collection(feature("west", "West")), user=None)
    west = District.objects.get(code="west")
    assert (west.name, west.names, west.population) == ("West", {"es": "Viejo"}, 10)


def test_a_dry_run_reports_but_saves_nothing():
    report = import_districts(two_districts(), dry_run=True, user=None)
    assert report.ok and not report.saved
    assert [i.action for i in report.items] == [ImportAction.CREATE, ImportAction.CREATE]
    assert "dry run" in report.summary()
    assert not District.objects.exists()


def test_places_move_to_the_district_that_now_holds_them():
    place = PlaceFactory(lat=0.005, lon=0.015, district=None)
    report = import_districts(two_districts(), user=None)
    place.refresh_from_db()
    assert place.district is not None and place.district.code == "east"
    assert report.places_reassigned == 1


def assert_refused(source, *fragments, number=None):
    before = list(District.objects.values_list("code", "name"))
    report = import_districts(source, user=None)
    assert not report.ok and not report.saved
    messages = report.file_errors if number is None else report.items[number - 1].errors
    text = " | ".join(messages)
    for fragment in fragments:
        assert fragment in text, text
    assert list(District.objects.values_list("code", "name")) == before
    return report


def test_a_file_that_is_not_json_is_refused_with_line_and_column():
    assert_refused(b"{not json", "not valid JSON", "line 1, column 2")


def test_a_file_that_is_not_utf8_is_refused():
    assert_refused("{}".encode("utf-16"), "not UTF-8")


def test_nan_is_not_accepted_as_a_coordinate():
    assert_refused('{"type": "FeatureCollection", "features": [NaN]}', "NaN")


def test_json_that_is_not_an_object_is_refused():
    assert_refused("[1, 2]", "not GeoJSON")


def test_a_geojson_object_that_is_not_a_feature_collection_is_refused():
    assert_refused(json.dumps(square(0, 0)), "type:", "FeatureCollection", "Polygon")


def test_an_empty_feature_collection_is_refused():
    assert_refused(collection(), "features:", "no features")


def test_a_projected_crs_is_refused():
    data = json.loads(two_districts())
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    assert_refused(json.dumps(data), "crs:", "EPSG:4326")


def test_a_point_is_the_wrong_geometry_type():
    bad = feature("east", "East", {"type": "Point", "coordinates": [0, 0]})
    report = assert_refused(collection(feature(), bad), "geometry.type", "Point", number=2)
    assert report.items[0].accepted and report.items[1].action == ImportAction.REJECTED


def test_malformed_coordinates_are_refused():
    bad = feature("east", "East", {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]})
    assert_refused(collection(bad), "geometry.coordinates", number=1)


def test_coordinates_out_of_range_are_refused_as_not_epsg_4326():
    projected = feature("east", "East", square(-8_200_000, 4_900_000, 1000))
    assert_refused(collection(projected), "geometry.coordinates", "EPSG:4326", number=1)


def test_a_self_intersecting_polygon_is_refused_with_the_reason():
    bowtie = collection(feature("bowtie", "Bow tie", BOWTIE))
    assert_refused(bowtie, "not a valid polygon", "Self-intersection", number=1)


def test_an_empty_polygon_is_refused():
    assert_refused(collection(feature("e", "Empty", {"type": "Polygon", "coordinates": []})), "empty", number=1)


def test_a_duplicate_code_is_refused_naming_the_first_feature():
    report = assert_refused(
        collection(feature("west", "West"), feature("west", "West again", square(0.01, 0))),
        "properties.code",
        "west",
        "feature 1",
        number=2,
    )
    assert report.items[0].accepted


def test_a_missing_name_is_refused():
    assert_refused(collection(feature("west", None)), "properties.name", number=1)


def test_a_missing_or_malformed_code_is_refused():
    assert_refused(collection(feature(None, "West")), "properties.code", "missing", number=1)
    assert_refused(collection(feature("old town!", "West")), "properties.code", "old town!", number=1)


def test_a_negative_population_is_refused():
    assert_refused(collection(feature("west", "West", population=-3)), "properties.population", number=1)


def test_a_feature_without_feature_type_is_refused():
    assert_refused(json.dumps({"type": "FeatureCollection", "features": [square(0, 0)]}), "Feature", number=1)


def test_names_in_languages_the_site_lacks_are_ignored_with_a_warning():
    report = import_districts(collection(feature("west", "West", names={"fr": "Ouest", "es": "Oeste"})), user=None)
    assert report.saved
    assert District.objects.get(code="west").names == {"es": "Oeste"}
    assert "names.fr" in report.items[0].warnings[0]


def test_one_refused_feature_saves_none_of_the_others():
    source = collection(feature("west", "West"), feature("east", None, square(0.01, 0)))
    report = import_districts(source, user=None)
    assert report.items[0].action == ImportAction.CREATE and not report.items[1].accepted
    assert not District.objects.exists()
    assert "refused" in report.summary()


def test_the_reasons_come_in_the_active_language():
    with translation.override("es"):
        report = import_districts(b"{not json", user=None)
    assert "JSON" in report.file_errors[0] and "not valid" not in report.file_errors[0]


def test_an_import_publishes_what_it_created_and_changed():
    from unittest import mock

    DistrictFactory(code="west", name="Old")
    with mock.patch("cityos.core.geo.services.publish") as publish:
        import_districts(two_districts(), user=None)
    [event] = [call.args[0] for call in publish.call_args_list]
    assert (event.name, event.created, event.updated) == ("geo.districts_imported", ["east"], ["west"])
