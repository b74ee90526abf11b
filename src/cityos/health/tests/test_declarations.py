"""Residents' daily self-declaration, the triage rule, and the SMS route for any phone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.health import services
from cityos.health.models import Declaration, FlagReason, Quarantine
from cityos.health.tests.conftest import days_ago
from cityos.health.triage import triage

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("symptoms", "travelled", "contact", "expected"),
    [
        ([], False, False, None),
        (["cough"], False, False, None),
        (["fever"], False, False, None),
        (["sore_throat", "fatigue"], False, False, None),
        ([], True, False, None),
        ([], False, True, FlagReason.CONTACT),
        (["cough"], False, True, FlagReason.CONTACT),
        (["breath"], False, False, FlagReason.BREATH),
        (["fever", "cough"], False, False, FlagReason.FEVER),
        (["fever", "taste_smell"], False, False, FlagReason.FEVER),
        (["sore_throat"], True, False, FlagReason.TRAVEL),
    ],
)
def test_the_triage_rule(symptoms, travelled, contact, expected):
    assert triage(symptoms, travelled=travelled, contact_with_case=contact) == expected


def test_a_second_declaration_the_same_day_replaces_the_first(resident):
    services.declare(resident, symptoms=["cough"])
    declaration = services.declare(resident, symptoms=["fever", "cough"])
    assert Declaration.objects.filter(person=resident).count() == 1
    assert declaration.flagged and declaration.flag_reason == FlagReason.FEVER


def test_bad_declarations_are_refused(resident, officer):
    with pytest.raises(ValidationError) as refused:
        services.declare(resident, symptoms=["hiccups"])
    assert refused.value.message_dict == {"symptoms": ["Pick symptoms from the list."]}
    with pytest.raises(ValidationError) as refused:
        services.declare(officer, symptoms=[])
    assert "person" in refused.value.message_dict
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    ("text", "symptoms", "travelled", "contact"),
    [
        ("OK", [], False, False),
        ("ok.", [], False, False),
        ("FEVER COUGH", ["cough", "fever"], False, False),
        ("fiebre, tos", ["cough", "fever"], False, False),
        ("發燒 咳嗽", ["cough", "fever"], False, False),
        ("throat travel", ["sore_throat"], True, False),
        ("CONTACT", [], False, True),
    ],
)
def test_sms_words_in_three_languages(text, symptoms, travelled, contact):
    parsed = services.parse_sms(text)
    assert (parsed.symptoms, parsed.travelled, parsed.contact_with_case) == (symptoms, travelled, contact)


@pytest.mark.parametrize("text", ["", "   ", "FEVER SNEEZE", "OK FEVER"])
def test_sms_that_cannot_be_read_is_refused_not_guessed(text):
    with pytest.raises(ValidationError) as refused:
        services.parse_sms(text)
    assert "text" in refused.value.message_dict


@pytest.fixture
def gateway(settings):
    settings.CITYOS_GATEWAY_TOKEN = "hook-secret"
    return {"HTTP_AUTHORIZATION": "Bearer hook-secret"}


def test_an_sms_reply_declares_for_the_resident_with_that_number(client, person, gateway):
    response = client.post("/health/hooks/sms/", {"From": "+1 212 555 0142", "Body": "FEVER COUGH"}, **gateway)
    assert response.status_code == 200
    assert response.json() == {
        "action": "declared",
        "flagged": True,
        "checked_in": False,
        "reply": "Thank you. Please get tested: Fever with cough or loss of taste or smell. Stay at home.",
    }
    declaration = Declaration.objects.get(person=person)
    assert declaration.channel == "sms" and declaration.symptoms == ["cough", "fever"]


def test_the_sms_reply_is_in_the_residents_language(client, gateway):
    person = ResidentFactory(phone="+12125550143", language="es")
    response = client.post("/health/hooks/sms/", {"From": "+12125550143", "Body": "OK"}, **gateway)
    assert response.json()["reply"] == "Gracias. Vuelve a escribir mañana."
    assert Declaration.objects.get(person=person).flagged is False


def test_an_sms_in_quarantine_counts_as_the_check_in(client, person, officer, gateway):
    services.start_quarantine(officer, person, start_date=days_ago(1), home_lat=40.7, home_lon=-73.9)
    response = client.post("/health/hooks/sms/", {"From": "+12125550142", "Body": "OK"}, **gateway)
    assert response.json()["checked_in"] is True
    check_in = Quarantine.objects.get(person=person).check_ins.get()
    assert check_in.channel == "sms" and check_in.inside is None


@pytest.mark.parametrize(
    ("body", "reply_starts"),
    [
        ("FEVER COUGH", "This number is not signed up with the city."),
        ("發燒 咳嗽", "這個號碼尚未"),
        ("FIEBRE TOS", "Este número no está registrado"),
    ],
)
def test_a_text_from_an_unknown_number_is_told_how_to_sign_up_in_its_words_language(
    client, gateway, body, reply_starts
):
    response = client.post("/health/hooks/sms/", {"From": "+12125550187", "Body": body}, **gateway)

    assert response.status_code == 404
    assert response.json()["action"] == "refused"
    assert response.json()["reply"].startswith(reply_starts)
    assert "/accounts/sign-up/" in response.json()["reply"]
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    ("data", "headers", "status"),
    [
        ({"From": "+12125550142", "Body": "OK"}, {}, 401),
        ({"From": "not a phone", "Body": "OK"}, None, 400),
        ({"From": "+12125550199", "Body": "OK"}, None, 404),
        ({"From": "+12125550142", "Body": "SNEEZE"}, None, 400),
    ],
)
def test_bad_sms_webhook_calls_are_refused(client, person, gateway, data, headers, status):
    response = client.post("/health/hooks/sms/", data, **(gateway if headers is None else headers))
    assert response.status_code == status
    assert not Declaration.objects.exists()
