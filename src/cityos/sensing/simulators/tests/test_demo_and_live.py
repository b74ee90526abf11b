"""The demo step (devices, owners, history) and the live simulation (direct, MQTT, the command)."""

from __future__ import annotations

import io
import json
import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.utils import timezone
from shapely.geometry import Point, shape

from cityos.core.accounts.models import Department
from cityos.core.geo import demo as geo_demo
from cityos.core.geo.models import District
from cityos.core.registry import DemoContext, registry
from cityos.sensing import demo
from cityos.sensing.models import Datastream, Observation, ObservationType, Thing
from cityos.sensing.simulators import city, devices, live, tasks

pytestmark = pytest.mark.django_db

SMALL = {"sensing_scale": 0.05, "sensing_history_days": 0.5}


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    live.forget()
    yield
    live.forget()


@pytest.fixture
def demo_city(db: None) -> tuple[datetime, list[str]]:
    """A small demo city: districts, then the sensing step; returns when it was built and what it said."""
    said: list[str] = []
    geo_demo.build(DemoContext(rng=random.Random(5), say=said.append))
    started = timezone.now()
    demo.build(DemoContext(rng=random.Random(5), say=said.append, data=dict(SMALL)))
    return started, said


def test_demo_builds_every_kind_owned_by_its_department_in_its_district(demo_city: Any) -> None:
    _, said = demo_city
    things = list(Thing.objects.filter(properties__demo=True).select_related("department", "district"))
    assert {t.kind for t in things} == set(devices.KINDS)
    assert {code for code in city.DEPARTMENTS} <= set(Department.objects.values_list("code", flat=True))
    boundaries = {d.code: shape(d.geometry) for d in District.objects.all()}
    for thing in things:
        properties = thing.properties
        assert isinstance(properties, dict)
        assert thing.department is not None and thing.department.code == city.OWNER[thing.kind]
        assert thing.district is not None and properties["district"] == thing.district.code
        lon, lat = thing.locations.get().location["coordinates"]
        assert shapely.contains(boundaries[thing.district.code], Point(lon, lat)), thing.name
    bins = [t.properties for t in things if t.kind == "waste-bin"]
    assert all(p and p["bin_ref"].startswith("BIN-") and p["volume_litres"] in (240, 360, 660, 1100) for p in bins)
    homes = [t.properties for t in things if t.kind == "home-climate"]
    assert all(p and p["tenure"] == "council" and p["home_ref"] and p["address"] for p in homes)
    bays = [t.properties for t in things if t.kind == "parking-bay"]
    assert all(p and p["car_park"] and p["car_park_id"] for p in bays)
    traps = [t.properties for t in things if t.kind == "predator-trap"]
    assert all(p and p["trap_line"] for p in traps)
    assert any("observations of history" in line for line in said)


def test_demo_datastreams_have_the_agreed_names_types_and_battery(demo_city: Any) -> None:
    for thing in Thing.objects.filter(properties__demo=True).prefetch_related("datastreams__observed_property"):
        names = [d.observed_property.name for d in thing.datastreams.all()]
        assert sorted(names) == sorted(devices.STREAMS[thing.kind])
        assert ("battery" in names) == (thing.kind not in ("water-quality", "air-quality"))
    occupied = Datastream.objects.filter(observed_property__name="occupied").first()
    catches = Datastream.objects.filter(observed_property__name="trap-event").first()
    assert occupied is not None and occupied.observation_type == ObservationType.TRUTH
    assert catches is not None and catches.observation_type == ObservationType.COUNT
    assert (
        Datastream.objects.get(
            thing__kind="air-quality", observed_property__name="no2", thing__name__startswith="Air quality 01"
        ).unit_of_measurement["symbol"]
        == "µg/m³"
    )


def test_demo_history_reaches_now_and_silent_devices_stopped_earlier(demo_city: Any) -> None:
    started, _ = demo_city
    for kind in ("water-quality", "air-quality", "home-climate"):
        assert Observation.objects.filter(datastream__thing__kind=kind).count() > 100
    assert Observation.objects.filter(datastream__thing__kind="waste-bin").exists()
    quiet = 0
    for thing in Thing.objects.filter(properties__demo=True):
        assert isinstance(thing.properties, dict)
        profile = devices.Profile.from_json(thing.kind, thing.properties["simulation"])
        newest = Observation.objects.filter(datastream__thing=thing).order_by("-phenomenon_time_start").first()
        if profile.quiet_from() < started.timestamp():
            quiet += 1
            assert newest is None or newest.phenomenon_time_start.timestamp() < profile.quiet_from()
    assert quiet >= 4  # a bay, a home, a bin, a trap at least
    rh = Observation.objects.filter(
        datastream__thing__properties__simulation__fault=devices.DAMP,
        datastream__observed_property__name="relative-humidity",
    ).values_list("result_number", flat=True)
    assert rh and sum(1 for v in rh if v and v > 75) > 0.6 * len(rh)


