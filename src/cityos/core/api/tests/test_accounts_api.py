"""/api/v1/accounts: sign-up, me, and the staff list for administrators."""

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory, StaffFactory
from cityos.core.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db

SIGN_UP = "/api/v1/accounts/sign-up"
ME = "/api/v1/accounts/me"


def sign_up(client, **fields):
    return client.post(SIGN_UP, {"password": TEST_PASSWORD, **fields}, content_type="application/json")


def test_a_resident_signs_up_with_a_phone_number(client):
    response = sign_up(client, phone="(415) 555-2671", language="zh-hant", first_name="Mei")
    assert response.status_code == 201
    body = response.json()
    assert body["phone"] == "+14155552671" and body["language"] == "zh-hant"
    assert body["is_staff"] is False and body["roles"] == []
    assert User.objects.get(pk=body["id"]).check_password(TEST_PASSWORD)
    assert "password" not in body


def test_a_taken_email_is_a_422_on_the_email_field_and_nothing_is_saved(client):
    ResidentFactory(email="taken@example.org")
    before = User.objects.count()
    body = assert_problem(sign_up(client, email="Taken@Example.org", phone="bad phone"), 422)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.email", "body.phone"}
    assert {e["code"] for e in body["errors"] if e["field"] == "body.email"} == {"taken"}
    assert User.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({}, "body.email"),  # neither email nor phone
        ({"email": "a@example.org", "password": "short"}, "body.password"),
        ({"email": "a@example.org", "language": "fr"}, "body.language"),
        ({"email": 42}, "body.email"),
        ({"email": "a@example.org", "first_name": ["x"]}, "body.first_name"),
    ],
)
def test_bad_sign_ups_name_the_field(client, fields, bad_field):
    body = assert_problem(sign_up(client, **fields), 422)
    assert bad_field in {e["field"] for e in body["errors"]}
    assert not User.objects.filter(is_staff=False).exists()


def test_me_and_changing_my_language_and_name(client):
    resident = ResidentFactory()
    client.force_login(resident)
    response = client.patch(ME, {"language": "es", "first_name": " Ana "}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["language"] == "es" and response.json()["first_name"] == "Ana"
    resident.refresh_from_db()
    assert (resident.language, resident.first_name, resident.last_name) == ("es", "Ana", "")


def test_a_bad_change_saves_nothing(client):
    resident = ResidentFactory(first_name="Alex")
    client.force_login(resident)
    body = assert_problem(
        client.patch(ME, {"language": "xx", "first_name": "Changed"}, content_type="application/json"), 422
    )
    assert body["errors"][0]["field"] == "body.language"
    resident.refresh_from_db()
    assert resident.first_name == "Alex"


def test_administrators_list_staff_with_their_roles(make_token, token_client):
    admin = StaffFactory(roles=[Role.ADMINISTRATOR], username="admin-1")
    StaffFactory(roles=[Role.OPERATOR, Role.CASEWORKER], username="staff-2")
    ResidentFactory()
    client = token_client(make_token(owner=admin, scopes=("accounts:read",)).secret)
    page = client.get("/api/v1/accounts/staff").json()
    assert page["count"] == 2
    by_name = {s["username"]: s for s in page["results"]}
    assert sorted(r["role"] for r in by_name["staff-2"]["roles"]) == ["caseworker", "operator"]
    assert by_name["staff-2"]["roles"][0]["districts"] == []
    filtered = client.get("/api/v1/accounts/staff", {"q": "staff-2"}).json()
    assert [s["username"] for s in filtered["results"]] == ["staff-2"]


def test_other_staff_may_not_list_staff(make_token, token_client):
    client = token_client(make_token(roles=(Role.OPERATOR,)).secret)
    assert_problem(client.get("/api/v1/accounts/staff"), 403)


def test_the_meta_endpoint_lists_languages_in_their_own_names(client):
    results = client.get("/api/v1/meta/languages").json()["results"]
    assert {r["code"]: r["name_local"] for r in results}["zh-hant"] == "繁體中文"


def test_the_index_lists_the_modules(client):
    modules = client.get("/api/v1/").json()["modules"]
    assert {"accounts", "meta"} <= set(modules)
