"""/api/v1/monitoring: public reads with typed schemas; housing staff only for homes and work
orders, their reads audited; bad input answered with problems."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cityos.core.audit.models import AuditEntry
from cityos.monitoring import services
from cityos.monitoring.models import WorkOrder
from cityos.monitoring.tests.factories import district, hourly, middle_of_last_hour, observe, thing

pytestmark = pytest.mark.django_db
API = "/api/v1/monitoring"


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def city(now):
    district("harbour", "Harbour", {"zh-hant": "港區", "es": "Puerto"})
    for i, occupied in enumerate([False, False, True]):
        bay = thing(f"Bay {i}", "parking-bay", ["occupied"], car_park="Harbour Car Park", car_park_id="harbour-cp")
        observe(bay, "occupied", [(now - timedelta(minutes=1), occupied)])
    station = thing("W1", "water-quality", ["pH", "turbidity", "chlorine", "conductivity"], district="harbour")
    for prop, value in {"pH": 7.1, "turbidity": 6.0, "chlorine": 0.4, "conductivity": 350.0}.items():
        observe(station, prop, [(now - timedelta(minutes=5), value)])
    air = thing("A1", "air-quality", ["pm25", "pm10", "no2", "o3"], district="harbour")
    observe(air, "pm25", hourly(now.replace(minute=0, second=0, microsecond=0), 24, 20.0))
    trap = thing("T1", "predator-trap", ["trap-event"], trap_line="ridge")
    observe(trap, "trap-event", [(now - timedelta(days=1), 1)], parameters={"species": "rat"})
    for ref, rh in (("H-1", 92.0), ("H-2", 40.0)):
        home = thing(f"Home {ref}", "home-climate", ["temperature", "relative-humidity"], home_ref=ref,
                     address=f"{ref} Quay", tenure="council", district="harbour")  # fmt: skip
        end = middle_of_last_hour(now)
        observe(home, "temperature", hourly(end, 168, 15.0))
        observe(home, "relative-humidity", hourly(end, 168, rh))
    return services.run_damp_check(now)


def test_parking_is_public_with_counts_and_geojson(city):
    body = Client().get(f"{API}/parking").json()["results"]
    assert body == [
        {
            "id": "harbour-cp",
            "name": "Harbour Car Park",
            "total": 3,
            "free": 2,
            "occupied": 1,
            "unknown": 0,
            "last_updated": body[0]["last_updated"],
            "stale": False,
            "district": None,
            "longitude": pytest.approx(174.78),
            "latitude": pytest.approx(-41.29),
        }
    ]
    assert Client().get(f"{API}/parking/harbour-cp").json()["free"] == 2
    missing = Client().get(f"{API}/parking/nowhere")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/problem+json")
    feature = Client().get(f"{API}/parking/geojson").json()["features"][0]
    assert feature["properties"]["open_now"] is True and feature["properties"]["kind_label"] == "2 of 3 bays free"


def test_water_says_what_the_values_mean_in_the_callers_language(city):
    (row,) = Client().get(f"{API}/water").json()["results"]
    assert (row["code"], row["status"], row["status_label"]) == ("harbour", "problem", "Problem")
    turbidity = next(r for r in row["stations"][0]["readings"] if r["measure"] == "turbidity")
    assert turbidity["status"] == "problem" and turbidity["meaning"] == "Cloudy: 5 NTU or more."
    (row_es,) = Client().get(f"{API}/water", HTTP_ACCEPT_LANGUAGE="es").json()["results"]
    assert row_es["name"] == "Puerto"
    guidelines = Client().get(f"{API}/water/guidelines").json()["results"]
    assert [g["measure"] for g in guidelines] == ["pH", "turbidity", "chlorine", "conductivity"]
    assert guidelines[0]["bands"][2] == {
        "low": 6.5,
        "high": 8.5,
        "status": "good",
        "meaning": "Within the guideline range.",
    }


def test_air_gives_the_index_category_and_advice(city):
    (row,) = Client().get(f"{API}/air").json()["results"]
    # PM2.5 20.0 µg/m³ over 24 h: (100-51)/(35.4-9.1)*(20.0-9.1)+51 = 71.3 -> 71, Moderate.
    assert row["aqi"]["index"] == 71 and row["aqi"]["category"] == "moderate"
    assert row["aqi"]["dominant"] == "pm25" and row["aqi"]["advice"]
    assert Client().get(f"{API}/air/geojson").json()["features"][0]["properties"]["aqi"] == 71


def test_traps_and_their_events(city, now):
    (trap,) = Client().get(f"{API}/traps").json()["results"]
    assert (trap["name"], trap["catches"], trap["species"]) == ("T1", 1, {"rat": 1})
    events = Client().get(f"{API}/traps/events").json()
    assert events["count"] == 1 and events["results"][0]["species"] == "rat"
    csv = Client().get(f"{API}/traps/events", {"format": "csv"})
    assert csv.status_code == 200 and b"rat" in b"".join(csv.streaming_content)
    assert Client().get(f"{API}/traps", {"days": 0}).status_code == 422


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-01-01T00:00:00"}, "query.start"),  # no time zone
        ({"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "query.start"),
        ({"start": "2024-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "query.end"),
    ],
)
def test_bad_trap_event_ranges_are_refused(city, params, field):
    response = Client().get(f"{API}/traps/events", params)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert all(e["code"] for e in response.json()["errors"])


def test_homes_need_housing_staff_and_reads_are_audited(city, staff_client):
    assert Client().get(f"{API}/homes").status_code == 401
    _, operator = staff_client("operator")
    assert operator.get(f"{API}/homes").status_code == 403
    _, caseworker = staff_client("caseworker")
    body = caseworker.get(f"{API}/homes").json()
    assert [(h["home_ref"], h["level"], h["district"]) for h in body["results"]] == [
        ("H-1", "high", "harbour"),
        ("H-2", "low", "harbour"),
    ]
    assert AuditEntry.objects.filter(object_type="monitoring.HomeRisk", action="read").exists()
    assert caseworker.get(f"{API}/homes", {"level": "high"}).json()["count"] == 1
    assert caseworker.get(f"{API}/homes", {"level": "severe"}).status_code == 422
    bad = caseworker.get(f"{API}/homes", {"district": "atlantis"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "query.district", "message": "There is no district with this code.", "code": "unknown"}
    ]
    export = caseworker.get(f"{API}/homes", {"format": "csv"})
    assert b"H-1 Quay" in b"".join(export.streaming_content)
    assert AuditEntry.objects.filter(object_type="monitoring.HomeRisk", action="export").exists()


def test_work_orders_through_the_api(city, staff_client):
    _, caseworker = staff_client("caseworker")
    (order,) = caseworker.get(f"{API}/work-orders", {"status": "active"}).json()["results"]
    assert (order["home_ref"], order["status"], order["created_by"]) == ("H-1", "open", "monitoring job")
    url = f"{API}/work-orders/{order['id']}"
    assert caseworker.get(url).json()["reason"].startswith("Relative humidity at or above 70%")
    assert AuditEntry.objects.filter(object_type="monitoring.WorkOrder", action="read").exists()
    refused = caseworker.patch(url, {"status": "scheduled"}, content_type="application/json")
    assert refused.status_code == 422
    assert "body.scheduled_for" in [e["field"] for e in refused.json()["errors"]]
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    done = caseworker.patch(url, {"status": "scheduled", "scheduled_for": day}, content_type="application/json")
    assert done.status_code == 200 and done.json()["scheduled_for"] == day
    _, operator = staff_client("operator")
    assert operator.patch(url, {"status": "done"}, content_type="application/json").status_code == 403
    assert WorkOrder.objects.get().status == "scheduled"
    again = caseworker.post(f"{API}/damp-check").json()
    assert again == {"homes": 2, "at_risk": 1, "opened": []}


def test_the_operations_are_in_the_openapi_schema():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("parking", "water", "water/guidelines", "air", "traps", "traps/events", "homes", "work-orders"):
        assert f"{API}/{path}" in paths


@pytest.mark.parametrize("layer", ["parking", "air", "water", "traps"])
def test_the_map_layers_are_geojson_by_media_type_and_in_openapi(city, layer):
    response = Client().get(f"{API}/{layer}/geojson")
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"  # RFC 7946
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["features"][0]["geometry"]["type"] == "Point"
    answer = Client().get("/api/v1/openapi.json").json()["paths"][f"{API}/{layer}/geojson"]["get"]["responses"]["200"]
    assert answer["content"]["application/geo+json"]["schema"]["$ref"].endswith("/MonitoringFeatureCollection")


def test_a_map_layer_says_what_it_shows_in_the_callers_language(city):
    response = Client().get(f"{API}/parking/geojson", HTTP_ACCEPT_LANGUAGE="es")
    assert response.json()["features"][0]["properties"]["kind_label"] == "2 de 3 plazas libres"