def test_demo_runs_once(demo_city: Any) -> None:
    count = Observation.objects.count()
    said: list[str] = []
    demo.build(DemoContext(rng=random.Random(5), say=said.append, data=dict(SMALL)))
    assert Observation.objects.count() == count
    assert said == ["sensing: already built"]


def test_live_tick_stores_what_devices_read_since_their_last_report(demo_city: Any) -> None:
    now = timezone.now() + timedelta(minutes=20)
    before = Observation.objects.count()
    report = live.tick(now, direct=True)
    assert report.mode == "direct" and report.readings > 20 and report.devices > 50
    assert Observation.objects.count() == before + report.readings
    newest = Observation.objects.order_by("-phenomenon_time_start").first()
    assert newest is not None and newest.phenomenon_time_start <= now
    # Nothing new has been read yet: the next round at the same moment sends nothing.
    assert live.tick(now, direct=True).readings == 0
    # And ten minutes on, every air station has a new sample (they sample every ten minutes).
    later = live.tick(now + timedelta(minutes=10), direct=True, kinds=["air-quality"])
    assert later.readings >= 8 * 4 - 4  # the flaky station may be out


def test_a_round_does_not_overlap_a_running_one(demo_city: Any) -> None:
    with live._round:
        report = live.tick(timezone.now() + timedelta(minutes=20), direct=True)
    assert report.mode == "busy" and report.readings == 0
    assert live.tick(timezone.now() + timedelta(minutes=20), direct=True).readings > 0


def test_live_tick_without_a_broker_falls_back_to_storing_and_says_so_once(
    demo_city: Any, caplog: pytest.LogCaptureFixture
) -> None:
    live._fallback_logged = False
    now = timezone.now() + timedelta(minutes=20)
    first = live.tick(now, url="mqtt://127.0.0.1:1", kinds=["water-quality"])
    second = live.tick(now + timedelta(minutes=15), url="mqtt://127.0.0.1:1", kinds=["water-quality"])
    assert first.mode == second.mode == "direct" and first.error
    assert first.readings > 0 and second.readings > 0
    assert sum("no MQTT broker" in r.getMessage() for r in caplog.records) == 1


def test_live_tick_publishes_over_mqtt(demo_city: Any, mosquitto_url: str) -> None:
    port = int(mosquitto_url.rsplit(":", 1)[1])
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion

    received: set[tuple[int, str]] = set()
    subscribed = threading.Event()

    def on_message(_c: Any, _u: Any, message: Any) -> None:
        datastream_id = int(message.topic.split("(")[1].split(")")[0])
        received.add((datastream_id, json.loads(message.payload)["phenomenonTime"]))

    subscriber = Client(CallbackAPIVersion.VERSION2, client_id=f"sim-test-{time.time_ns()}")
    subscriber.on_message = on_message
    subscriber.on_subscribe = lambda *_: subscribed.set()
    subscriber.connect("127.0.0.1", port)
    subscriber.loop_start()
    try:
        subscriber.subscribe("v1.1/+/Observations", qos=1)
        assert subscribed.wait(5)
        now = timezone.now() + timedelta(minutes=20)
        expected = {
            (pk, reading.time.isoformat().replace("+00:00", "Z"))
            for pk, reading in live.due_readings(live.load_devices(["water-quality"]), now)
        }
        report = live.tick(now, url=mosquitto_url, kinds=["water-quality"])
        assert report.mode == "mqtt" and report.readings == len(expected) > 0
        deadline = time.monotonic() + 10
        while not expected <= received and time.monotonic() < deadline:
            time.sleep(0.05)
        assert expected <= received
        # Published, not stored by the simulator: storing is the ingest worker's job.
        assert live.tick(now, url=mosquitto_url, kinds=["water-quality"]).readings == 0
    finally:
        subscriber.loop_stop()
        subscriber.disconnect()


