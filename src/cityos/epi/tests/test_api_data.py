"""/api/v1/epi daily reports (health officers), CSV imports, and the public figures."""

from __future__ import annotations

import datetime
import json

import pytest

from cityos.core.accounts.models import Role
from cityos.epi import refresh
from cityos.epi.models import CaseCount, HospitalReport
from cityos.epi.tests.factories import daily_cases, district, hospital

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def problem_fields(response):
    assert response.status_code == 422, response.content
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_reporting_cases_needs_a_health_officer(client, staff_client):
    district("old-town")
    body = {"district": "old-town", "date": "2026-03-01", "local": 3}
    assert post(client, "/api/v1/epi/cases", body).status_code == 401
    _user, operator = staff_client(Role.OPERATOR)
    assert post(operator, "/api/v1/epi/cases", body).status_code == 403
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    response = post(officer, "/api/v1/epi/cases", body)
    assert response.status_code == 201
    assert response.json() == {"district": "old-town", "date": "2026-03-01", "local": 3, "imported": 0}
    assert CaseCount.objects.get().local == 3


def test_bad_reports_are_422_naming_the_field(staff_client):
    district("old-town")
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    assert "body.local" in problem_fields(
        post(officer, "/api/v1/epi/cases", {"district": "old-town", "date": "2026-03-01", "local": -1})
    )
    errors = problem_fields(post(officer, "/api/v1/epi/cases", {"district": "atlantis", "date": "2026-03-01"}))
    assert errors == {"body.district": "There is no district with the code “atlantis”."}
    errors = problem_fields(
        post(
            officer,
            "/api/v1/epi/lab-results",
            {"district": "old-town", "date": "2026-03-01", "tests": 3, "positives": 4},
        )
    )
    assert errors == {
        "body.positives": "4 positive tests is more than the 3 tests done; positives cannot exceed tests."
    }


def test_a_hospital_report_with_more_occupied_than_beds_is_refused(staff_client):
    place = hospital()
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    body = {
        "hospital": place.pk,
        "date": "2026-03-01",
        "beds_total": 50,
        "beds_occupied": 51,
        "icu_total": 5,
        "icu_occupied": 1,
        "ventilators_total": 3,
        "ventilators_occupied": 0,
    }
    errors = problem_fields(post(officer, "/api/v1/epi/hospital-reports", body))
    assert errors["body.beds_occupied"].startswith("51 occupied is more than the 50")
    response = post(officer, "/api/v1/epi/hospital-reports", {**body, "beds_occupied": 50})
    assert response.status_code == 201 and response.json()["hospital_name"] == place.name
    assert HospitalReport.objects.get().beds_occupied == 50


def test_a_csv_import_through_the_api_reports_each_row(staff_client):
    district("old-town")
    _user, officer = staff_client(Role.HEALTH_OFFICER)
    text = "district,date,tests,positives\nold-town,2026-03-01,10,2\nold-town,2026-03-02,1,2\n"
    response = post(officer, "/api/v1/epi/imports/lab", {"csv": text})
    assert response.status_code == 200
    body = response.json()
    assert body["saved"] is False
    assert [r["result"] for r in body["rows"]] == ["new", "refused"]
    assert body["rows"][1]["errors"] == [
        "positives: 2 positive tests is more than the 1 tests done; positives cannot exceed tests."
    ]


def test_the_public_figures_and_the_risk_layer(client):
    assert client.get("/api/v1/epi/dashboard").status_code == 404
    big, small = district("big", 200_000), district("small", 3_000)
    start = datetime.date(2026, 1, 1)
    daily_cases(big, start, [30] * 40)
    daily_cases(small, start, [0] * 39 + [2])
    refresh.refresh_dashboard(start + datetime.timedelta(days=39), seed=1)

    layer = client.get("/api/v1/epi/risk")
    assert layer.status_code == 200 and layer["Content-Type"] == "application/geo+json"
    features = {f["id"]: f["properties"] for f in layer.json()["features"]}
    assert features["big"]["cases_7d"] == 210 and features["big"]["incidence_per_100k"] == 105.0
    assert features["big"]["risk"] == "high" and features["big"]["trend"] == "stable"
    assert features["small"]["cases_7d"] is None and features["small"]["incidence_per_100k"] is None
    assert client.get("/api/v1/epi/dashboard").json()["cases_7d"] == 212
    forecasts = client.get("/api/v1/epi/forecasts?area=big").json()
    assert [f["horizon"] for f in forecasts] == list(range(1, 15))
    nowhere = client.get("/api/v1/epi/forecasts?area=nowhere")
    assert nowhere.status_code == 422
    assert nowhere.json()["errors"] == [
        {
            "field": "query.area",
            "message": "There is no district nowhere: give a district code, or none for the city.",
            "code": "unknown_district",
        }
    ]
