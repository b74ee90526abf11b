"""/api/v1/accounts/me: a person changes their own details with the same rules as /me/edit/."""

from __future__ import annotations

import pytest
from django.test import Client

from cityos.core.accounts.models import User
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory, texted_code
from cityos.core.api.tests.conftest import assert_problem
from cityos.core.notifications.models import Message

pytestmark = pytest.mark.django_db

ME = "/api/v1/accounts/me"
CONFIRM = "/api/v1/accounts/me/phone-confirmation"
OLD, NEW = "+14155552671", "+12125550142"


def patch(client: Client, **body: object):
    return client.patch(ME, body, content_type="application/json")


@pytest.fixture
def resident() -> User:
    return ResidentFactory(email="ana@example.org", phone=OLD)


@pytest.fixture
def signed_in(client: Client, resident: User) -> Client:
    client.force_login(resident)
    return client


def test_without_signing_in_it_is_a_401(client):
    assert_problem(patch(client, first_name="Ana"), 401)
    assert_problem(client.post(CONFIRM, {"code": "123456"}, content_type="application/json"), 401)


def test_a_new_email_is_saved_with_the_password(signed_in, resident):
    response = patch(signed_in, email="ana.new@example.org", current_password=TEST_PASSWORD)
    assert response.status_code == 200 and response.json()["email"] == "ana.new@example.org"
    resident.refresh_from_db()
    assert resident.email == "ana.new@example.org"


def test_a_new_phone_number_waits_for_its_code_then_is_used(signed_in, resident):
    body = patch(signed_in, phone="+1 212 555 0142", current_password=TEST_PASSWORD).json()
    assert (body["phone"], body["phone_pending"]) == (OLD, NEW)
    assert signed_in.get(ME).json()["phone_pending"] == NEW

    body = signed_in.post(CONFIRM, {"code": texted_code(NEW)}, content_type="application/json").json()
    assert (body["phone"], body["phone_pending"]) == (NEW, None)
    resident.refresh_from_db()
    assert resident.phone == NEW


def test_a_wrong_code_is_a_422_on_the_code(signed_in):
    patch(signed_in, phone=NEW, current_password=TEST_PASSWORD)
    wrong = "000000" if texted_code(NEW) != "000000" else "111111"
    body = assert_problem(signed_in.post(CONFIRM, {"code": wrong}, content_type="application/json"), 422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("body.code", "wrong")]


def test_the_change_can_be_withdrawn(signed_in, resident):
    patch(signed_in, phone=NEW, current_password=TEST_PASSWORD)
    assert signed_in.delete(CONFIRM).status_code == 204
    assert signed_in.get(ME).json()["phone_pending"] is None


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"email": "taken@example.org", "current_password": TEST_PASSWORD}, "body.email", "taken"),
        ({"phone": "+1 415 555 0000", "current_password": TEST_PASSWORD}, "body.phone", "taken"),
        ({"phone": "+1 212 555 0142 x89", "current_password": TEST_PASSWORD}, "body.phone", "extension"),
        ({"phone": "12", "current_password": TEST_PASSWORD}, "body.phone", "invalid_phone"),
        ({"email": "new@example.org"}, "body.current_password", "required"),
        ({"email": "new@example.org", "current_password": "wrong"}, "body.current_password", "wrong_password"),
    ],
)
def test_bad_changes_are_a_422_naming_the_field_and_save_nothing(signed_in, resident, body, field, code):
    ResidentFactory(email="taken@example.org", phone="+14155550000")
    problem = assert_problem(patch(signed_in, first_name="Changed", **body), 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]
    resident.refresh_from_db()
    assert (resident.first_name, resident.email, resident.phone) == ("Alex", "ana@example.org", OLD)
    assert not Message.objects.exists()


def test_errors_come_in_the_language_asked_for(signed_in):
    response = signed_in.patch(
        ME, {"email": "new@example.org"}, content_type="application/json", headers={"Accept-Language": "es"}
    )
    message = assert_problem(response, 422)["errors"][0]["message"]
    assert message == "Escribe tu contraseña actual para cambiar tu correo electrónico o tu número de teléfono."


def test_a_session_must_send_the_csrf_token(resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    assert_problem(patch(client, first_name="Changed"), 403)