def test_periodic_job_runs_every_thirty_seconds(demo_city: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    job = registry.periodic_jobs["sensing.simulate_devices"]
    assert job.every == timedelta(seconds=30) and job.task is tasks.simulate_devices
    monkeypatch.setenv("CITYOS_MQTT_URL", "mqtt://127.0.0.1:1")  # no broker: the job stores directly
    later = timezone.now() + timedelta(minutes=20)
    monkeypatch.setattr(live.timezone, "now", lambda: later)
    before = Observation.objects.count()
    result = tasks.simulate_devices.call()
    assert result.endswith("(direct)")
    assert Observation.objects.count() == before + int(result.split()[0]) > before


def test_command_runs_live_rounds_and_a_fixed_rate(demo_city: Any) -> None:
    out = io.StringIO()
    call_command("sensing_simulate", "--direct", "--duration", "0.5", "--interval", "0.2", stdout=out)
    assert "simulated devices" in out.getvalue() and "via" in out.getvalue()
    before = Observation.objects.count()
    out = io.StringIO()
    call_command("sensing_simulate", "--direct", "--rate", "400", "--duration", "1.5", "--report", "0.5", stdout=out)
    assert "Done: sent" in out.getvalue()
    added = Observation.objects.count() - before
    assert 300 <= added <= 700


def test_command_without_simulated_devices(db: None) -> None:
    with pytest.raises(CommandError, match="no simulated devices"):
        call_command("sensing_simulate", "--direct", "--duration", "0.1", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--interval", "0", "--interval must be at least 0.1 seconds"),
        ("--report", "0.01", "--report must be at least 0.1 seconds"),
        ("--rate", "-5", "--rate cannot be negative"),
        ("--duration", "-1", "--duration cannot be negative"),
    ],
)
def test_command_refuses_bad_options(db: None, option: str, value: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("sensing_simulate", "--direct", option, value, stdout=io.StringIO())


def test_command_refuses_an_unknown_thing_for_an_incident(db: None) -> None:
    with pytest.raises(CommandError, match="Thing 424242 is not a simulated device"):
        call_command("sensing_simulate", "--incident", "silence", "--thing", "424242", stdout=io.StringIO())


def test_a_turbidity_incident_clouds_the_water_from_the_next_rounds(demo_city: Any) -> None:
    out = io.StringIO()
    call_command("sensing_simulate", "--incident", "turbidity", stdout=out)
    assert "turbidity incident started on Thing(" in out.getvalue()
    thing = Thing.objects.get(pk=int(out.getvalue().split("Thing(")[1].split(")")[0]))
    assert thing.kind == "water-quality" and thing.properties["simulation"]["fault"] == devices.TURBIDITY  # type: ignore[index]
    live.tick(timezone.now() + timedelta(minutes=90), direct=True, kinds=["water-quality"])
    newest = (
        Observation.objects.filter(datastream__thing=thing, datastream__observed_property__name="turbidity")
        .order_by("-phenomenon_time_start")
        .first()
    )
    assert newest is not None and newest.result_number is not None and newest.result_number > 5


def test_a_silence_incident_stops_a_device_and_a_damp_one_needs_a_home(demo_city: Any) -> None:
    out = io.StringIO()
    call_command("sensing_simulate", "--incident", "silence", stdout=out)
    thing_id = int(out.getvalue().split("Thing(")[1].split(")")[0])
    live.tick(timezone.now() + timedelta(minutes=30), direct=True)
    later = Observation.objects.filter(datastream__thing_id=thing_id, phenomenon_time_start__gt=timezone.now())
    assert not later.exists()
    with pytest.raises(CommandError, match="needs a home-climate device"):
        call_command("sensing_simulate", "--incident", "damp", "--thing", str(thing_id), stdout=io.StringIO())
    call_command("sensing_simulate", "--incident", "damp", stdout=out)
    assert "damp incident started" in out.getvalue()


def test_command_publishes_at_a_fixed_rate_over_mqtt(demo_city: Any, mosquitto_url: str) -> None:
    out = io.StringIO()
    before = Observation.objects.count()
    call_command("sensing_simulate", "--url", mosquitto_url, "--rate", "500", "--duration", "1.5", stdout=out)
    done = out.getvalue().strip().splitlines()[-1]
    sent = int(done.split("sent ")[1].split()[0])
    acknowledged = int(done.split("acknowledged ")[1])
    assert 500 <= sent <= 900 and acknowledged == sent
    assert Observation.objects.count() == before  # published, not stored: that is the ingest worker's job


def test_command_refuses_an_unreachable_broker_in_rate_mode(demo_city: Any) -> None:
    with pytest.raises(CommandError, match="No MQTT broker"):
        call_command("sensing_simulate", "--url", "mqtt://127.0.0.1:1", "--rate", "10", stdout=io.StringIO())
