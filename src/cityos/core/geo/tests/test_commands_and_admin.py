"""`cityos import-districts`, `cityos import-places` and the back office's GeoJSON upload."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.core.audit.models import AuditEntry
from cityos.core.geo.models import District, Place
from cityos.core.geo.tests.factories import DistrictFactory, PlaceFactory
from cityos.core.geo.tests.geojson import BOWTIE, collection, feature, two_districts

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_cli_imports_a_file_printing_each_feature(tmp_path):
    path = tmp_path / "districts.geojson"
    path.write_text(two_districts())
    output = run("import-districts", str(path))
    assert "[1] west West: new" in output and "[2] east East: new" in output
    assert "Saved: 2 new, 0 changed, 0 unchanged." in output
    assert District.objects.count() == 2
    entry = AuditEntry.objects.filter(object_type="geo.District").first()
    assert entry is not None and entry.channel == "cli"


def test_the_cli_dry_run_saves_nothing(tmp_path):
    path = tmp_path / "districts.geojson"
    path.write_text(two_districts())
    assert "dry run" in run("import-districts", str(path), "--dry-run")
    assert not District.objects.exists()


def test_the_cli_refuses_a_bad_file_with_the_reasons_and_exit_status_1(tmp_path):
    path = tmp_path / "districts.geojson"
    path.write_text(collection(feature(), feature("bowtie", "Bow tie", BOWTIE)))
    out = StringIO()
    with pytest.raises(CommandError, match="refused"):
        call_command("import-districts", str(path), stdout=out)
    assert "Self-intersection" in out.getvalue()
    assert not District.objects.exists()


def test_the_cli_refuses_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        run("import-districts", "/nonexistent/districts.geojson")


def test_the_cli_imports_places_from_csv(tmp_path):
    DistrictFactory(code="west")
    path = tmp_path / "places.csv"
    path.write_text("kind,name,lat,lon\nclinic,Clinic,0.005,0.005\n")
    assert "Saved: 1 new" in run("import-places", str(path))
    assert Place.objects.get().district.code == "west"


IMPORT_URL = "admin:geo_district_import"


@pytest.fixture
def admin(staff_client):
    """An administrator's verified session; accounts makes administrators superusers, as here."""
    user, client = staff_client(Role.ADMINISTRATOR)
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return client


def upload(client, text, **extra):
    file = SimpleUploadedFile("districts.geojson", text.encode(), content_type="application/geo+json")
    return client.post(reverse(IMPORT_URL), {"file": file, **extra})


def test_the_district_list_in_the_back_office_offers_the_import(admin):
    response = admin.get(reverse("admin:geo_district_changelist"))
    assert response.status_code == 200 and reverse(IMPORT_URL) in response.content.decode()


def test_an_administrator_uploads_districts_and_sees_the_report(admin):
    response = upload(admin, two_districts())
    assert response.status_code == 200
    report = response.context["report"]
    assert report.saved and len(report.items) == 2
    assert "Saved: 2 new" in response.content.decode()
    assert District.objects.count() == 2


def test_an_upload_with_a_bad_feature_shows_why_and_saves_nothing(admin):
    response = upload(admin, collection(feature(), feature("west", "Again")))
    html = response.content.decode()
    assert "properties.code" in html and "feature 1" in html
    assert not District.objects.exists()


def test_an_upload_that_is_not_json_is_refused(admin):
    response = upload(admin, "hello")
    assert "not valid JSON" in response.content.decode() and not District.objects.exists()


def test_a_dry_run_upload_saves_nothing(admin):
    response = upload(admin, two_districts(), dry_run="on")
    assert response.context["report"].ok and not District.objects.exists()


def test_only_administrators_reach_the_upload(client, staff_client):
    _user, operator = staff_client(Role.OPERATOR)
    assert operator.get(reverse(IMPORT_URL)).status_code in (302, 403)
    assert client.get(reverse(IMPORT_URL)).status_code == 302
    assert upload(operator, two_districts()).status_code in (302, 403)
    assert not District.objects.exists()


def test_editing_a_place_in_the_back_office_recomputes_its_district(admin):
    west = DistrictFactory(code="west")
    place = PlaceFactory(district=None, lat=0.005, lon=0.005)
    data = {
        "kind": "clinic",
        "name": "Renamed",
        "names": "{}",
        "address": "",
        "lat": "0.005",
        "lon": "0.005",
        "opening_hours": '{"mon": [["09:00", "17:00"]]}',
        "phone": "",
        "website": "",
        "is_active": "on",
    }
    response = admin.post(reverse("admin:geo_place_change", args=[place.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    place.refresh_from_db()
    assert place.name == "Renamed" and place.district == west


def test_bad_hours_in_the_back_office_are_shown_next_to_the_field(admin):
    place = PlaceFactory()
    data = {
        "kind": "clinic",
        "name": "X",
        "names": "{}",
        "lat": "0.005",
        "lon": "0.005",
        "opening_hours": '{"mon": [["17:00", "09:00"]]}',
        "is_active": "on",
    }
    response = admin.post(reverse("admin:geo_place_change", args=[place.pk]), data)
    assert response.status_code == 200
    assert "opening_hours" in response.context["adminform"].form.errors


def test_editing_a_district_boundary_in_the_back_office_is_checked(admin):
    district = DistrictFactory(code="west")
    point = '{"type": "Point", "coordinates": [0, 0]}'
    data = {"code": "west", "name": "West", "names": "{}", "population": "", "geometry": point}
    response = admin.post(reverse("admin:geo_district_change", args=[district.pk]), data)
    assert response.status_code == 200 and "geometry" in response.context["adminform"].form.errors


def test_adding_a_district_in_the_back_office_derives_its_centroid_and_area(admin):
    geometry = '{"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]]}'
    data = {"code": "west", "name": "West", "names": '{"es": "Oeste"}', "population": "100", "geometry": geometry}
    response = admin.post(reverse("admin:geo_district_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    west = District.objects.get(code="west")
    assert west.centroid_lat == pytest.approx(0.005) and west.area_km2 > 1
