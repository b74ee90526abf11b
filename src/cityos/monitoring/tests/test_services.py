"""The services on live sensor data: parking counts with stale bays, water and air status per
district, trap catches, and the damp job (ranking, work orders, idempotence, events)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.events import subscribe
from cityos.core.registry import registry
from cityos.monitoring import selectors, services
from cityos.monitoring.events import HomesAssessed, WorkOrderOpened, WorkOrderUpdated
from cityos.monitoring.models import HomeRisk, WorkOrder, WorkOrderStatus
from cityos.monitoring.tests.factories import district, hourly, middle_of_last_hour, observe, thing
from cityos.sensing import selectors as sensing

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(monkeypatch) -> list[object]:
    """Events delivered (in-process) on commit during the test."""
    monkeypatch.setattr(registry, "subscriptions", list(registry.subscriptions))
    got: list[object] = []
    for event in (WorkOrderOpened, WorkOrderUpdated, HomesAssessed):
        subscribe(event, durable=False)(got.append)
    return got


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def bay(name: str, park: str, occupied: bool | None, when) -> object:
    made = thing(name, "parking-bay", ["occupied"], car_park=park.title(), car_park_id=park)
    if occupied is not None:
        observe(made, "occupied", [(when, occupied)])
    return made


def test_car_parks_count_free_bays_and_distrust_old_readings(now):
    bay("A1", "harbour", False, now - timedelta(minutes=2))
    bay("A2", "harbour", True, now - timedelta(minutes=5))
    bay("A3", "harbour", False, now - timedelta(hours=14))  # not heard from for too long
    bay("A4", "harbour", None, now)  # never reported
    bay("B1", "museum", False, now - timedelta(hours=30))
    parks = {p.id: p for p in selectors.car_parks(now)}
    harbour = parks["harbour"]
    assert (harbour.name, harbour.total, harbour.free, harbour.occupied, harbour.unknown) == ("Harbour", 4, 1, 1, 2)
    assert harbour.last_updated == now - timedelta(minutes=2)
    assert not harbour.stale
    museum = parks["museum"]
    assert museum.stale and museum.free == 0 and museum.unknown == 1
    assert museum.last_updated == now - timedelta(hours=30)


def test_a_bay_holds_its_state_while_its_sensor_is_alive(now, settings):
    # Bays report changes: a car parked 10 hours ago is still there while the sensor lives.
    bay("A1", "harbour", True, now - timedelta(hours=10))
    assert selectors.car_park("harbour", now).occupied == 1  # default: heard within 13 hours
    settings.CITYOS_MONITORING_PARKING_STALE_MINUTES = "60"
    assert selectors.car_park("harbour", now).stale


def water_station(name: str, code: str, when, **values: float) -> object:
    made = thing(name, "water-quality", ["pH", "turbidity", "chlorine", "conductivity"], district=code)
    for prop, value in values.items():
        observe(made, prop, [(when, value)])
    return made


def test_water_status_per_district_is_the_worst_recent_reading(now):
    district("harbour")
    district("hills")
    water_station("H1", "harbour", now - timedelta(minutes=10), pH=7.2, turbidity=0.4, chlorine=0.4, conductivity=400)
    water_station("H2", "harbour", now - timedelta(minutes=10), pH=7.0, turbidity=2.5, chlorine=0.3, conductivity=380)
    # A problem reading that is too old is shown but does not set the status.
    water_station("K1", "hills", now - timedelta(hours=6), pH=7.0, turbidity=9.0, chlorine=0.3, conductivity=300)
    rows = {r.code: r for r in selectors.water_districts(now)}
    assert rows["harbour"].status == "advisory"
    h2 = next(s for s in rows["harbour"].stations if s.name == "H2")
    turbidity = next(r for r in h2.readings if r.key == "turbidity")
    assert (turbidity.status, turbidity.value) == ("advisory", 2.5)
    assert "1 NTU" in turbidity.meaning
    assert rows["hills"].status == "unknown"
    k1 = rows["hills"].stations[0]
    assert all(r.stale for r in k1.readings) and k1.status == "unknown"


def test_air_index_uses_24_hour_particles_and_the_worst_station(now):
    district("harbour")
    end = sensing.hour_start(now)  # one reading in each of the city's last 24 hours
    clean = thing("Air 1", "air-quality", ["pm25", "pm10", "no2", "o3"], district="harbour")
    dirty = thing("Air 2", "air-quality", ["pm25", "pm10", "no2", "o3"], district="harbour")
    observe(clean, "pm25", hourly(end, 24, 5.0))
    observe(clean, "no2", hourly(end, 24, 20.0))
    # PM2.5 of 60 for 12 hours then 10: the 24-hour mean is 35.0 -> AQI 99, not the latest hour's.
    observe(dirty, "pm25", hourly(end, 24, lambda i: 60.0 if i < 12 else 10.0))
    rows = selectors.air_districts(now)
    assert len(rows) == 1 and rows[0].index == 99 and rows[0].status == "moderate"
    stations = {s.name: s for s in rows[0].stations}
    assert stations["Air 1"].aqi is not None and stations["Air 1"].aqi.index == 28  # 5.0 µg/m³
    assert stations["Air 2"].latest["pm25"] == 10.0


def test_air_station_without_recent_data_has_no_index(now):
    old = thing("Air 3", "air-quality", ["pm25"])
    observe(old, "pm25", [(now - timedelta(hours=10), 80.0)])
    (station,) = selectors.air_stations(now)
    assert station.aqi is None and station.stale


def test_traps_count_recent_catches_by_species(now):
    trap = thing("T1", "predator-trap", ["trap-event"], trap_line="ridge")
    thing("T2", "predator-trap", ["trap-event"], trap_line="ridge")
    observe(trap, "trap-event", [(now - timedelta(days=1), 1)], parameters={"species": "rat"})
    observe(trap, "trap-event", [(now - timedelta(days=2), 1)], parameters={"species": "stoat"})
    observe(trap, "trap-event", [(now - timedelta(days=3), 1)], parameters={"species": "rat"})
    observe(trap, "trap-event", [(now - timedelta(days=60), 1)], parameters={"species": "rat"})  # too old
    items = {t.name: t for t in selectors.traps(now)}
    assert items["T1"].catches == 3 and items["T1"].species == {"rat": 2, "stoat": 1}
    assert items["T1"].last_catch == now - timedelta(days=1)
    assert items["T2"].catches == 0
    events = selectors.trap_events(now - timedelta(days=90), now)
    assert [e.species for e in events] == ["rat", "stoat", "rat", "rat"]  # newest first


def home(ref: str, now, rh: float, t: float = 18.0, hours: int = 7 * 24, **extra: object) -> object:
    made = thing(
        f"Home {ref}",
        "home-climate",
        ["temperature", "relative-humidity"],
        home_ref=ref,
        address=f"{ref} Damp Street",
        tenure=extra.pop("tenure", "council"),
        **extra,
    )
    end = middle_of_last_hour(now)
    observe(made, "temperature", hourly(end, hours, t))
    observe(made, "relative-humidity", hourly(end, hours, rh))
    return made


def test_homes_are_ranked_by_risk_and_work_orders_open_once(now, django_capture_on_commit_callbacks, received):
    district("harbour")
    home("H-1", now, rh=90.0, t=15.0, district="harbour")  # 100
    home("H-2", now, rh=75.0)  # 60
    home("H-3", now, rh=45.0)  # 0
    home("H-4", now, rh=90.0, hours=10)  # not enough data
    home("P-1", now, rh=95.0, tenure="private")  # not a council home: not assessed
    with django_capture_on_commit_callbacks(execute=True):
        first = services.run_damp_check(now)
    ranked = list(selectors.homes())
    assert [(h.home_ref, h.score, h.level) for h in ranked] == [
        ("H-1", 100, "high"),
        ("H-2", 60, "high"),
        ("H-3", 0, "low"),
        ("H-4", 0, "unknown"),
    ]
    assert ranked[0].district is not None and ranked[0].district.code == "harbour"
    assert first.homes == 4 and first.at_risk == 2
    assert sorted(o.home_ref for o in first.opened) == ["H-1", "H-2"]
    order = WorkOrder.objects.get(home_ref="H-1")
    assert order.status == "open" and order.risk_score == 100 and "168 of 168 hours" in order.reason
    assert order.changes.count() == 1
    assert {e.work_order_id for e in received if isinstance(e, WorkOrderOpened)} == {o.pk for o in first.opened}
    assert any(isinstance(e, HomesAssessed) and (e.homes, e.at_risk) == (4, 2) for e in received)
    # Idempotent: the next run opens nothing while the orders are open or scheduled.
    again = services.run_damp_check(now)
    assert again.opened == [] and WorkOrder.objects.count() == 2
    # Once done, a home still at risk gets a new order.
    caseworker = StaffFactory(roles=[Role.CASEWORKER])
    services.update_work_order(order, user=caseworker, status=WorkOrderStatus.DONE, note="Fan fitted")
    third = services.run_damp_check(now)
    assert [o.home_ref for o in third.opened] == ["H-1"]


def test_filters_of_the_ranked_list(now):
    district("harbour")
    home("H-1", now, rh=90.0, t=15.0, district="harbour")
    home("H-2", now, rh=75.0)
    services.assess_homes(now)
    harbour = selectors.districts_by_id()
    harbour_id = next(d.id for d in harbour.values() if d.code == "harbour")
    assert [h.home_ref for h in selectors.homes(district_id=harbour_id)] == ["H-1"]
    assert [h.home_ref for h in selectors.homes(q="nowhere")] == []
    assert [h.home_ref for h in selectors.homes(q="h-2 damp")] == ["H-2"]
    assert [h.home_ref for h in selectors.homes(order=("score",))] == ["H-2", "H-1"]
    assert HomeRisk.objects.count() == 2


def test_work_order_updates_are_validated_and_need_housing_staff(now, django_capture_on_commit_callbacks, received):
    home("H-1", now, rh=90.0, t=15.0)
    (order,) = services.run_damp_check(now).opened
    caseworker = StaffFactory(roles=[Role.CASEWORKER])
    operator = StaffFactory(roles=[Role.OPERATOR])
    with pytest.raises(PermissionDenied):
        services.update_work_order(order, user=operator, status="scheduled")
    with pytest.raises(ValidationError) as error:
        services.update_work_order(order, user=caseworker, status="scheduled")
    assert "scheduled_for" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.update_work_order(order, user=caseworker, status="cancelled")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.update_work_order(order, user=caseworker, status="lost")
    assert "status" in error.value.message_dict
    day = timezone.localdate() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        updated = services.update_work_order(order, user=caseworker, status="scheduled", scheduled_for=day)
    assert (updated.status, updated.scheduled_for, updated.updated_by) == ("scheduled", day, caseworker)
    assert any(
        isinstance(e, WorkOrderUpdated) and (e.work_order_id, e.status) == (order.pk, "scheduled") for e in received
    )
    done = services.update_work_order(updated, user=caseworker, status="done", note="Extractor fan fitted")
    assert done.closed_at is not None
    with pytest.raises(ValidationError):
        services.update_work_order(done, user=caseworker, status="open")
    assert [c.status for c in done.changes.all()] == ["open", "scheduled", "done"]
    assert done.changes.last().by == caseworker
