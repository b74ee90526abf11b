"""The phone line: a caller hears the community risk, synthesised in their language, and picks a
district by number."""

from __future__ import annotations

import datetime
import shutil
from xml.etree import ElementTree

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from cityos.conftest import need
from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.epi import refresh, voice
from cityos.epi.tests.factories import daily_cases, district

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 1, 1)
URL = "/epi/hooks/voice/"


@pytest.fixture
def gateway(settings, tmp_path) -> Client:
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    settings.MEDIA_ROOT = tmp_path
    return Client(headers={"Authorization": "Bearer gw-secret"})


@pytest.fixture
def refreshed():
    harbour, hills = district("harbour", 200_000), district("hills", 3_000)
    harbour.names = {"zh-hant": "港區", "es": "Puerto"}
    harbour.save()
    daily_cases(harbour, START, [20 + i for i in range(60)])
    daily_cases(hills, START, [0] * 58 + [3, 0])
    return refresh.refresh_dashboard(START + datetime.timedelta(days=59), seed=1)


def call(client: Client, sender: str = "+14155550123", **fields: str):
    response = client.post(URL, {"from": sender, **fields}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/xml")
    return response["X-CityOS-Action"], ElementTree.fromstring(response.content)  # noqa: S314 - our own reply


def test_the_line_needs_the_gateway_token(settings, refreshed):
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    response = Client().post(URL, {"from": "+14155550123"}, content_type="application/json")
    assert response.status_code == 401


def test_a_caller_hears_the_city_and_a_menu_then_picks_a_district(gateway, refreshed):
    need(shutil.which("espeak-ng") is not None, "espeak-ng")
    action, root = call(gateway)
    assert action == "risk_city"
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "2" and gather.get("action").endswith(URL)
    audio_url = gather.find("Play").text
    name = audio_url.split("/media/", 1)[1]
    with default_storage.open(name) as audio:
        assert audio.read(4) == b"RIFF"  # a real WAV made by espeak-ng
    action, root = call(gateway, digits="1")  # districts in name order: Harbour first
    assert action == "risk_district"
    # The same figures are spoken from the same file, not synthesised again.
    again = call(gateway, digits="1")[1]
    assert again.find("Gather/Play").text == root.find("Gather/Play").text


def test_the_spoken_text_is_the_districts_figures_in_the_callers_language(refreshed):
    resident = ResidentFactory(phone="+14155550177", language="es", district=refreshed_district("harbour"))
    action, text, gather = voice.spoken_answer(resident, "", "es")
    assert action == "risk_own_district" and gather
    assert "Puerto" in text and "Rt" in text
    assert voice.spoken_answer(None, "9", "en")[0] == "unknown_district"
    assert "For Harbour, press 1. For Hills, press 2." in voice.spoken_answer(None, "", "en")[1]


def test_an_account_callers_language_wins(gateway, refreshed, monkeypatch):
    ResidentFactory(phone="+14155550178", language="zh-hant")
    spoken: list[tuple[str, str]] = []
    monkeypatch.setattr(voice, "speech_url", lambda text, language: spoken.append((text, language)) or "http://x/a.wav")
    call(gateway, sender="+14155550178", language="es")
    assert spoken[0][1] == "zh-hant" and "港區" in spoken[0][0]


def test_the_reply_says_which_language_the_call_speaks(gateway, refreshed, monkeypatch):
    ResidentFactory(phone="+14155550179", language="zh-hant")
    monkeypatch.setattr(voice, "speech_url", lambda text, language: "http://x/a.wav")

    response = gateway.post(URL, {"from": "+14155550179"}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "zh-hant"


def test_without_espeak_the_gateway_is_asked_to_say_the_text(gateway, refreshed, monkeypatch):
    from cityos.core.notifications.transports import PermanentError

    def fail(text: str, language: str):
        raise PermanentError("espeak-ng is not installed")

    monkeypatch.setattr(voice, "synthesise_speech", fail)
    _action, root = call(gateway, language="es")
    say = root.find("Gather/Say")
    assert say is not None and say.get("language") == "es-ES" and "Puerto" in say.text


def refreshed_district(code: str):
    from cityos.core.geo.models import District

    return District.objects.get(code=code)
