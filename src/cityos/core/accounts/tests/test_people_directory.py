"""Staff find residents and act on their behalf; contact details need a reason, and are audited."""

# ruff: noqa: RUF001 - full-width digits and signs are what these tests type

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


def test_the_list_shows_masked_contact_details_only(staff_client):
    ResidentFactory(first_name="Wei", email="wei.chen@example.org", phone="+14155552671")
    _agent, client = staff_client(Role.SERVICE_AGENT)
    page = client.get("/accounts/people/", {"q": "wei"}).content.decode()
    assert "w•••@example.org" in page and "+1•••••2671" in page
    assert "wei.chen@example.org" not in page


def test_a_phone_number_finds_a_resident_by_its_digits(staff_client):
    ResidentFactory(first_name="Rosa", email=None, phone="+14155552671")
    _agent, client = staff_client(Role.SERVICE_AGENT)
    assert "Rosa" in client.get("/accounts/people/", {"q": "555-2671"}).content.decode()


def test_opening_a_person_needs_a_reason_that_goes_into_the_audit_log(staff_client):
    resident = ResidentFactory(email="wei.chen@example.org")
    _agent, client = staff_client(Role.SERVICE_AGENT)
    url = f"/accounts/people/{resident.pk}/"
    asked = client.get(url).content.decode()
    assert "wei.chen@example.org" not in asked and 'name="reason"' in asked

    too_short = client.post(url, {"reason": "x"})
    assert "at least 5 characters" in too_short.content.decode()

    client.post(url, {"reason": "Called the help line about alerts"})
    shown = client.get(url).content.decode()
    assert "wei.chen@example.org" in shown
    entry = AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(resident.pk)).latest("id")
    assert entry.reason == "Called the help line about alerts" and "email" in entry.fields


def test_staff_change_a_residents_language_on_their_behalf(staff_client):
    resident = ResidentFactory(email="a@example.org", language="en")
    _agent, client = staff_client(Role.SERVICE_AGENT)
    url = f"/accounts/people/{resident.pk}/"
    client.post(url, {"reason": "Resident asked at the counter"})
    data = {"first_name": "Ana", "last_name": "", "email": "a@example.org", "phone": "", "language": "es"}
    assert client.post(url, data).status_code == 302
    resident.refresh_from_db()
    assert resident.language == "es"


def test_a_change_that_would_leave_no_contact_is_refused(staff_client):
    resident = ResidentFactory(email="a@example.org")
    _agent, client = staff_client(Role.SERVICE_AGENT)
    url = f"/accounts/people/{resident.pk}/"
    client.post(url, {"reason": "Resident asked at the counter"})
    data = {"first_name": "", "last_name": "", "email": "", "phone": "", "language": "en"}
    response = client.post(url, data)
    assert response.status_code == 200
    resident.refresh_from_db()
    assert resident.email == "a@example.org"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DATA_PUBLISHER])
def test_roles_that_do_not_serve_residents_cannot_look_them_up(staff_client, role):
    _user, client = staff_client(role)
    assert client.get("/accounts/people/").status_code == 403


def test_residents_cannot_look_up_other_residents(client):
    client.force_login(ResidentFactory(), backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    assert client.get("/accounts/people/").status_code == 403


def test_a_resident_without_a_name_is_listed_by_masked_contacts_only(staff_client):
    resident = ResidentFactory(first_name="", last_name="", email="no.name@example.org", phone=None)
    _agent, client = staff_client(Role.SERVICE_AGENT)
    listed = client.get("/accounts/people/", {"q": "no.name"}).content.decode()
    assert "n•••@example.org" in listed and "no.name@example.org" not in listed
    asked = client.get(f"/accounts/people/{resident.pk}/").content.decode()
    assert "n•••@example.org" in asked and "no.name@example.org" not in asked


def test_listing_residents_is_written_to_the_audit_log(staff_client):
    shown = ResidentFactory(first_name="Wei")
    agent, client = staff_client(Role.SERVICE_AGENT)
    client.get("/accounts/people/", {"q": "wei"})
    entry = AuditEntry.objects.filter(action=AuditAction.READ, object_type="accounts.User").latest("id")
    assert entry.actor_id == agent.pk and entry.changes["ids"] == [str(shown.pk)]
    assert set(entry.fields) == {"first_name", "last_name", "district"}


def test_staff_scoped_to_a_district_see_only_its_residents(staff_client):
    from cityos.core.accounts.models import StaffRole
    from cityos.core.geo.tests.factories import DistrictFactory

    north, south = DistrictFactory(), DistrictFactory()
    ResidentFactory(first_name="Northerner", district=north)
    southerner = ResidentFactory(first_name="Southerner", district=south)
    agent, client = staff_client()
    agent.staff_roles.all().delete()
    StaffRole.objects.create(user=agent, role=Role.SERVICE_AGENT).districts.set([north])

    listed = client.get("/accounts/people/", {"q": "erner"}).content.decode()
    assert "Northerner" in listed and "Southerner" not in listed
    assert client.get(f"/accounts/people/{southerner.pk}/").status_code == 404


def test_city_wide_staff_see_every_district(staff_client):
    from cityos.core.geo.tests.factories import DistrictFactory

    ResidentFactory(first_name="Northerner", district=DistrictFactory())
    ResidentFactory(first_name="Homeless", district=None)
    _agent, client = staff_client(Role.CASEWORKER)
    listed = client.get("/accounts/people/", {"q": "e"}).content.decode()
    assert "Northerner" in listed and "Homeless" in listed


def test_the_list_runs_a_fixed_number_of_queries(staff_client, django_assert_max_num_queries):
    from cityos.core.geo.tests.factories import DistrictFactory

    district = DistrictFactory()
    for _n in range(20):
        ResidentFactory(first_name="Many", district=district)
    _agent, client = staff_client(Role.SERVICE_AGENT)
    with django_assert_max_num_queries(15):
        assert client.get("/accounts/people/", {"q": "many"}).status_code == 200


def test_full_width_digits_find_a_resident_too(staff_client):
    ResidentFactory(first_name="Rosa", email=None, phone="+85261234567")
    _agent, client = staff_client(Role.SERVICE_AGENT)
    assert "Rosa" in client.get("/accounts/people/", {"q": "６１２３ ４５６７"}).content.decode()
