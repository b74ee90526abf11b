"""Places: their cell and district are computed, bad fields are refused by name, imports report rows."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import translation

from cityos.core.geo import selectors
from cityos.core.geo.h3cells import cell_for
from cityos.core.geo.models import Place, PlaceKind
from cityos.core.geo.services import (
    DistrictIndex,
    ImportAction,
    create_place,
    delete_place,
    import_places,
    update_place,
)
from cityos.core.geo.tests.factories import DistrictFactory, PlaceFactory
from cityos.core.geo.tests.geojson import square

pytestmark = pytest.mark.django_db

HOURS = {"mon": [["08:00", "17:00"]]}


@pytest.fixture
def west_and_east():
    return DistrictFactory(code="west", geometry=square(0, 0)), DistrictFactory(code="east", geometry=square(0.01, 0))


def test_a_new_place_gets_its_h3_cell_and_district(west_and_east):
    _west, east = west_and_east
    place = create_place(kind=PlaceKind.CLINIC, name=" Clinic ", lat=0.005, lon=0.015, opening_hours=HOURS, user=None)
    assert place.name == "Clinic"
    assert place.h3_cell == cell_for(0.005, 0.015, 9)
    assert place.district == east
    assert place.opening_hours["mon"] == [["08:00", "17:00"]] and place.opening_hours["sun"] == []


def test_a_place_outside_every_district_has_none(west_and_east):
    assert create_place(kind=PlaceKind.LIBRARY, name="Far", lat=5, lon=5, user=None).district is None


def test_a_place_on_a_shared_border_always_lands_in_the_same_district(west_and_east):
    assert create_place(kind=PlaceKind.LIBRARY, name="Border", lat=0.005, lon=0.01, user=None).district.code == "east"


def test_moving_a_place_moves_its_cell_and_district(west_and_east):
    west, _east = west_and_east
    place = create_place(kind=PlaceKind.CLINIC, name="Clinic", lat=0.005, lon=0.015, user=None)
    update_place(place, lat=0.005, lon=0.005, user=None)
    place.refresh_from_db()
    assert place.district == west and place.h3_cell == cell_for(0.005, 0.005)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"lon": -181}, "lon"),
        ({"lon": float("nan")}, "lon"),
        ({"kind": "casino"}, "kind"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"opening_hours": {"mon": [["17:00", "08:00"]]}}, "opening_hours"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"names": {"xx": "?"}}, "names"),
        ({"is_active": "yes"}, "is_active"),
    ],
)
def test_bad_fields_are_refused_by_name_and_nothing_is_saved(fields, field):
    data = {"kind": PlaceKind.CLINIC, "name": "Clinic", "lat": 0.005, "lon": 0.005, **fields}
    with pytest.raises(ValidationError) as caught:
        create_place(**data, user=None)
    assert field in caught.value.message_dict
    assert not Place.objects.exists()


def test_the_database_refuses_coordinates_off_the_earth_too():
    with pytest.raises(IntegrityError):
        PlaceFactory(lat=100)


def test_deleting_a_place():
    place = create_place(kind=PlaceKind.CLINIC, name="Clinic", lat=0.005, lon=0.005, user=None)
    delete_place(place, user=None)
    assert not Place.objects.exists()


def test_the_district_index_finds_the_district_of_a_point(west_and_east):
    index = DistrictIndex.load()
    west, east = west_and_east
    assert index.locate(0.005, 0.005) == west.pk and index.locate(0.005, 0.015) == east.pk
    assert index.locate(1, 1) is None


CSV = (
    "kind,name,lat,lon,address,opening_hours,name_es\n"
    'clinic,North Clinic,0.005,0.005,1 Main St,"{""mon"": [[""08:00"", ""17:00""]]}",Clínica Norte\n'
    "library,East Library,0.005,0.015,,,\n"
)


def test_places_import_from_csv(west_and_east):
    report = import_places(CSV, file_format="csv", user=None)
    assert report.saved and [i.action for i in report.items] == [ImportAction.CREATE, ImportAction.CREATE]
    clinic = Place.objects.get(name="North Clinic")
    assert clinic.names == {"es": "Clínica Norte"} and clinic.district.code == "west"
    assert clinic.opening_hours["mon"] == [["08:00", "17:00"]]


def test_the_csv_export_imports_back_as_updates(west_and_east):
    import_places(CSV, file_format="csv", user=None)
    exported = "".join(selectors.places_csv_rows(Place.objects.order_by("pk"))).replace("North Clinic", "Clinic N")
    report = import_places(exported, file_format="csv", user=None)
    assert report.saved and {i.action for i in report.items} == {ImportAction.UPDATE}
    assert Place.objects.count() == 2 and Place.objects.filter(name="Clinic N").exists()


def test_an_export_downloaded_in_another_language_imports_back_with_the_same_names(west_and_east):
    import_places(CSV, file_format="csv", user=None)
    with translation.override("es"):
        exported = "".join(selectors.places_csv_rows(Place.objects.order_by("pk")))
        geojson = json.dumps(selectors.places_feature_collection(Place.objects.order_by("pk")))
    assert "Clínica Norte" in exported.splitlines()[1].split(",")[3]  # ``name`` is the Spanish one
    for source, file_format in ((exported, "csv"), (geojson, "geojson")):
        report = import_places(source, file_format=file_format, user=None)
        assert report.saved and {i.action for i in report.items} == {ImportAction.UPDATE}, report.items
        clinic = Place.objects.get(kind=PlaceKind.CLINIC)
        assert (clinic.name, clinic.names) == ("North Clinic", {"es": "Clínica Norte"})


def test_a_csv_name_column_in_the_sites_language_is_the_main_name(west_and_east):
    report = import_places(
        "kind,name,name_en,name_es,lat,lon\nclinic,Clínica,Clinic,Clínica,0.005,0.005\n", file_format="csv", user=None
    )
    assert report.saved, report.items[0].errors
    assert Place.objects.get().name == "Clinic" and Place.objects.get().names == {"es": "Clínica"}


def test_a_bad_csv_row_is_reported_by_number_and_nothing_is_saved():
    source = CSV + "clinic,Nowhere,200,0,,,\nshop,Shop,0,0,,,\n"
    report = import_places(source, file_format="csv", user=None)
    assert not report.saved and not Place.objects.exists()
    assert [i.number for i in report.rejected] == [3, 4]
    assert "lat:" in report.items[2].errors[0] and "kind:" in report.items[3].errors[0]


def test_a_csv_without_the_required_columns_is_refused():
    report = import_places("name,lat\nX,1\n", file_format="csv", user=None)
    assert "kind" in report.file_errors[0] and "lon" in report.file_errors[0]


def test_updating_a_place_that_does_not_exist_is_refused():
    report = import_places("id,kind,name,lat,lon\n999,clinic,X,0,0\n", file_format="csv", user=None)
    assert "id:" in report.items[0].errors[0] and not Place.objects.exists()


def test_places_import_from_geojson_points(west_and_east):
    source = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [0.015, 0.005]},
                    "properties": {"kind": "shelter", "name": "Shelter"},
                },
            ],
        }
    )
    report = import_places(source, file_format="geojson", user=None)
    assert report.saved and Place.objects.get().district.code == "east"


def test_a_geojson_place_that_is_not_a_point_is_refused():
    source = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": square(0, 0), "properties": {"kind": "shelter", "name": "S"}}],
        }
    )
    report = import_places(source, file_format="geojson", user=None)
    assert "geometry.type" in report.items[0].errors[0] and not Place.objects.exists()


def test_changes_to_places_are_published_as_events_after_commit(west_and_east, django_capture_on_commit_callbacks):
    from unittest import mock

    with mock.patch("cityos.core.geo.services.publish") as publish:
        place = create_place(kind=PlaceKind.CLINIC, name="Clinic", lat=0.005, lon=0.015, user=None)
        delete_place(place, user=None)
    events = [call.args[0] for call in publish.call_args_list]
    assert [(e.name, e.action, e.district_code) for e in events] == [
        ("geo.place_changed", "created", "east"),
        ("geo.place_changed", "deleted", "east"),
    ]


def test_a_place_file_that_is_not_valid_csv_is_refused_and_nothing_is_saved(db):
    from cityos.core.geo import services
    from cityos.core.geo.models import Place

    before = Place.objects.count()
    broken = "kind,name,lat,lon\nclinic," + '"' + "x" * 200_000 + '",1.0,2.0\n'
    report = services.import_places(broken, file_format="csv", user=None)
    assert any("not valid CSV" in problem for problem in report.file_errors)
    assert Place.objects.count() == before
