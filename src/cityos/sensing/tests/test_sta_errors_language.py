"""The SensorThings API's errors speak the request's language (Accept-Language), English by
default, in the standard's own shape: ``{"code", "type": "error", "message"}``, so SensorThings
clients read them as before. What the request wrote is quoted as written, in every language."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cityos.sensing.tests.conftest import STA, post

pytestmark = pytest.mark.django_db

BAD_FILTER = {"$filter": "name eq 'a' 'b'"}  # a second literal where the expression should end
BAD_ORDER = {"$orderby": "name add"}
UNKNOWN = "/Things(999)/Datastreams"
NO_DATASTREAM = {"result": 1}  # an Observation without the Datastream it belongs to


def accepting(accept: str | None) -> dict[str, str]:
    """The request's Accept-Language header; none at all for None."""
    return {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}


def in_language(response: Any, status: int, language: str) -> str:
    """The message of an error answered in ``language``, after checking the shape clients read."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "type", "message"}
    assert (body["code"], body["type"]) == (status, "error")
    assert response["Content-Language"] == language
    return str(body["message"])


@pytest.mark.parametrize(
    ("accept", "language", "expected"),
    [
        (None, "en", "$filter: unexpected \"'b'\" at position 13"),
        ("es", "es", "$filter: \"'b'\" inesperado en la posición 13"),
        ("zh-TW,zh;q=0.9", "zh-hant", "$filter：非預期的 \"'b'\"（位置 13）"),  # noqa: RUF001 - Chinese punctuation
    ],
)
def test_a_bad_filter_is_explained_in_the_readers_language_quoting_what_they_wrote(
    client: Client, accept: str | None, language: str, expected: str
) -> None:
    response = client.get(STA + "/Things", BAD_FILTER, **accepting(accept))
    assert in_language(response, 400, language) == expected


@pytest.mark.parametrize(
    ("accept", "language", "expected"),
    [
        ("en", "en", "$orderby: expected a value, a property or a function but found the end at position 9"),
        (
            "es",
            "es",
            "$orderby: se esperaba un valor, una propiedad o una función pero la expresión terminó en la posición 9",
        ),
        ("zh-hant", "zh-hant", "$orderby：預期值、屬性或函式，但運算式已結束（位置 9）"),  # noqa: RUF001 - Chinese punctuation
    ],
)
def test_an_orderby_error_names_orderby_in_every_language(
    client: Client, accept: str, language: str, expected: str
) -> None:
    response = client.get(STA + "/Things", BAD_ORDER, HTTP_ACCEPT_LANGUAGE=accept)
    assert in_language(response, 400, language) == expected


@pytest.mark.parametrize(
    ("accept", "language", "expected"),
    [
        (None, "en", "There is no Thing with @iot.id 999."),
        ("es", "es", "No hay Thing con @iot.id 999."),
        ("zh-hant", "zh-hant", "沒有 @iot.id 為 999 的 Thing。"),
    ],
)
def test_an_unknown_id_is_a_404_in_the_readers_language(
    client: Client, accept: str | None, language: str, expected: str
) -> None:
    assert in_language(client.get(STA + UNKNOWN, **accepting(accept)), 404, language) == expected


@pytest.mark.parametrize(
    ("accept", "language", "expected"),
    [
        (None, "en", 'An Observation needs its Datastream, e.g. "Datastream": {"@iot.id": 1}.'),
        ("es", "es", 'Una Observation necesita su Datastream, p. ej. "Datastream": {"@iot.id": 1}.'),
        ("zh-hant", "zh-hant", 'Observation 需要其 Datastream，例如 "Datastream": {"@iot.id": 1}。'),  # noqa: RUF001 - Chinese punctuation
    ],
)
def test_a_bad_post_body_is_refused_in_the_writers_language(
    writer: Client, accept: str | None, language: str, expected: str
) -> None:
    response = post(writer, "/Observations", NO_DATASTREAM, **accepting(accept))
    assert in_language(response, 400, language) == expected


@pytest.mark.parametrize(
    ("accept", "language", "expected"),
    [
        ("es", "es", "Inicia sesión como personal o envía un token de la API como 'Authorization: Bearer <token>'."),
        ("zh-hant", "zh-hant", "請以職員身分登入，或以「Authorization: Bearer <token>」傳送 API 權杖。"),  # noqa: RUF001 - Chinese punctuation
    ],
)
def test_an_anonymous_write_is_a_401_in_the_callers_language(
    client: Client, accept: str, language: str, expected: str
) -> None:
    response = post(client, "/Things", {"name": "x"}, HTTP_ACCEPT_LANGUAGE=accept)
    assert in_language(response, 401, language) == expected
    assert response["WWW-Authenticate"].startswith("Bearer ")


def test_a_bad_token_is_refused_in_the_callers_language(client: Client) -> None:
    response = client.get(STA + "/Things", HTTP_AUTHORIZATION="Bearer nonsense", HTTP_ACCEPT_LANGUAGE="es")
    assert (
        in_language(response, 401, "es")
        == "Este token de la API no es válido: es desconocido, ha caducado o fue revocado."
    )


def test_an_unknown_language_falls_back_to_english(client: Client) -> None:
    response = client.get(STA + UNKNOWN, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert in_language(response, 404, "en") == "There is no Thing with @iot.id 999."
