"""Operations-centre pages: they render for operators, are refused to residents and other
departments, and the alert feed's server-sent events carry a change."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.core.audit.models import AuditEntry
from cityos.sensing.models import Alert, AlertRule, AlertState, Comparison, RuleKind, Thing
from cityos.sensing.ops import rules, views
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(water, north, make_thing, observe):
    thing = make_thing(streams=("turbidity", "battery"), name="Riverside station")
    turbidity = thing.datastreams.get(observed_property__name="turbidity")
    battery = thing.datastreams.get(observed_property__name="battery")
    AlertRule.objects.create(
        name="Turbid water", kind=RuleKind.THRESHOLD, datastream=turbidity, comparison=Comparison.ABOVE, threshold=4
    )
    rules.invalidate()
    observe(battery, (3, 11.0))
    observe(turbidity, *[(m, 2.0 + m / 100) for m in range(30, 1, -1)], (1, 9.0))
    return thing


@pytest.fixture
def operator(water, north):
    return staff(Role.OPERATOR, water, (north,), first_name="Olga")


PAGES = [
    ("sensing:ops-map", ()),
    ("sensing:ops-alerts", ()),
    ("sensing:ops-health", ()),
    ("sensing:ops-rules", ()),
    ("sensing:ops-rule-new", ()),
    ("sensing:ops-tile", ()),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_render_for_an_operator(station, operator, name, args):
    response = verified_client(operator).get(reverse(name, args=args))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_pages_are_refused_to_residents(station, resident, name, args):
    response = verified_client(resident).get(reverse(name, args=args))
    assert response.status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(station, client):
    response = client.get(reverse("sensing:ops-alerts"))
    assert response.status_code == 302 and "sign-in" in response["Location"]


def test_the_alert_feed_lists_the_alert_with_its_buttons(station, operator):
    page = verified_client(operator).get(reverse("sensing:ops-alerts")).content.decode()
    assert "Riverside station" in page and "Acknowledge" in page and "Resolve" in page
    assert reverse("sensing:ops-alert-stream") in page


def test_acknowledge_and_resolve_from_the_page(station, operator):
    client = verified_client(operator)
    alert = Alert.objects.get()
    response = client.post(reverse("sensing:ops-alert-acknowledge", args=[alert.pk]), {"next": "/sensing/ops/alerts/"})
    assert response.status_code == 302 and response["Location"] == "/sensing/ops/alerts/"
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == operator
    client.post(reverse("sensing:ops-alert-resolve", args=[alert.pk]), {"next": "https://evil.example/"})
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.resolved_by == operator
    detail = client.get(reverse("sensing:ops-alert", args=[alert.pk])).content.decode()
    assert "Olga" in detail


def test_another_department_cannot_see_or_act_on_the_alert(station, environment, north):
    stranger = verified_client(staff(Role.OPERATOR, environment, (north,)))
    alert = Alert.objects.get()
    assert stranger.get(reverse("sensing:ops-alert", args=[alert.pk])).status_code == 404
    assert stranger.post(reverse("sensing:ops-alert-resolve", args=[alert.pk])).status_code == 404
    assert "Riverside station" not in stranger.get(reverse("sensing:ops-alerts")).content.decode()
    assert "Riverside station" not in stranger.get(reverse("sensing:ops-health")).content.decode()
    assert stranger.get(reverse("sensing:ops-chart", args=[alert.datastream_id])).status_code == 404
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_the_map_shows_states_and_the_list(station, operator):
    page = verified_client(operator).get(reverse("sensing:ops-map")).content.decode()
    assert "Riverside station" in page and "Alert open" in page and "/api/v1/sensing/map" in page


def test_device_health_sorts_filters_and_exports_csv(station, operator, make_thing):
    make_thing(name="Quiet station")
    client = verified_client(operator)
    page = client.get(reverse("sensing:ops-health"), {"sort": "name"}).content.decode()
    assert page.index("Quiet station") < page.index("Riverside station")
    assert "11%" in page
    csv_text = client.get(reverse("sensing:ops-health"), {"format": "csv", "state": "alert"}).content.decode()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,name,kind") and len(lines) == 2 and "Riverside station" in lines[1]
    assert ",11," in lines[1] and ",alert," in lines[1] and lines[1].endswith(",1")  # one alert, two datastreams


def test_the_chart_zooms_from_a_day_to_raw_seconds_with_a_table(station, operator):
    client = verified_client(operator)
    datastream = station.datastreams.get(observed_property__name="turbidity")
    url = reverse("sensing:ops-chart", args=[datastream.pk])
    page = client.get(url, {"range": "10m"}).content.decode()
    assert '<svg class="chart"' in page and "<polyline" in page and "<table>" in page
    assert "Zoom in" in page and "Zoom out" in page and "each observation" in page
    assert 9 <= page.count("<tr><td><time") <= 11  # one value a minute
    assert 'stroke-dasharray="6 4"' in page  # the rule's threshold
    day = client.get(url, {"range": "1d"}).content.decode()
    assert '<svg class="chart"' in day and "<table>" in day
    minute = client.get(url, {"range": "1m"}).content.decode()
    assert minute.count("<tr><td><time") <= 2
    for end in (
        "garbage",
        "99999999999999999999",
        "253402300799000000",
        "0",
        "0001-01-01T00:00:00Z",
        "2026-13-45T00:00:00Z",
        "2026-01-01T00:00:00",
    ):
        assert client.get(url, {"range": "nonsense", "end": end}).status_code == 200


def test_rule_form_creates_a_rule_and_reports_errors(station, operator):
    client = verified_client(operator)
    datastream = station.datastreams.get(observed_property__name="battery")
    bad = client.post(
        reverse("sensing:ops-rule-new"),
        {
            "name": "Low",
            "kind": "threshold",
            "datastream": datastream.pk,
            "min_duration_seconds": 0,
            "severity": "info",
            "escalate_after_minutes": 0,
        },
    )
    assert bad.status_code == 200 and "needs a threshold" in bad.content.decode()
    good = client.post(
        reverse("sensing:ops-rule-new"),
        {
            "name": "Low",
            "kind": "threshold",
            "datastream": datastream.pk,
            "comparison": "lt",
            "threshold": 15,
            "min_duration_seconds": 0,
            "severity": "info",
            "escalate_after_minutes": 0,
            "enabled": "on",
        },
    )
    assert good.status_code == 302
    assert AlertRule.objects.filter(name="Low", datastream=datastream, threshold=15).exists()


def _events(body: str) -> list[dict[str, str]]:
    events = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "data" in fields:
            events.append(fields)
    return events


def test_the_stream_sends_changed_alerts_and_resumes_from_last_event_id(station, operator, settings):
    settings.CITYOS_SENSING_SSE_SECONDS = "0"
    client = verified_client(operator)
    since = views._cursor_value(timezone.now() - timedelta(minutes=5))
    response = client.get(reverse("sensing:ops-alert-stream"), {"since": since})
    assert response["Content-Type"] == "text/event-stream" and response["Cache-Control"] == "no-cache"
    events = _events(b"".join(response.streaming_content).decode())
    assert len(events) == 1 and events[0]["event"] == "alert"
    data = json.loads(events[0]["data"])
    assert data["state"] == "open" and 'id="alert-' in data["html"] and "csrfmiddlewaretoken" in data["html"]

    # Reconnecting with the last id: nothing new (at most the same change again, from the few
    # seconds the stream looks back, which the page skips by its "changed" stamp).
    again = client.get(reverse("sensing:ops-alert-stream"), HTTP_LAST_EVENT_ID=events[0]["id"])
    body = b"".join(again.streaming_content).decode()
    assert ": keep-alive" in body
    assert all(json.loads(e["data"])["changed"] == data["changed"] for e in _events(body))

    alert = Alert.objects.get()
    from cityos.sensing.ops import services

    services.acknowledge(operator, alert)
    third = client.get(reverse("sensing:ops-alert-stream"), HTTP_LAST_EVENT_ID=events[0]["id"])
    changed = [json.loads(e["data"]) for e in _events(b"".join(third.streaming_content).decode())]
    assert [e["state"] for e in changed if e["changed"] != data["changed"]] == ["acknowledged"]


def test_the_stream_shows_nothing_of_other_departments(station, environment, settings):
    settings.CITYOS_SENSING_SSE_SECONDS = "0"
    stranger = verified_client(staff(Role.OPERATOR, environment, ()))
    response = stranger.get(reverse("sensing:ops-alert-stream"), {"since": "0"})
    assert _events(b"".join(response.streaming_content).decode()) == []


def test_the_alert_list_and_tile_look_up_the_users_scope_once_not_per_alert(station, operator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client(operator)

    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name)).status_code == 200
        return len(captured)

    one = {name: queries(name) for name in ("sensing:ops-alerts", "sensing:ops-tile")}
    alert = Alert.objects.get()
    for _ in range(3):
        alert.pk = None
        alert.save()
    assert {name: queries(name) for name in one} == one
    tile = client.get(reverse("sensing:ops-tile")).context["counts"]
    assert sum(tile.values()) == 4 and tile[alert.severity] == 4


def test_a_home_sensor_shown_to_staff_on_the_map_health_list_csv_and_chart_is_audited(station, operator):
    Thing.objects.filter(pk=station.pk).update(private=True, name="Home H-0001, Flat 11")
    client = verified_client(operator)
    client.get(reverse("sensing:ops-map"))
    client.get(reverse("sensing:ops-health"))
    client.get(reverse("sensing:ops-health"), {"format": "csv"})
    client.get(reverse("api:sensing_things_map"))
    datastream = station.datastreams.get(observed_property__name="turbidity")
    client.get(reverse("sensing:ops-chart", args=[datastream.pk]))
    entries = AuditEntry.objects.filter(object_type="sensing.Thing", actor=operator)
    assert [e.action for e in entries.order_by("pk")] == ["read", "read", "export", "read", "read"]
    assert all(str(station.pk) in e.object_id for e in entries)


def test_the_map_redrawn_every_30_seconds_records_a_home_once_per_window(station, operator, settings):
    settings.CITYOS_AUDIT_DEDUPE_SECONDS = 300
    Thing.objects.filter(pk=station.pk).update(private=True, name="Home H-0001, Flat 11")
    client = verified_client(operator)
    client.get(reverse("sensing:ops-map"))
    for _ in range(3):  # the page's redraws
        client.get(reverse("api:sensing_things_map"))
    client.get(reverse("sensing:ops-health"))  # a page the operator opens is a read of its own
    client.get(reverse("sensing:ops-health"))
    entries = AuditEntry.objects.filter(object_type="sensing.Thing", actor=operator).order_by("pk")
    assert [(e.channel, e.object_repr.split("?")[0]) for e in entries] == [
        ("web", reverse("sensing:ops-map")),
        ("api", reverse("api:sensing_things_map")),
        ("web", reverse("sensing:ops-health")),
        ("web", reverse("sensing:ops-health")),
    ]


def test_ordinary_sensors_on_the_operations_pages_are_no_read_of_personal_data(station, operator):
    client = verified_client(operator)
    client.get(reverse("sensing:ops-map"))
    client.get(reverse("sensing:ops-health"))
    client.get(reverse("sensing:ops-chart", args=[station.datastreams.first().pk]))
    assert not AuditEntry.objects.filter(object_type="sensing.Thing", action__in=["read", "export"]).exists()
