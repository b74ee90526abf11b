"""/api/v1/waste: typed schemas, roles, problems, pagination and exports."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cityos.core.accounts.models import Role
from cityos.waste.models import Comparison, DisposalSite, Plan, PlanJob, Stop, StopKind
from cityos.waste.tasks import build_requested_plan, simulate_comparison
from cityos.waste.tests.factories import BinFactory, fleet, history

pytestmark = pytest.mark.django_db
API = "/api/v1/waste"


@pytest.fixture
def planned(db):
    _depot, _site, vehicles = fleet()
    day = timezone.localdate()
    end = timezone.make_aware(datetime.combine(day, time(5)))
    for i in range(5):
        history(BinFactory(), end, 2, lambda t: 1.0, start_fill=60 + i, empty_at=10_000)
    return vehicles


def test_bins_need_a_crew_or_planner_role(client, staff_client):
    assert client.get(f"{API}/bins").status_code == 401
    _, clerk = staff_client(Role.CASEWORKER)
    response = clerk.get(f"{API}/bins")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")


def test_bins_list_is_paginated_filterable_and_exports_csv_and_geojson(staff_client):
    for _ in range(3):
        BinFactory()
    BinFactory(kind="glass")
    _, operator = staff_client(Role.OPERATOR)
    page = operator.get(f"{API}/bins?limit=2").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert operator.get(f"{API}/bins?kind=glass").json()["count"] == 1
    csv = operator.get(f"{API}/bins?format=csv")
    assert csv["Content-Type"].startswith("text/csv") and b"ref" in b"".join(csv.streaming_content)
    geo = operator.get(f"{API}/bins.geojson").json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 4


def test_creating_a_bin_validates_and_needs_a_planner(staff_client):
    _, agent = staff_client(Role.SERVICE_AGENT)
    body = {"ref": "B-1", "volume_litres": 240, "longitude": -73.9, "latitude": 40.7}
    assert agent.post(f"{API}/bins", body, content_type="application/json").status_code == 403
    _, operator = staff_client(Role.OPERATOR)
    missing = operator.post(f"{API}/bins", {"ref": "B-2", "volume_litres": 240}, content_type="application/json")
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} >= {"body.longitude", "body.latitude"}
    bad_window = operator.post(
        f"{API}/bins", {**body, "access_from": "10:00", "access_until": "09:00"}, content_type="application/json"
    )
    assert bad_window.status_code == 422
    made = operator.post(f"{API}/bins", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["ref"] == "B-1"
    patched = operator.patch(f"{API}/bins/{made.json()['id']}", {"volume_litres": 360}, content_type="application/json")
    assert patched.json()["volume_litres"] == 360
    cleared = operator.patch(f"{API}/bins/{made.json()['id']}", {"address": None}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["address"] == ""  # null clears an optional text
    kindless = operator.patch(f"{API}/bins/{made.json()['id']}", {"kind": None}, content_type="application/json")
    assert kindless.status_code == 422 and [e["field"] for e in kindless.json()["errors"]] == ["body.kind"]


def test_plan_route_gpx_collect_and_breakdown_through_the_api(planned, staff_client):
    _, operator = staff_client(Role.OPERATOR)
    _, crew = staff_client(Role.SERVICE_AGENT)
    day = timezone.localdate()
    assert crew.post(f"{API}/plans", {"date": str(day)}, content_type="application/json").status_code == 403
    made = operator.post(f"{API}/plans", {"date": str(day), "seconds": 0.3}, content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["feasible"] and body["bins_planned"] == 5 and body["left_out"] == []
    route = body["routes"][0]
    assert route["stops"][0]["kind"] == "depot"
    assert operator.post(f"{API}/plans/{body['id']}/publish").json()["status"] == "published"
    gpx = crew.get(f"{API}/routes/{route['id']}/gpx")
    assert gpx.status_code == 200 and b"<rtept" in gpx.content
    geo = crew.get(f"{API}/plans/{body['id']}/routes.geojson").json()
    assert any(f["geometry"]["type"] == "LineString" for f in geo["features"])
    stop = next(s for s in route["stops"] if s["kind"] == "bin")
    done = crew.post(f"{API}/stops/{stop['id']}/collected", {"fill": 97}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["collected"] and done.json()["fill_at_pickup"] == 97
    again = crew.post(f"{API}/stops/{stop['id']}/collected", {}, content_type="application/json")
    assert again.status_code == 422
    depot_stop = next(s for s in route["stops"] if s["kind"] == "depot")
    assert (
        crew.post(f"{API}/stops/{depot_stop['id']}/collected", {}, content_type="application/json").status_code == 422
    )
    blocked = [s for s in route["stops"] if s["kind"] == "bin"][1]
    unknown = crew.post(f"{API}/stops/{blocked['id']}/missed", {"reason": "aliens"}, content_type="application/json")
    assert unknown.status_code == 422 and [e["field"] for e in unknown.json()["errors"]] == ["body.reason"]
    missed = crew.post(
        f"{API}/stops/{blocked['id']}/missed",
        {"reason": "not_found", "note": "Not at the kerb"},
        content_type="application/json",
    )
    assert missed.status_code == 200, missed.content
    assert missed.json()["missed_reason"] == "not_found" and not missed.json()["collected"]
    assert missed.json()["missed_note"] == "Not at the kerb"
    twice = crew.post(f"{API}/stops/{blocked['id']}/missed", {"reason": "other"}, content_type="application/json")
    assert twice.status_code == 422
    read = {s["id"]: s for s in crew.get(f"{API}/routes/{route['id']}").json()["stops"]}
    assert read[blocked["id"]]["missed_reason"] == "not_found" and read[depot_stop["id"]]["missed_reason"] is None
    at = (timezone.now() + timedelta(minutes=1)).isoformat()
    replan = operator.post(
        f"{API}/routes/{route['id']}/breakdown", {"at": at, "seconds": 0.3}, content_type="application/json"
    )
    assert replan.status_code == 201 and replan.json()["replans_id"] == body["id"]
    assert replan.json()["driven_before_km"] > 0 and body["driven_before_km"] == 0  # to the bins it dealt with
    remaining = Stop.objects.filter(route__plan_id=replan.json()["id"], kind=StopKind.BIN).count()
    left_out = replan.json()["left_out"]
    assert remaining + len(left_out) == 4  # one was collected
    assert {"bin_id": blocked["bin_id"], "reason": "crew_missed"}.items() <= next(
        o for o in left_out if o["bin_id"] == blocked["bin_id"]
    ).items()
    assert Plan.objects.get(pk=body["id"]).status == "superseded"
    assert operator.get(f"{API}/plans").json()["count"] == 2


def test_vehicles_and_comparison(staff_client, planned):
    _, operator = staff_client(Role.OPERATOR)
    assert operator.get(f"{API}/vehicles").json()["count"] == 2
    bad = operator.post(
        f"{API}/vehicles",
        {
            "name": "T",
            "depot_id": planned[0].depot_id,
            "volume_litres": 1000,
            "weight_kg": 1000,
            "shift_start": "14:00",
            "shift_end": "06:00",
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    missing = operator.get(f"{API}/comparisons/latest")
    assert missing.status_code == 404
    assert "run the simulation" in missing.json()["detail"]


def test_a_plan_asks_for_no_longer_solve_than_a_request_can_wait(staff_client, planned):
    _, operator = staff_client(Role.OPERATOR)
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    refused = operator.post(f"{API}/plans", {"date": day, "seconds": 120}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.seconds"
    assert not Plan.objects.exists()


def ask_for_a_plan_job(client, **headers):
    """Today's plan asked for with ``Prefer: respond-async``: the 202 answer."""
    return client.post(
        f"{API}/plans",
        {"date": str(timezone.localdate())},
        content_type="application/json",
        headers={"Prefer": "respond-async", **headers},
    )


