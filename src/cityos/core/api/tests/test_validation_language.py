"""Validation messages come in the language of the request (Accept-Language)."""

from __future__ import annotations

import pytest
from django.utils import translation

from cityos.core.api.problems import translate_pydantic_error
from cityos.core.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db

SIGN_UP = "/api/v1/accounts/sign-up"


def errors_by_field(response):
    return {e["field"]: e["message"] for e in assert_problem(response, 422)["errors"]}


ENGLISH = {
    "body.password": "This field is required.",
    "body.first_name": "Use at most 150 characters.",
    "body.email": "Enter a valid email address.",
}


@pytest.mark.parametrize(
    ("language", "too_long", "number"),
    [
        ("en", "Use at most 150 characters.", "Enter a whole number."),
        ("es", "Usa como máximo 150 caracteres.", "Introduce un número entero."),
        ("zh-hant", "最多只能使用 150 個字元。", "請輸入整數。"),
    ],
)
def test_missing_too_long_not_an_email_and_not_a_number_are_translated(client, language, too_long, number):
    headers = {"Accept-Language": language}
    response = client.post(
        SIGN_UP, {"email": "not-an-email", "first_name": "x" * 151}, content_type="application/json", headers=headers
    )
    messages = errors_by_field(response)
    assert messages["body.first_name"] == too_long
    with translation.override(language):
        assert messages["body.password"] == translation.gettext(ENGLISH["body.password"])
        assert messages["body.email"] == translation.gettext(ENGLISH["body.email"])
    if language != "en":
        assert all(messages[field] != english for field, english in ENGLISH.items())
    assert errors_by_field(client.get("/api/v1/meta/languages?limit=many", headers=headers)) == {"query.limit": number}


def test_the_problem_title_and_detail_are_translated_too(client):
    response = client.get("/api/v1/accounts/me", headers={"Accept-Language": "es"})
    body = assert_problem(response, 401)
    assert body["title"] == "No has iniciado sesión"


def test_service_errors_keep_their_translation_and_field(client):
    response = client.post(
        SIGN_UP,
        {"phone": "12", "password": "correct-horse-battery"},
        content_type="application/json",
        headers={"Accept-Language": "es"},
    )
    assert "body.phone" in errors_by_field(response)


@pytest.mark.parametrize(
    ("error", "spanish"),
    [
        ({"type": "date_parsing", "msg": "Input should be a valid date"}, "Introduce una fecha válida (AAAA-MM-DD)."),
        ({"type": "float_parsing", "msg": "..."}, "Introduce un número."),
        ({"type": "less_than_equal", "ctx": {"le": 500}, "msg": "..."}, "Introduce un número menor o igual que 500."),
        # pydantic's English " or " is not left in a Spanish sentence.
        ({"type": "literal_error", "ctx": {"expected": "'en' or 'es'"}, "msg": "..."}, "Elige uno de: 'en', 'es'."),
        (
            {"type": "enum", "ctx": {"expected": "'a', 'b or c' or 'd'"}, "msg": "..."},
            "Elige uno de: 'a', 'b or c', 'd'.",
        ),
        ({"type": "something_new", "msg": "Pydantic says no"}, "Pydantic says no"),
    ],
)
def test_pydantic_messages_by_type(error, spanish):
    with translation.override("es"):
        assert translate_pydantic_error(error) == spanish
