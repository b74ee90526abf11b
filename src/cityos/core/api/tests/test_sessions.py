"""Browser sessions use the API too; unsafe methods need the CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me"


@pytest.fixture
def browser(resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    client.get("/")  # a page sets the CSRF cookie, as in a browser
    return client


def test_a_session_reads_without_a_csrf_token(browser, resident):
    response = browser.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == resident.email


def test_a_session_change_without_the_csrf_token_is_refused(browser, resident):
    response = browser.patch(ME, {"language": "es"}, content_type="application/json")
    body = assert_problem(response, 403)
    assert body["type"] == "urn:cityos:problem:csrf-failed"
    resident.refresh_from_db()
    assert resident.language == "en"


def test_a_session_change_with_the_csrf_token_is_accepted(browser, resident):
    token = browser.cookies["csrftoken"].value
    response = browser.patch(ME, {"language": "es"}, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.content
    resident.refresh_from_db()
    assert resident.language == "es"


def test_a_session_posting_a_form_where_json_is_expected_is_told_to_send_json():
    staff = StaffFactory(roles=[Role.OPERATOR])
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.create(user=staff, name="test", confirmed=True).persistent_id
    session.save()
    client.get("/")
    # The session's CSRF check reads the form body before the operation can read it as JSON.
    response = client.post(
        "/api/v1/notifications/broadcasts",
        encode_multipart(BOUNDARY, {"template": "x"}),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    body = assert_problem(response, 400)
    assert "application/json" in body["detail"]


def test_a_token_request_needs_no_csrf_token(make_token):
    issued = make_token()
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {issued.secret}"})
    assert client.patch(ME, {"language": "es"}, content_type="application/json").status_code == 200


def test_anonymous_sign_up_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/accounts/sign-up",
        {"email": "new@example.org", "password": "correct-horse-battery"},
        content_type="application/json",
    )
    assert response.status_code == 201


def test_a_staff_session_counts_only_after_the_second_factor():
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    client = Client()
    client.force_login(staff, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    assert_problem(client.get(ME), 401)
    assert_problem(client.get("/api/v1/accounts/staff"), 401)


def test_a_verified_staff_session_works(staff_client):
    _admin, client = staff_client(Role.ADMINISTRATOR)
    assert client.get("/api/v1/accounts/staff").json()["count"] == 1
