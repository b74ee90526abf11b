"""Residents without a smartphone text PARK, AIR or WATER (停車/空氣/水質, APARCAR/AIRE/AGUA)
with a place, and the reply comes in the keyword's (or their account's) language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.monitoring import sms
from cityos.monitoring.tests.factories import district, hourly, observe, thing

pytestmark = pytest.mark.django_db
URL = "/monitoring/hooks/sms/"


@pytest.fixture
def gateway(settings) -> Client:
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    return Client(headers={"Authorization": "Bearer gw-secret"})


@pytest.fixture
def city():
    now = timezone.now().replace(microsecond=0)
    district("harbour", "Harbour", {"zh-hant": "港區", "es": "Puerto"})
    district("hills", "Hills", {"zh-hant": "山區", "es": "Colinas"})
    for i, occupied in enumerate([False, True, True, True]):
        bay = thing(f"Bay {i}", "parking-bay", ["occupied"], car_park="Museum", car_park_id="museum")
        observe(bay, "occupied", [(now - timedelta(minutes=3), occupied)])
    air = thing("A1", "air-quality", ["pm25"], district="harbour")
    observe(air, "pm25", hourly(now.replace(minute=0, second=0, microsecond=0), 24, 40.0))
    water = thing("W1", "water-quality", ["pH", "turbidity", "chlorine", "conductivity"], district="hills")
    for prop, value in {"pH": 7.0, "turbidity": 2.0, "chlorine": 0.5, "conductivity": 300.0}.items():
        observe(water, prop, [(now - timedelta(minutes=5), value)])


def _text(client: Client, text: str, sender: str = "+14155550123") -> dict:
    response = client.post(URL, {"from": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200
    return response.json()


def test_the_webhook_needs_the_gateway_token_and_a_sender(settings, city):
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    assert Client().post(URL, {"from": "+1415", "text": "AIR"}, content_type="application/json").status_code == 401
    client = Client(headers={"Authorization": "Bearer gw-secret"})
    assert client.post(URL, {"text": "AIR"}, content_type="application/json").status_code == 400


def test_parse_keywords():
    assert sms.parse("park museum") == sms.Query("park", "park", "", "museum")
    assert sms.parse("PARKING Museum.") == sms.Query("park", "PARKING", "", "Museum")
    assert sms.parse("空氣港區") == sms.Query("air", "空氣", "zh-hant", "港區")
    assert sms.parse("Agua colinas") == sms.Query("water", "Agua", "es", "colinas")
    assert sms.parse("hello") is None and sms.parse("parkour") is None


def test_park_in_english(gateway, city):
    answer = _text(gateway, "PARK museum")
    assert answer["action"] == "park"
    assert answer["reply"].startswith("Museum: 1 of 4 bays free at ")
    unknown = _text(gateway, "PARK zoo")
    assert unknown["action"] == "unknown_place" and "PARK Museum" in unknown["reply"]


def test_air_in_english_and_spanish(gateway, city):
    english = _text(gateway, "AIR harbour")
    assert english["action"] == "air"
    # PM2.5 40 µg/m³: (150-101)/(55.4-35.5)*(40.0-35.5)+101 = 112.1 -> 112.
    assert english["reply"].startswith("Harbour: air quality index 112, Unhealthy for sensitive groups.")
    spanish = _text(gateway, "AIRE puerto")
    assert spanish["reply"].startswith("Puerto: índice de calidad del aire 112, Dañina para grupos sensibles.")
    chinese = _text(gateway, "空氣 港區")
    assert chinese["reply"].startswith("港區：空氣品質指標 112")  # noqa: RUF001 - full-width colon


def test_water_with_its_readings_in_the_account_language(gateway, city):
    ResidentFactory(phone="+14155550199", language="es")
    reply = _text(gateway, "WATER hills", sender="+14155550199")["reply"]
    assert reply.startswith("Colinas: agua potable, Aviso de control")
    assert "2 NTU" in reply
    english = _text(gateway, "water hills")["reply"]
    assert english.startswith("Hills: drinking water Check advisory; Cloudiness (turbidity) 2 NTU (Slightly cloudy")


def test_city_summary_without_a_place(gateway, city):
    answer = _text(gateway, "water")
    assert answer["action"] == "water_city" and "Text water and your district's name" in answer["reply"]
    assert _text(gateway, "AIR")["action"] == "air_city"
    assert _text(gateway, "hello")["action"] == "ignored"
