"""The place and district services check who acts, as every module's services do: the staff who
keep places (``conf.PLACE_ROLES``) write places, administrators districts. None is the platform
itself: the ``cityos import-*`` commands, which the server's operator runs and the audit log
records as the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from cityos.core.accounts.models import Department, Role
from cityos.core.accounts.permissions import DepartmentRefused
from cityos.core.accounts.tests.factories import staff_of
from cityos.core.audit.models import AuditEntry
from cityos.core.geo import services
from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.geo.tests.factories import PlaceFactory
from cityos.core.geo.tests.geojson import two_districts

pytestmark = pytest.mark.django_db

CLINIC = {"kind": PlaceKind.CLINIC, "name": "Clinic", "lat": 0.005, "lon": 0.005}
CSV = "kind,name,lat,lon\nclinic,Clinic,0.005,0.005\n"


@pytest.fixture(autouse=True)
def operations() -> Department:
    return Department.objects.create(code="operations", name="City Operations")


def test_operators_of_the_places_departments_or_of_none_write_places():
    for person in (staff_of("operations", Role.OPERATOR), staff_of(None, Role.OPERATOR)):
        place = services.create_place(user=person, **CLINIC)
        services.update_place(place, user=person, name="Clinic North")
        services.delete_place(place, user=person)
    assert not Place.objects.exists()


def test_staff_without_the_role_are_refused_and_nothing_changes():
    caseworker = staff_of("operations", Role.CASEWORKER)
    place = PlaceFactory(name="Library")
    with pytest.raises(PermissionDenied, match="Only the staff who keep the city's places"):
        services.create_place(user=caseworker, **CLINIC)
    with pytest.raises(PermissionDenied):
        services.update_place(place, user=caseworker, name="Changed")
    with pytest.raises(PermissionDenied):
        services.delete_place(place, user=caseworker)
    with pytest.raises(PermissionDenied):
        services.import_places(CSV, user=caseworker, file_format="csv")
    assert list(Place.objects.values_list("name", flat=True)) == ["Library"]


def test_an_operator_of_another_department_is_told_whose_work_it_is():
    with pytest.raises(DepartmentRefused, match="this work belongs to City Operations"):
        services.create_place(user=staff_of("water", Role.OPERATOR), **CLINIC)


def test_only_administrators_change_districts():
    with pytest.raises(PermissionDenied, match="Only administrators"):
        services.import_districts(two_districts(), user=staff_of("operations", Role.OPERATOR))
    assert not District.objects.exists()
    assert services.import_districts(two_districts(), user=staff_of("it", Role.ADMINISTRATOR)).saved


def test_the_platform_itself_writes_without_a_role():
    assert services.import_places(CSV, user=None, file_format="csv").saved


def test_the_cli_import_checks_no_role_and_the_audit_log_names_the_command(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(CSV)
    call_command("import-places", str(path), stdout=StringIO())
    entry = AuditEntry.objects.get(object_type="geo.Place")
    assert (entry.channel, entry.actor_label, entry.actor_id) == ("cli", "cli: import-places", None)
