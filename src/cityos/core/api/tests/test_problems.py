"""Every error of the API is an RFC 9457 problem (application/problem+json)."""

from __future__ import annotations

import json

import pytest
from django.db import DataError
from django.test import override_settings

from cityos.core.accounts.models import Role
from cityos.core.api.problems import validation_problem
from cityos.core.api.routers import meta
from cityos.core.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db


def test_401_without_credentials_says_how_to_authenticate(client):
    response = client.get("/api/v1/accounts/me")
    body = assert_problem(response, 401)
    assert body["instance"] == "/api/v1/accounts/me"
    assert "Bearer" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_403_for_a_missing_role(resident):
    from django.test import Client

    client = Client()
    client.force_login(resident)
    body = assert_problem(client.get("/api/v1/accounts/staff"), 403)
    assert body["type"] == "urn:cityos:problem:missing-role"
    assert body["detail"] == "This needs one of these staff roles: Administrator."  # as staff know it


@pytest.mark.parametrize("path", ["/api/v1/no-such-module/", "/api/v1/accounts/nobody", "/api/v1/x/y/z?q=1"])
def test_404_for_paths_that_name_no_operation(client, path):
    body = assert_problem(client.get(path), 404)
    assert body["type"] == "about:blank"


def test_405_keeps_the_allow_header(client):
    response = client.delete("/api/v1/meta/languages")
    body = assert_problem(response, 405)
    assert response["Allow"] == "GET"
    assert "GET" in body["detail"]


def test_422_lists_each_bad_field(client):
    response = client.post(
        "/api/v1/accounts/sign-up", {"email": "x" * 300, "language": "klingon"}, content_type="application/json"
    )
    body = assert_problem(response, 422)
    assert body["type"] == "urn:cityos:problem:validation-error"
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"body.email", "body.password", "body.language"}
    assert fields["body.password"]["code"] == "missing"
    assert fields["body.email"]["code"] == "string_too_long"
    assert all(e["message"] for e in body["errors"])
    assert "body.email" in body["detail"]


def test_a_field_error_raised_without_a_code_still_has_one(rf):
    errors = [{"field": "query.start", "message": "The start must be before the end."}]
    response = validation_problem(rf.get("/api/v1/x"), errors)
    assert json.loads(response.content)["errors"] == [{**errors[0], "code": "invalid"}]


def test_a_nul_character_is_refused_on_its_field_before_the_database_sees_it(client):
    body = {"email": "a@example.org", "password": "a long passphrase", "first_name": "Mei\x00", "x": ["ok"]}
    response = client.post("/api/v1/accounts/sign-up", body, content_type="application/json")
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {
            "field": "body.first_name",
            "message": "Null characters are not allowed.",
            "code": "null_characters_not_allowed",
        }
    ]
    nested = client.post("/api/v1/accounts/sign-up", {"a": [{"b": "\x00"}]}, content_type="application/json")
    assert assert_problem(nested, 422)["errors"][0]["field"] == "body.a.0.b"
    query = client.get("/api/v1/meta/languages?q=a%00b", HTTP_ACCEPT_LANGUAGE="es")
    assert assert_problem(query, 422)["errors"] == [
        {
            "field": "query.q",
            "message": "Los caracteres nulos no están permitidos.",
            "code": "null_characters_not_allowed",
        }
    ]
    escaped = client.post(  # the text "\\u0000" (a backslash, then u0000) is no NUL
        "/api/v1/accounts/sign-up", '{"email": "\\\\u0000"}', content_type="application/json"
    )
    assert all(
        e["field"] != "body.email" or e["code"] != "null_characters_not_allowed" for e in escaped.json()["errors"]
    )


def test_a_body_nested_deeper_than_python_reads_is_refused_not_a_crash(client):
    deep = "[" * 990 + '"\\u0000"' + "]" * 990
    response = client.post("/api/v1/accounts/sign-up", f'{{"email": {deep}}}', content_type="application/json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith("application/problem+json")


def test_400_for_a_body_that_is_not_json(client):
    response = client.post("/api/v1/accounts/sign-up", "{not json", content_type="application/json")
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_413_for_a_body_larger_than_the_server_accepts(client):
    # Found by the schema fuzzer: Django refuses the body as the operation reads it.
    big = '{"email": "' + "a" * 2000 + '@example.org", "password": "a long passphrase"}'
    response = client.post("/api/v1/accounts/sign-up", big, content_type="application/json")
    assert assert_problem(response, 413)["detail"] == "The request is larger than this server accepts."


@override_settings(CITYOS_API_RATE_ANON="1/m")
def test_429_says_when_to_retry(client):
    assert client.get("/api/v1/meta/languages").status_code == 200
    response = client.get("/api/v1/meta/languages")
    body = assert_problem(response, 429)
    assert body["type"] == "urn:cityos:problem:rate-limited"
    assert 1 <= int(response["Retry-After"]) <= 60


def test_500_hides_the_traceback(client, monkeypatch):
    def broken() -> list[object]:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(meta, "available_languages", broken)
    response = client.get("/api/v1/meta/languages")
    body = assert_problem(response, 500)
    text = response.content.decode()
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert body["type"] == "about:blank"


@pytest.mark.parametrize(
    ("database_says", "detail"),
    [
        ("PostgreSQL text fields cannot contain NUL (0x00) bytes", "Null characters are not allowed."),
        ("integer out of range", "A number in the request is too large or too small."),
        ("value violates NOT NULL", "A number in the request is too large or too small."),
    ],
)
def test_input_the_database_cannot_store_is_the_clients_400(client, monkeypatch, database_says, detail):
    def refused() -> list[object]:
        raise DataError(database_says)

    monkeypatch.setattr(meta, "available_languages", refused)
    body = assert_problem(client.get("/api/v1/meta/languages"), 400)
    assert body["detail"] == detail


def test_a_crash_before_the_operation_is_a_problem_too(client, monkeypatch, make_token):
    from cityos.core.api import auth

    def broken(secret: str) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(auth, "token_for_secret", broken)
    response = client.get("/api/v1/meta/languages", headers={"Authorization": "Bearer cos_x"})
    assert_problem(response, 500)
    assert "on fire" not in response.content.decode()


def test_ninja_http_errors_from_other_routers_become_problems(staff_client):
    # geo writes use ninja's django_auth; without a session that is ninja's plain 401.
    from django.test import Client

    response = Client().post("/api/v1/geo/places", {}, content_type="application/json")
    assert_problem(response, response.status_code)
    assert response.status_code in (401, 403, 422)
    _user, session = staff_client(Role.OPERATOR)
    assert session.get("/api/v1/geo/places").status_code == 200
