"""Sign-in by email or phone; staff need a TOTP code; repeated failures are throttled."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_resident_signs_in_with_a_phone_number_typed_any_way(client):
    ResidentFactory(email=None, phone="+14155552671")
    response = client.post(reverse("accounts:sign-in"), {"username": "415-555-2671", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.wsgi_request.user.is_authenticated


def test_staff_must_give_a_totp_code_before_reaching_the_operations_centre(client):
    staff = StaffFactory(roles=[Role.OPERATOR])
    response = client.post(reverse("accounts:sign-in"), {"username": staff.username, "password": TEST_PASSWORD})
    assert response["Location"].startswith("/accounts/verify/")
    assert client.get(reverse("web:ops"))["Location"].startswith("/accounts/verify/")

    wrong = client.post("/accounts/verify/", {"otp_token": "000000"})
    assert "not right" in wrong.content.decode()

    device = TOTPDevice.objects.get(user=staff)
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post("/accounts/verify/?next=/ops/", {"otp_token": current_code(device)})
    assert ok.status_code == 302 and ok["Location"] == "/ops/"
    assert client.get(reverse("web:ops")).status_code == 200


def test_staff_without_an_authenticator_enrol_one_first(client):
    staff = StaffFactory(roles=[Role.CASEWORKER])
    TOTPDevice.objects.filter(user=staff).delete()
    client.force_login(staff, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    assert client.get("/accounts/verify/")["Location"].startswith("/accounts/totp/setup/")
    page = client.get("/accounts/totp/setup/")
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.post("/accounts/totp/setup/", {"otp_token": current_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_repeated_failed_sign_ins_are_throttled(client):
    resident = ResidentFactory(email="locked@example.org")
    for _attempt in range(5):
        client.post(reverse("accounts:sign-in"), {"username": resident.email, "password": "wrong-password"})
    response = client.post(reverse("accounts:sign-in"), {"username": resident.email, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated


def test_residents_cannot_open_the_operations_centre(client):
    client.force_login(ResidentFactory(), backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    assert client.get(reverse("web:ops")).status_code == 403


def test_staff_roles_are_scoped_to_departments_and_districts(staff_client):
    from cityos.core.accounts.models import StaffRole
    from cityos.core.accounts.tests.factories import DepartmentFactory
    from cityos.core.geo.tests.factories import DistrictFactory

    health = DepartmentFactory(code="health")
    roads = DepartmentFactory(code="roads")
    north, south = DistrictFactory(), DistrictFactory()
    user, _client = staff_client()
    user.staff_roles.all().delete()
    role = StaffRole.objects.create(user=user, role=Role.HEALTH_OFFICER, department=health)
    role.districts.set([north])
    assert user.has_role(Role.HEALTH_OFFICER, department=health, district_id=north.pk)
    assert not user.has_role(Role.HEALTH_OFFICER, department=roads)
    assert not user.has_role(Role.HEALTH_OFFICER, district_id=south.pk)
    assert not user.has_role(Role.CASEWORKER)


def test_the_second_factor_keeps_every_parameter_of_the_page_asked_for(client):
    staff = StaffFactory(roles=[Role.OPERATOR])
    client.force_login(staff, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    response = client.get("/messages/?state=failed&channel=sms")
    assert response["Location"] == "/accounts/verify/?next=%2Fmessages%2F%3Fstate%3Dfailed%26channel%3Dsms"


def test_staff_pages_under_accounts_also_need_the_second_factor(client):
    staff = StaffFactory(roles=[Role.SERVICE_AGENT])
    client.force_login(staff, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    assert client.get("/accounts/people/")["Location"].startswith("/accounts/verify/")
    assert client.get("/accounts/tiles/people/")["Location"].startswith("/accounts/verify/")


def test_enrolment_keeps_where_staff_were_going(client):
    staff = StaffFactory(roles=[Role.CASEWORKER])
    TOTPDevice.objects.filter(user=staff).delete()
    client.force_login(staff, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    response = client.get("/accounts/verify/", {"next": "/messages/?state=failed&channel=sms"})
    assert response["Location"] == "/accounts/totp/setup/?next=%2Fmessages%2F%3Fstate%3Dfailed%26channel%3Dsms"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_second_factor_never_sends_staff_to_another_site(client, target):
    staff = StaffFactory(roles=[Role.OPERATOR])
    client.force_login(staff, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    device = TOTPDevice.objects.get(user=staff)
    response = client.post(f"/accounts/verify/?next={target}", {"otp_token": current_code(device)})
    assert response.status_code == 302 and response["Location"] == "/ops/"


def test_the_session_key_changes_when_the_second_factor_is_passed(client):
    staff = StaffFactory(roles=[Role.OPERATOR])
    client.post(reverse("accounts:sign-in"), {"username": staff.username, "password": TEST_PASSWORD})
    before = client.session.session_key
    device = TOTPDevice.objects.get(user=staff)
    assert client.post("/accounts/verify/", {"otp_token": current_code(device)}).status_code == 302
    assert client.session.session_key != before
    assert client.get(reverse("web:ops")).status_code == 200


def test_a_language_picked_on_the_sign_in_page_carries_through_the_second_factor_and_is_saved(client):
    staff = StaffFactory(roles=[Role.OPERATOR], language="en")
    client.post(reverse("web:set-language"), {"language": "es", "next": reverse("accounts:sign-in")})
    assert "Iniciar sesión" in client.get(reverse("accounts:sign-in")).content.decode()

    response = client.post(reverse("accounts:sign-in"), {"username": staff.username, "password": TEST_PASSWORD})
    assert response.cookies["django_language"].value == "es"
    second_factor = client.get(response["Location"])
    assert second_factor.wsgi_request.LANGUAGE_CODE == "es"
    assert '<html lang="es"' in second_factor.content.decode()
    staff.refresh_from_db()
    assert staff.language == "es"  # messages now follow it too


def test_without_a_pick_on_the_way_in_the_accounts_saved_language_applies(client):
    resident = ResidentFactory(email="mei@example.org", language="zh-hant")
    response = client.post(
        reverse("accounts:sign-in"),
        {"username": "mei@example.org", "password": TEST_PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",  # the browser's language is no choice
    )
    assert response.cookies["django_language"].value == "zh-hant"
    resident.refresh_from_db()
    assert resident.language == "zh-hant"


def test_a_pick_from_an_earlier_visit_is_not_kept(client, monkeypatch):
    from cityos.core.accounts import views

    resident = ResidentFactory(email="old@example.org", language="en")
    client.post(reverse("web:set-language"), {"language": "es", "next": "/"})
    monkeypatch.setattr(views, "VISIT_SECONDS", -1)  # the pick is older than a visit
    response = client.post(reverse("accounts:sign-in"), {"username": "old@example.org", "password": TEST_PASSWORD})
    assert response.cookies["django_language"].value == "en"
    resident.refresh_from_db()
    assert resident.language == "en"
