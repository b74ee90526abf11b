"""Templates: checked when saved (admin), personalised safely when sent."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications.models import MessageTemplate
from cityos.core.notifications.rendering import join_sentences, render_text

pytestmark = pytest.mark.django_db


def errors_of(template: MessageTemplate) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    return caught.value.message_dict


def test_a_template_that_does_not_parse_is_refused_naming_the_field():
    errors = errors_of(MessageTemplate(key="broken", language="en", body="{% if person.first_name %}Hello"))
    assert "not a valid template" in errors["body"][0]


def test_a_template_that_includes_site_templates_cannot_be_saved():
    errors = errors_of(MessageTemplate(key="sneaky", language="en", body="{% load static %}hi"))
    assert "body" in errors


def test_an_sms_template_too_long_before_personalisation_is_refused(settings):
    settings.CITYOS_SMS_MAX_PARTS = 1
    errors = errors_of(MessageTemplate(key="long", channel="sms", language="en", body="x" * 161))
    assert "SMS parts" in errors["body"][0]


def test_a_good_template_is_accepted():
    MessageTemplate(key="ok", language="es", subject="Hola {{ person.first_name }}", body="{{ details }}").full_clean()


def test_personalisation_sees_names_and_the_district_in_the_language_not_the_account():
    district = DistrictFactory(name="Harbour", names={"zh-hant": "港區", "es": "Puerto"})
    person = ResidentFactory(first_name="Ana", last_name="Ruiz", district=district)
    text = "{{ person.name }} · {{ person.district }} · {{ person.email }}{{ person.password }} · {{ missing }}"
    assert render_text(text, language="es", person=person, context={}) == "Ana Ruiz · Puerto ·  ·"
    assert render_text("{{ person.district }}", language="zh-hant", person=person, context={}) == "港區"


def test_texts_are_plain_not_html_escaped():
    assert render_text("{{ details }}", language="en", person=None, context={"details": "Tom & Jerry <3"}) == (
        "Tom & Jerry <3"
    )


@pytest.mark.parametrize(
    ("language", "joined"),
    [
        ("en", "Thank you. We will text you."),
        ("es", "Thank you. We will text you."),
        ("zh-hant", "謝謝。我們會通知您。"),
    ],
)
def test_a_replys_sentences_are_joined_as_its_language_writes_them(language, joined):
    sentences = ("謝謝。", "", "我們會通知您。") if language == "zh-hant" else ("Thank you.", "", "We will text you.")
    with translation.override(language):
        assert join_sentences(*sentences) == joined  # the empty one left out
