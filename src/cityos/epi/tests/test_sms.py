"""Residents without a smartphone text RISK (風險, RIESGO), alone or with a district, and the
reply gives its risk level, incidence and Rt from the latest snapshot, small counts withheld."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.epi import refresh, sms
from cityos.epi.tests.factories import daily_cases, district

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 1, 1)
URL = "/epi/hooks/sms/"


@pytest.fixture
def gateway(settings) -> Client:
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    return Client(headers={"Authorization": "Bearer gw-secret"})


@pytest.fixture
def refreshed():
    harbour, hills = district("harbour", 200_000), district("hills", 3_000)
    harbour.names = {"zh-hant": "港區", "es": "Puerto"}
    harbour.save()
    daily_cases(harbour, START, [20 + i for i in range(60)])
    daily_cases(hills, START, [0] * 58 + [3, 0])
    return refresh.refresh_dashboard(START + datetime.timedelta(days=59), seed=1)


def _text(client: Client, text: str, sender: str = "+14155550123") -> dict:
    response = client.post(URL, {"from": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200
    return response.json()


def test_the_webhook_needs_the_gateway_token(settings, refreshed):
    settings.CITYOS_GATEWAY_TOKEN = "gw-secret"
    response = Client().post(URL, {"from": "+14155550123", "text": "RISK"}, content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_district_gets_its_risk_incidence_and_rt(gateway, refreshed):
    row = next(r for r in refreshed.data["districts"] if r["code"] == "harbour")
    answer = _text(gateway, "risk Harbour")
    assert answer["action"] == "risk_district"
    reply = answer["reply"]
    assert reply.startswith("Harbour on 2026-03-01: risk High")
    assert f"{row['incidence']} new cases per 100,000 in 7 days" in reply
    assert f"Rt {row['rt']} (95% range {row['rt_lower']} to {row['rt_upper']})" in reply
    assert _text(gateway, "RISK harbour.")["reply"] == reply  # case and a full stop do not matter


def test_a_small_count_is_withheld_as_on_the_dashboard(gateway, refreshed):
    reply = _text(gateway, "RISK hills")["reply"]
    assert "fewer than 5 new cases in 7 days" in reply
    assert "3 new cases" not in reply and "100.0" not in reply
    assert "Rt: too few cases to estimate" in reply


def test_risk_alone_gives_the_city_and_the_highest_risk_districts(gateway, refreshed):
    answer = _text(gateway, "RISK")
    assert answer["action"] == "risk_city"
    assert answer["reply"].startswith(f"City on 2026-03-01: Rt {refreshed.data['rt']['mean']}")
    assert "highest risk: Harbour (High), Hills" in answer["reply"]
    assert "Text RISK and your district's name" in answer["reply"]


def test_the_chinese_and_spanish_keywords_answer_in_their_language(gateway, refreshed):
    chinese = _text(gateway, "風險 港區")
    assert chinese["action"] == "risk_district"
    assert chinese["reply"].startswith("港區")
    assert "Rt" in chinese["reply"] and "risk" not in chinese["reply"]
    assert _text(gateway, "風險港區")["reply"] == chinese["reply"]  # no space needed in Chinese
    spanish = _text(gateway, "riesgo puerto")
    assert spanish["reply"].startswith("Puerto")
    assert "Puerto" in spanish["reply"] and "risk" not in spanish["reply"]


def test_risk_in_english_answers_in_the_senders_account_language(gateway, refreshed):
    ResidentFactory(phone="+14155550124", email=None, language="es")
    reply = _text(gateway, "RISK harbour", sender="+14155550124")["reply"]
    assert reply.startswith("Puerto")


def test_an_unknown_district_is_named_with_an_example(gateway, refreshed):
    answer = _text(gateway, "RISK atlantis")
    assert answer["action"] == "unknown_district"
    assert "We do not know the district “atlantis”" in answer["reply"]
    assert "RISK Harbour" in answer["reply"]


def test_before_the_first_refresh_it_says_there_are_no_figures(gateway):
    answer = _text(gateway, "RISK")
    assert answer == {"action": "no_figures", "reply": "There are no figures yet. Please try again later."}


def test_other_texts_are_ignored_and_a_missing_sender_is_refused(gateway, refreshed):
    assert _text(gateway, "hello") == {"action": "ignored", "reply": ""}
    assert _text(gateway, "RISKY business") == {"action": "ignored", "reply": ""}
    response = gateway.post(URL, {"text": "RISK"}, content_type="application/json")
    assert response.status_code == 400
    form_encoded = gateway.post(URL, {"From": "+14155550123", "Body": "RISK harbour"})  # as Twilio sends
    assert form_encoded.json()["action"] == "risk_district"


def test_a_district_is_found_by_code_name_translated_name_or_a_unique_part():
    rows = [
        {"code": "n1", "name": "North Shore", "names": {"zh-hant": "北岸"}},
        {"code": "n2", "name": "North Hills", "names": {}},
    ]
    assert sms.find_district(rows, "N1")["code"] == "n1"
    assert sms.find_district(rows, "north hills")["code"] == "n2"
    assert sms.find_district(rows, "北岸")["code"] == "n1"
    assert sms.find_district(rows, "shore")["code"] == "n1"
    assert sms.find_district(rows, "north") is None  # two match: ask again rather than guess