def test_a_plan_asked_for_with_prefer_respond_async_is_a_job_polled_at_its_location(
    staff_client, planned, django_capture_on_commit_callbacks
):
    _, operator = staff_client(Role.OPERATOR)
    day = str(timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        started = operator.post(
            f"{API}/plans",
            {"date": day, "seconds": 0.3},
            content_type="application/json",
            headers={"Prefer": "wait=5, respond-async"},
        )
    assert started.status_code == 202, started.content
    assert started["Preference-Applied"] == "respond-async"
    body = started.json()
    assert started["Location"] == f"{API}/plan-jobs/{body['id']}"
    assert (body["status"], body["date"], body["plan_id"]) == ("running", day, None)
    assert DBTaskResult.objects.get().task_path == "cityos.waste.tasks.build_requested_plan"
    assert not Plan.objects.exists()

    build_requested_plan.call(body["id"])  # what the worker runs
    build_requested_plan.call(body["id"])  # a second worker (or a retry) builds nothing more
    assert Plan.objects.count() == 1

    done = operator.get(started["Location"]).json()
    assert done["status"] == "done" and done["error"] == ""
    plan = operator.get(f"{API}/plans/{done['plan_id']}").json()
    assert plan["bins_planned"] == 5 and plan["feasible"]
    # Without the preference the plan comes in the answer, as before.
    assert (
        operator.post(f"{API}/plans", {"date": day, "seconds": 0.3}, content_type="application/json").status_code == 201
    )


def test_a_plan_job_that_cannot_be_built_says_why_in_the_requesters_language(staff_client, planned):
    _, operator = staff_client(Role.OPERATOR)
    started = ask_for_a_plan_job(operator, **{"Accept-Language": "es"})
    DisposalSite.objects.all().delete()  # gone between the request and the job
    build_requested_plan.call(started.json()["id"])
    failed = operator.get(started["Location"]).json()
    assert failed["status"] == "failed" and failed["plan_id"] is None
    assert failed["error"] == "Añade una planta de tratamiento antes de planificar."
    assert operator.get(f"{API}/plan-jobs/999999").status_code == 404


def test_a_plan_job_not_heard_from_for_ten_minutes_reads_as_failed(staff_client, planned):
    _, operator = staff_client(Role.OPERATOR)
    started = ask_for_a_plan_job(operator)
    PlanJob.objects.update(updated_at=timezone.now() - timedelta(minutes=11))
    polled = operator.get(started["Location"]).json()
    assert polled["status"] == "failed" and "no worker took it up" in polled["error"]
    # A worker that comes back later does not overwrite what the client was told.
    build_requested_plan.call(polled["id"])
    assert operator.get(started["Location"]).json()["status"] == "failed" and not Plan.objects.exists()


def test_a_plan_job_whose_worker_stopped_mid_solve_reads_as_failed_in_the_requesters_language(staff_client, planned):
    _, operator = staff_client(Role.OPERATOR)
    started = ask_for_a_plan_job(operator, **{"Accept-Language": "es"})
    late = timezone.now() - timedelta(minutes=11)
    PlanJob.objects.update(started_at=late, updated_at=late)  # taken up, then never heard from
    polled = operator.get(started["Location"], headers={"Accept-Language": "zh-hant"}).json()
    assert polled["status"] == "failed"
    assert polled["error"] == "El plan no se elaboró: su proceso se detuvo. Inténtalo de nuevo."


def test_a_plan_job_needs_a_planner_and_a_disposal_site_at_once(staff_client, planned):
    _, agent = staff_client(Role.SERVICE_AGENT)
    asked = {"date": str(timezone.localdate())}
    assert (
        agent.post(
            f"{API}/plans", asked, content_type="application/json", headers={"Prefer": "respond-async"}
        ).status_code
        == 403
    )
    DisposalSite.objects.all().delete()
    _, operator = staff_client(Role.OPERATOR)
    refused = operator.post(f"{API}/plans", asked, content_type="application/json", headers={"Prefer": "respond-async"})
    assert refused.status_code == 422 and not PlanJob.objects.exists()


def test_a_comparison_is_a_job_polled_at_its_location(staff_client, planned, django_capture_on_commit_callbacks):
    _, operator = staff_client(Role.OPERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        started = operator.post(
            f"{API}/comparisons", {"days": 7, "seed": 2, "plan_days": [0, 2, 4, 5]}, content_type="application/json"
        )
    assert started.status_code == 202
    body = started.json()
    assert started["Location"] == f"{API}/comparisons/{body['id']}"
    assert (body["status"], body["plan_days"], body["results"]) == ("running", [0, 2, 4, 5], {})
    assert DBTaskResult.objects.get().task_path == "cityos.waste.tasks.simulate_comparison"
    busy = operator.post(f"{API}/comparisons", {"days": 7}, content_type="application/json")
    assert busy.status_code == 409 and busy["Location"] == started["Location"]
    assert "already running" in busy.json()["detail"]

    simulate_comparison.call(body["id"])  # what the worker runs

    done = operator.get(started["Location"]).json()
    assert done["status"] == "done" and done["done_steps"] == done["steps"] == 14 + 2 * 7
    assert done["results"]["plan_days"] == [0, 2, 4, 5] and done["results"]["fixed"]["km"] > 0
    assert operator.get(f"{API}/comparisons/latest").json()["id"] == body["id"]


def test_a_comparison_not_heard_from_for_ten_minutes_reads_as_given_up(staff_client, planned):
    _, operator = staff_client(Role.OPERATOR)
    started = operator.post(f"{API}/comparisons", {"days": 7}, content_type="application/json")
    Comparison.objects.update(updated_at=timezone.now() - timedelta(minutes=11))
    polled = operator.get(started["Location"]).json()
    assert (polled["status"], polled["error"]) == ("failed", "abandoned")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"plan_days": []}, "plan_days"),
        ({"plan_days": [7]}, "plan_days"),
        ({"days": 3}, "days"),
    ],
)
def test_a_comparison_refuses_days_that_are_not_weekdays(staff_client, planned, payload, field):
    _, operator = staff_client(Role.OPERATOR)
    refused = operator.post(f"{API}/comparisons", payload, content_type="application/json")
    assert refused.status_code == 422
    assert any(field in error["field"] for error in refused.json()["errors"])
    assert not Comparison.objects.exists()


