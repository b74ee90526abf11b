"""Free text people type (names, addresses, notes) is kept without the bidi embedding, override and
isolate controls, by the forms' TextField and the API's Text alike; and names are shown isolated
from the translated sentence around them."""

# ruff: noqa: RUF001 - full-width digits and signs are what these tests type

from __future__ import annotations

from typing import Annotated

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from pydantic import BaseModel, Field, ValidationError

from cityos.core.accounts.models import User
from cityos.core.accounts.tests.factories import TEST_PASSWORD
from cityos.core.api.schemas import CLEAN_TEXT, Text
from cityos.core.inputs import clean_text
from cityos.core.web.fields import TextField

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
CONTROLS = "".join(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def test_every_embedding_override_and_isolate_control_is_removed():
    assert len(CONTROLS) == 9
    assert clean_text(f"Café 😀 {RLO}abc") == "Café 😀 abc"
    assert clean_text(f"a{CONTROLS}b") == "ab"


def test_the_directional_marks_and_the_text_of_every_script_are_kept():
    kept = "\u200fمقهى\u200e Café 咖啡 café"
    assert clean_text(kept) == kept


def test_the_form_field_removes_them_before_stripping_and_checking():
    field = TextField(max_length=3)
    assert field.clean(f" {RLO}abc\u202c ") == "abc"
    with pytest.raises(Exception, match="required"):
        TextField().clean(RLO * 2)  # a name of nothing but controls is an empty one


def test_the_api_type_removes_them_before_the_lengths_are_checked():
    class Venue(BaseModel):
        name: Annotated[str, Field(min_length=1, max_length=3, pattern=r"^[^\x00]*$"), CLEAN_TEXT]
        note: Annotated[str, Field(max_length=2), CLEAN_TEXT] | None = None
        plain: Text = ""

    assert Venue(name=f"{RLO}abc", note=f"x{RLO}").model_dump() == {"name": "abc", "note": "x", "plain": ""}
    assert Venue(name="a", plain=f"{RLO}z").model_dump() == {"name": "a", "note": None, "plain": "z"}
    with pytest.raises(ValidationError) as refused:
        Venue(name=RLO, note="abc")
    # The errors (and so the API's codes and translated messages) are those of text, not of a list.
    assert [error["type"] for error in refused.value.errors()] == ["string_too_short", "string_too_long"]
    with pytest.raises(ValidationError, match="valid string"):
        Venue(name=12)  # type: ignore[arg-type]
    schema = Venue.model_json_schema()["properties"]
    assert schema["name"] == {
        "maxLength": 3,
        "minLength": 1,
        "pattern": "^[^\\x00]*$",
        "title": "Name",
        "type": "string",
    }


def render(source: str, **context: object) -> str:
    return Template("{% load i18n bidi %}" + source).render(Context(context))


def test_a_name_in_a_translated_sentence_is_isolated_and_escaped():
    with translation.override("zh-hant"):
        html = render(
            "{% blocktranslate with name=name|bdi %}Signed in as {{ name }}.{% endblocktranslate %}",
            name=f"<b>{RLO}Mei</b>",
        )
    assert html == f"已登入：<bdi>&lt;b&gt;{RLO}Mei&lt;/b&gt;</bdi>。"


def test_a_name_in_plain_text_is_put_between_isolates():
    assert render("{{ name|isolate }}", name=f"{RLO}Mei<") == f"\u2068{RLO}Mei&lt;\u2069"
    assert render("{{ name|bdi }}{{ name|isolate }}", name=None) == "<bdi></bdi>\u2068\u2069"


@pytest.mark.django_db
def test_a_first_name_signed_up_with_an_override_is_kept_without_it_and_greeted_isolated(client):
    data = {"first_name": f"Mei{RLO}", "email": "mei@example.org", "phone": "", "language": "zh-hant"}
    assert client.post(reverse("accounts:sign-up"), {**data, "password": TEST_PASSWORD}).status_code == 302
    assert User.objects.get(email="mei@example.org").first_name == "Mei"
    User.objects.filter(email="mei@example.org").update(first_name=f"{RLO}Mei")  # stored before this check
    home = client.get("/", headers={"accept-language": "zh-hant"}).content.decode()
    assert f"<bdi>{RLO}Mei</bdi>" in home


@pytest.mark.django_db
def test_the_accounts_api_keeps_names_without_them(client):
    response = client.post(
        "/api/v1/accounts/sign-up",
        {"email": "ana@example.org", "password": TEST_PASSWORD, "first_name": f"{RLO}Ana", "last_name": "Ruiz\u2069"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Ana", "Ruiz")
    client.force_login(User.objects.get(email="ana@example.org"))
    changed = client.patch("/api/v1/accounts/me", {"first_name": f"An{RLO}a"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["first_name"] == "Ana"
