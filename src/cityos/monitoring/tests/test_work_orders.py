"""A work order's reason is kept as a code with its numbers and read in each reader's language;
orders with a reason in words show it as written. Updates change only what is sent."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone, translation

from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.monitoring import services
from cityos.monitoring.models import ReasonCode, WorkOrder, WorkOrderChange
from cityos.monitoring.tests.factories import district, hourly, middle_of_last_hour, observe, thing

pytestmark = pytest.mark.django_db
API = "/api/v1/monitoring/work-orders"
SPANISH = "Humedad relativa igual o superior al 70% durante 168 de 168 horas"
CHINESE = "168 小時中有 168 小時相對濕度達 70% 以上"
migration = importlib.import_module("cityos.monitoring.migrations.0002_work_order_reason_code")


@pytest.fixture
def order() -> WorkOrder:
    now = timezone.now().replace(microsecond=0)
    district("harbour", "Harbour", {"zh-hant": "港區", "es": "Puerto"})
    home = thing("Home H-1", "home-climate", ["temperature", "relative-humidity"], home_ref="H-1",
                 address="1 Quay", tenure="council", district="harbour")  # fmt: skip
    end = middle_of_last_hour(now)
    observe(home, "temperature", hourly(end, 168, 15.0))
    observe(home, "relative-humidity", hourly(end, 168, 92.5))
    with translation.override("zh-hant"):  # whoever runs the check, the order keeps a code
        (opened,) = services.run_damp_check(now).opened
    return opened


@pytest.fixture
def caseworker(staff_client) -> Client:
    return staff_client("caseworker")[1]


def test_the_reason_is_a_code_with_its_numbers_and_english_text_to_search(order):
    assert order.reason_code == ReasonCode.DAMP
    assert order.reason_params == {
        "rh": 70.0, "humid": 168, "hours": 168, "margin": 3.0, "condensing": 168, "mean_rh": 92.5, "mean_t": 15.0,
    }  # fmt: skip
    assert order.reason.startswith("Relative humidity at or above 70% for 168 of 168 hours")
    with translation.override("es"):
        assert order.reason_display.startswith(SPANISH)
        assert "media 92,5% HR, 15 °C" in order.reason_display  # numbers written the reader's way


def test_the_page_and_the_api_give_the_reason_in_the_readers_language(order, caseworker):
    page = caseworker.get(f"/monitoring/staff/work-orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert SPANISH in page and "Relative humidity" not in page and "Puerto" in page
    body = caseworker.get(f"{API}/{order.pk}", HTTP_ACCEPT_LANGUAGE="zh-hant").json()
    assert body["reason"].startswith(CHINESE) and body["reason_code"] == "damp"
    export = caseworker.get("/monitoring/staff/work-orders/work-orders.csv", HTTP_ACCEPT_LANGUAGE="es")
    assert SPANISH in export.content.decode()


def test_a_reason_given_in_words_is_shown_as_written(caseworker):
    written = WorkOrder.objects.create(thing_id=7, home_ref="H-9", risk_score=80, reason="Tenant reported mould")
    page = caseworker.get(f"/monitoring/staff/work-orders/{written.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Tenant reported mould" in page
    body = caseworker.get(f"{API}/{written.pk}", HTTP_ACCEPT_LANGUAGE="es").json()
    assert (body["reason"], body["reason_code"]) == ("Tenant reported mould", None)


@pytest.mark.parametrize("language", ["en", "es", "zh-hant"])
def test_orders_opened_before_codes_get_theirs_from_the_text_in_any_language_it_was_written(order, language):
    with translation.override(language):
        text = order.reason_display
    WorkOrder.objects.filter(pk=order.pk).update(reason=text, reason_code="", reason_params={})
    written = WorkOrder.objects.create(thing_id=8, home_ref="H-8", risk_score=70, reason="Tenant reported mould")

    migration.code_known_reasons(apps, None)

    order.refresh_from_db()
    written.refresh_from_db()
    assert (order.reason_code, order.reason_params["humid"], order.reason_params["mean_rh"]) == ("damp", 168, 92.5)
    assert (written.reason_code, written.reason_params) == ("", {})
    with translation.override("es"):
        assert order.reason_display.startswith(SPANISH)


def test_old_texts_with_unknown_means_are_read_too():
    text = "Relative humidity at or above 70% for 30 of 30 hours; dew point within 2 °C of the air for 0 hours (mean None% RH, None °C)."  # noqa: E501
    assert migration.parse_reason(text) == {
        "rh": 70.0, "humid": 30, "hours": 30, "margin": 2.0, "condensing": 0, "mean_rh": None, "mean_t": None,
    }  # fmt: skip
    assert migration.parse_reason("Relative humidity is high") is None


# --- PATCH: only the fields sent change -----------------------------------------------------


def patch(client: Client, order: WorkOrder, body: dict[str, object]):
    return client.patch(f"{API}/{order.pk}", body, content_type="application/json")


def test_a_note_alone_is_added_and_nothing_else_changes(order, caseworker):
    day = timezone.localdate() + timedelta(days=2)
    assert patch(caseworker, order, {"status": "scheduled", "scheduled_for": day.isoformat()}).status_code == 200

    response = patch(caseworker, order, {"note": "x"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["scheduled_for"], body["note"]) == ("scheduled", day.isoformat(), "x")
    latest = WorkOrderChange.objects.filter(work_order=order).last()
    assert (latest.status, latest.note) == ("scheduled", "x")
    saved = AuditEntry.objects.filter(object_type="monitoring.WorkOrder", object_id=str(order.pk))
    assert saved.filter(action=AuditAction.UPDATE, changes__has_key="note").exists()


def test_a_date_alone_moves_the_visit_and_keeps_the_status(order, caseworker):
    first, second = (timezone.localdate() + timedelta(days=n) for n in (2, 5))
    patch(caseworker, order, {"status": "scheduled", "scheduled_for": first.isoformat()})

    body = patch(caseworker, order, {"scheduled_for": second.isoformat()}).json()

    assert (body["status"], body["scheduled_for"], body["note"]) == ("scheduled", second.isoformat(), "")


def test_a_status_alone_keeps_the_visit_date_and_the_note(order, caseworker):
    day = timezone.localdate() + timedelta(days=2)
    patch(caseworker, order, {"status": "scheduled", "scheduled_for": day.isoformat(), "note": "Tenant home mornings"})

    body = patch(caseworker, order, {"status": "done"}).json()

    assert (body["status"], body["scheduled_for"], body["note"]) == ("done", day.isoformat(), "Tenant home mornings")
    assert body["closed_at"] is not None


def test_partial_updates_are_still_validated(order, caseworker):
    def problems(body: dict[str, object]) -> list[str]:
        response = patch(caseworker, order, body)
        assert response.status_code == 422
        return [e["field"] for e in response.json()["errors"]]

    assert problems({}) == ["body"]  # nothing to change
    assert problems({"status": "cancelled"}) == ["body.note"]
    assert problems({"status": "lost"}) == ["body.status"]
    day = timezone.localdate() + timedelta(days=2)
    patch(caseworker, order, {"status": "scheduled", "scheduled_for": day.isoformat()})
    assert problems({"scheduled_for": None}) == ["body.scheduled_for"]  # a scheduled visit needs its date
    assert problems({"note": "y" * (services.MAX_NOTE + 1)}) == ["body.note"]
    order.refresh_from_db()
    assert (order.status, order.scheduled_for, order.note) == ("scheduled", day, "")


def test_an_empty_body_says_what_to_send_in_the_readers_language(order, caseworker):
    response = caseworker.patch(f"{API}/{order.pk}", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "empty"