def test_a_comparison_needs_a_planner(staff_client, planned):
    _, agent = staff_client(Role.SERVICE_AGENT)
    assert agent.post(f"{API}/comparisons", {}, content_type="application/json").status_code == 403


def test_times_of_day_with_an_offset_are_taken_as_local(staff_client):
    _, operator = staff_client(Role.OPERATOR)
    body = {"ref": "tz", "volume_litres": 240, "longitude": -73.9, "latitude": 40.7, "access_from": "00:00:00Z"}
    made = operator.post(f"{API}/bins", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["access_from"] == "00:00:00"


def test_the_openapi_document_says_times_of_day_have_no_offset(client):
    # JSON Schema's format "time" requires an offset, which the answers do not carry.
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["BinOut"]
    declared = schema["properties"]["access_from"]["anyOf"][0]
    assert "format" not in declared and re.fullmatch(declared["pattern"], "00:00:00")


def test_the_openapi_document_says_where_to_poll_a_comparison(client):
    started = client.get("/api/v1/openapi.json").json()["paths"][f"{API}/comparisons"]["post"]["responses"]["202"]
    assert started["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ComparisonOut"
    assert "Location" in started["headers"]


def test_the_openapi_document_offers_prefer_respond_async_for_plans(client):
    post = client.get("/api/v1/openapi.json").json()["paths"][f"{API}/plans"]["post"]
    assert [p["name"] for p in post["parameters"]] == ["Prefer"]
    assert (
        post["responses"]["202"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/PlanJobOut"
    )
    assert post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/PlanDetailOut")


def test_the_api_refuses_what_a_form_refuses_and_names_the_field_it_was_given(planned, staff_client):
    _, operator = staff_client(Role.OPERATOR)
    yesterday = timezone.localdate() - timedelta(days=1)

    past = operator.post(f"{API}/plans", {"date": str(yesterday)}, content_type="application/json")
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "body.date"
    assert "Plan today or a day to come." in past.json()["errors"][0]["message"]
    vehicle = {"name": "T9", "depot_id": 999, "volume_litres": 9000, "weight_kg": 5000}
    unknown = operator.post(
        f"{API}/vehicles", {**vehicle, "shift_start": "06:00", "shift_end": "14:00"}, content_type="application/json"
    )
    assert unknown.status_code == 422 and [e["field"] for e in unknown.json()["errors"]] == ["body.depot_id"]
    bad_ref = operator.post(
        f"{API}/bins",
        {"ref": "bin 1!", "volume_litres": 240, "longitude": 1, "latitude": 2},
        content_type="application/json",
    )
    assert bad_ref.json()["errors"][0]["message"] == "Use the expected format: ^[-a-zA-Z0-9_]+$"
    assert Plan.objects.filter(date=yesterday).count() == 0
