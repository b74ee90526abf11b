"""Operations: health, metrics, structured logs."""

from __future__ import annotations

import json
import logging

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_metrics_are_exposed_for_prometheus(client):
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_method_total" in body


def test_logs_are_one_json_object_per_line(capsys):
    from django.conf import settings

    formatter_config = settings.LOGGING["formatters"]["json"]
    formatter = formatter_config["()"](
        processors=formatter_config["processors"], foreign_pre_chain=formatter_config["foreign_pre_chain"]
    )
    record = logging.LogRecord("cityos.test", logging.INFO, __file__, 1, "job %s done", ("nightly",), None)
    record.job = "web.prune_finished_jobs"  # what `extra={"job": ...}` sets
    line = json.loads(formatter.format(record))
    assert line["job"] == "web.prune_finished_jobs"
    assert line["event"] == "job nightly done"
    assert line["level"] == "info" and line["logger"] == "cityos.test" and "timestamp" in line
