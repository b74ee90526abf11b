"""Device models: daily and weekly patterns, faults, silence, determinism (no database)."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cityos.sensing.simulators import city, devices
from cityos.sensing.simulators.devices import Profile, readings

# Midnight on the city's clock (the devices follow local time): Wednesday 2026-03-04 and the
# Saturday after. Adding a timedelta to these is wall-clock arithmetic (same days, same hours
# of day, even across a daylight-saving change); durations that must be exact use UTC instead.
CITY = timezone.get_default_timezone()
WED = datetime(2026, 3, 4, tzinfo=CITY)
SAT = datetime(2026, 3, 7, tzinfo=CITY)


def at(day: datetime, hour: float) -> datetime:
    """``hour`` o'clock (local) on ``day``."""
    return day + timedelta(hours=hour)


def ts(day: datetime, hour: float) -> float:
    return at(day, hour).timestamp()


def values(profile: Profile, stream: str, start: datetime, end: datetime) -> list[float]:
    return [float(r.result) for r in readings(profile, stream, start, end)]


def mean_at(profile: Profile, stream: str, hour: float, days: int = 20) -> float:
    """Mean reading in the hour from ``hour`` over ``days`` weekdays (noise averages out)."""
    samples: list[float] = []
    day = WED - timedelta(days=35)
    while len(samples) < days * 4:
        if day.weekday() < 5:
            samples += values(profile, stream, at(day, hour), at(day, hour + 1))
        day += timedelta(days=1)
    return statistics.fmean(samples)


AIR = Profile("air-quality", 11, {"no2": 40.0, "pm25": 8.0})


def test_no2_peaks_at_rush_hour_and_is_low_at_night() -> None:
    assert mean_at(AIR, "no2", 8) > 2 * mean_at(AIR, "no2", 3)
    assert mean_at(AIR, "no2", 17.5) > 1.5 * mean_at(AIR, "no2", 3)


def test_no2_rush_hour_is_a_weekday_thing() -> None:
    weekday = statistics.fmean(values(AIR, "no2", at(WED, 7.5), at(WED, 9)))
    saturday = statistics.fmean(values(AIR, "no2", at(SAT, 7.5), at(SAT, 9)))
    assert weekday > 1.5 * saturday


def test_ozone_peaks_in_the_afternoon() -> None:
    assert mean_at(AIR, "o3", 14) > 2 * mean_at(AIR, "o3", 3)


def test_particulates_are_plausible() -> None:
    pm25 = values(AIR, "pm25", WED, WED + timedelta(days=2))
    pm10 = values(AIR, "pm10", WED, WED + timedelta(days=2))
    assert min(pm25) >= 1 and max(pm25) < 60
    assert statistics.fmean(pm10) > statistics.fmean(pm25)


def test_sample_grid_every_ten_minutes_for_air() -> None:
    day = readings(AIR, "no2", WED, WED + timedelta(days=1))
    times = [r.time for r in day]
    assert len(times) == 144
    assert all(b - a == timedelta(minutes=10) for a, b in itertools.pairwise(times))


def test_history_and_live_join_without_seam() -> None:
    """Readings over (a, c] are exactly those of (a, b] and (b, c]: a tick neither repeats nor skips."""
    a, b, c = WED, WED + timedelta(hours=5, minutes=7, seconds=13), WED + timedelta(hours=11)
    for profile, stream in [(AIR, "no2"), (BIN, "fill-level"), (BAY, "occupied"), (TRAP, "trap-event")]:
        whole = list(readings(profile, stream, a, c if stream != "trap-event" else c + timedelta(days=30)))
        end = c if stream != "trap-event" else c + timedelta(days=30)
        parts = list(readings(profile, stream, a, b)) + list(readings(profile, stream, b, end))
        assert whole == parts


def test_every_kind_reports_only_inside_the_asked_period_and_ticks_join_exactly() -> None:
    now = datetime(2026, 3, 4, 12, tzinfo=UTC)
    plan = city.plan_city(random.Random(9), [], now, scale=0.05)
    rng = random.Random(4)
    start = now - timedelta(days=2)
    for device in plan:
        for stream in device.profile.streams:
            cuts = sorted(start + timedelta(seconds=rng.uniform(0, 2 * 86400)) for _ in range(6))
            bounds = [start, *cuts, now]
            pieces = []
            for a, b in itertools.pairwise(bounds):
                part = list(readings(device.profile, stream, a, b))
                assert all(a < r.time <= b for r in part), (device.name, stream)
                pieces += part
            assert pieces == list(readings(device.profile, stream, start, now)), (device.name, stream)


def test_same_seed_same_readings_other_seed_other_readings() -> None:
    again = Profile("air-quality", 11, {"no2": 40.0, "pm25": 8.0})
    other = Profile("air-quality", 12, {"no2": 40.0, "pm25": 8.0})
    day = (WED, WED + timedelta(hours=6))
    assert values(AIR, "no2", *day) == values(again, "no2", *day)
    assert values(AIR, "no2", *day) != values(other, "no2", *day)


def test_profile_json_round_trip() -> None:
    profile = Profile(
        "waste-bin",
        5,
        {"weekly_fill": 80.0},
        devices.STUCK,
        "fill-level",
        WED,
        silent_since=SAT,
        installed_at=WED - timedelta(days=40),
    )
    assert Profile.from_json("waste-bin", profile.to_json()) == profile


WATER = Profile("water-quality", 21, {"ph": 7.4, "turbidity": 0.4, "chlorine": 0.8, "conductivity": 400.0})


def test_clean_water_stays_within_drinking_water_ranges() -> None:
    week = (WED, WED + timedelta(days=7))
    assert min(values(WATER, "pH", *week)) > 6.5 and max(values(WATER, "pH", *week)) < 8.5
    assert max(values(WATER, "turbidity", *week)) < 1.0
    assert min(values(WATER, "chlorine", *week)) > 0.2


def test_turbidity_event_rises_above_five_ntu_then_clears() -> None:
    profile = Profile("water-quality", 21, dict(WATER.params), devices.TURBIDITY, "", at(WED, 10))
    before = values(profile, "turbidity", WED, at(WED, 10))
    during = values(profile, "turbidity", at(WED, 11), at(WED, 13))
    after = values(profile, "turbidity", at(WED, 16.5), at(WED, 24))
    assert max(before) < 1.0
    assert min(during) > 5.0
    assert min(after) < 1.0 and sum(v > 5.0 for v in after) < len(after) / 2  # cleared; later only episodes
    # Episodes keep coming afterwards, so alerts open and resolve while the demo runs.
    later = values(profile, "turbidity", WED + timedelta(days=1), WED + timedelta(days=3))
    high = sum(1 for v in later if v > 4.0)
    assert 0 < high < len(later) / 2


def test_turbidity_episodes_outlast_the_demo_rule_and_come_every_hour() -> None:
    """The demo rule fires after 10 minutes above 4 NTU and turbidity is read every 5 minutes:
    every episode must stay high for over 15 minutes (three readings in a row) and end, and one
    must start within any hour of the demo."""
    profile = Profile("water-quality", 21, dict(WATER.params), devices.TURBIDITY, "", at(WED, 0))
    start = WED + timedelta(days=1)
    minutes = [
        devices.value(profile, "turbidity", (start + timedelta(minutes=m)).timestamp(), m) > 4.0 for m in range(24 * 60)
    ]
    runs: list[tuple[int, int]] = []  # (first minute, length) of each stretch above 4 NTU
    for minute, high in enumerate(minutes):
        if high and (minute == 0 or not minutes[minute - 1]):
            runs.append((minute, 0))
        if high:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
    whole = [length for first, length in runs if first > 0 and first + length < len(minutes)]
    assert whole and all(16 <= length <= 22 for length in whole)
    starts = [first for first, _ in runs]
    assert max(b - a for a, b in itertools.pairwise(starts)) <= 60


def test_spiking_probe_reads_out_of_range_now_and_then() -> None:
    profile = Profile("water-quality", 21, {**WATER.params, "spike_high": 14.0, "spike_low": 0.0}, devices.SPIKES, "pH")
    week = values(profile, "pH", WED, WED + timedelta(days=7))
    spikes = [v for v in week if v in (14.0, 0.0)]
    assert 0 < len(spikes) < len(week) * 0.03


def test_stuck_sensor_repeats_one_value() -> None:
    profile = Profile("air-quality", 11, dict(AIR.params), devices.STUCK, "pm25", at(WED, 12))
    before = values(profile, "pm25", WED, at(WED, 12))
    after = values(profile, "pm25", at(WED, 12), WED + timedelta(days=2))
    assert len(set(before)) > 5
    assert len(after) > 200 and len(set(after)) == 1
    assert len(set(values(profile, "no2", at(WED, 12), WED + timedelta(days=1)))) > 5  # other streams fine


def test_silent_device_stops_reporting() -> None:
    profile = Profile("air-quality", 11, dict(AIR.params), silent_since=at(WED, 6))
    day = list(readings(profile, "no2", WED, WED + timedelta(days=1)))
    assert day and all(r.time < at(WED, 6) for r in day)
    assert len(day) == 36


def test_flaky_device_drops_out_for_a_while() -> None:
    profile = Profile("air-quality", 11, dict(AIR.params), devices.FLAKY, "", WED)
    times = [r.time for r in readings(profile, "no2", WED, WED + timedelta(days=1))]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 100 < len(times) < 144
    assert max(gaps) >= timedelta(minutes=20)


BAY = Profile("parking-bay", 31, {"pattern": "centre", "block_slots": 6, "phase": 2, "battery_drain": 0.1})


def occupancy(pattern: str, moment: datetime, bays: int = 200) -> float:
    rng = random.Random(3)
    taken = 0
    for number in range(bays):
        slots = rng.randint(3, 15)
        profile = Profile(
            "parking-bay", number + 1, {"pattern": pattern, "block_slots": slots, "phase": rng.randrange(slots)}
        )
        taken += devices.bay_occupied(profile, moment.timestamp())
    return taken / bays


def test_city_centre_parking_is_full_at_weekday_midday_and_empty_at_night() -> None:
    assert occupancy("centre", at(WED, 12.5)) > 0.75
    assert occupancy("centre", at(WED, 3)) < 0.25
    assert occupancy("centre", at(WED, 12.5)) > occupancy("centre", at(SAT, 12.5))


def test_station_park_and_ride_is_busy_on_weekdays_only() -> None:
    assert occupancy("station", at(WED, 11)) > 0.8
    assert occupancy("station", at(SAT, 11)) < 0.5


def test_bays_report_changes_only() -> None:
    changes = list(readings(BAY, "occupied", WED, WED + timedelta(days=1)))
    assert 2 <= len(changes) < 144
    states = [r.result for r in changes]
    assert all(a != b for a, b in itertools.pairwise(states))  # each report is a change
    assert all(isinstance(s, bool) for s in states)


BIN = Profile(
    "waste-bin",
    41,
    {"pattern": "residential", "weekly_fill": 80.0, "collection_weekday": 2, "collection_hour": 7.0, "residue": 3.0},
    installed_at=WED - timedelta(days=100),
)


def test_bins_fill_through_the_week_and_are_emptied_on_collection_day() -> None:
    before = values(BIN, "fill-level", at(WED, 5), at(WED, 7))
    after = values(BIN, "fill-level", at(WED, 7.01), at(WED, 11))
    assert min(before) > 65
    assert max(after) < 10
    week = [
        (r.time, float(r.result))
        for r in readings(BIN, "fill-level", at(WED, 8), at(WED, 8) + timedelta(days=6, hours=22))
    ]
    drops = [b for (_, a), (t, b) in itertools.pairwise(week) if b < a - 20]
    assert drops == []  # emptied only once a week
    assert week[-1][1] > week[0][1] + 50


def test_a_bin_on_a_twice_weekly_round_is_emptied_on_both_days() -> None:
    profile = Profile("waste-bin", 41, {**BIN.params, "weekly_fill": 150.0, "collection_weekdays": [2, 5]})
    assert devices.bin_fill(profile, ts(WED, 6.5)) > 60 and devices.bin_fill(profile, ts(WED, 8)) < 10
    assert devices.bin_fill(profile, ts(SAT, 6.5)) > 50 and devices.bin_fill(profile, ts(SAT, 8)) < 10


def test_the_old_round_collects_a_bin_as_often_as_keeps_it_below_85_percent() -> None:
    assert city.round_weekdays(2, 60.0) == [2]  # 60% a week: once is enough
    assert city.round_weekdays(2, 120.0) == [2, 5]  # every 3-4 days
    assert city.round_weekdays(4, 190.0) == [0, 2, 4]  # every 2-3 days
    assert city.round_weekdays(0, 250.0) == [0, 1, 2, 3, 4, 5]
    for weekly in (20.0, 80.0, 140.0, 190.0):
        days = city.round_weekdays(1, weekly)
        gaps = [((days[(i + 1) % len(days)] - d) % 7 or 7) * 24 for i, d in enumerate(days)]
        assert weekly * max(gaps) / 168 <= 85


def test_bins_fill_faster_in_the_evening_than_at_night() -> None:
    evening = devices.bin_fill(BIN, ts(SAT, 21)) - devices.bin_fill(BIN, ts(SAT, 17))
    night = devices.bin_fill(BIN, ts(SAT, 4)) - devices.bin_fill(BIN, ts(SAT, 0))
    assert evening > 3 * night


def test_an_overfull_bin_stays_at_one_hundred_until_collected() -> None:
    profile = Profile("waste-bin", 41, {**BIN.params, "weekly_fill": 150.0})
    assert devices.bin_fill(profile, ts(WED, 6.5)) == 100.0
    assert devices.bin_fill(profile, ts(WED, 8)) < 10


def test_battery_drains_and_a_flat_device_goes_quiet() -> None:
    installed = WED.astimezone(UTC) - timedelta(days=90)  # exactly 90 days of 24 h, whatever the zone
    profile = Profile(
        "waste-bin",
        41,
        {**BIN.params, "battery_start": 100.0, "battery_drain": 1.0},
        installed_at=installed,
    )
    levels = values(profile, "battery", WED, WED + timedelta(days=20))
    assert levels[0] == pytest.approx(10, abs=2)
    assert levels[-1] <= 1
    flat_at = installed + timedelta(days=100)  # 100% at 1% a day
    assert all(r.time < flat_at for r in readings(profile, "fill-level", WED, WED + timedelta(days=20)))


def test_damp_home_is_above_75_percent_most_of_the_day_and_a_healthy_home_is_not() -> None:
    damp = Profile("home-climate", 51, {"setpoint": 17.0, "insulation": 0.05, "humidity": 69.0}, devices.DAMP)
    healthy = Profile("home-climate", 52, {"setpoint": 20.5, "insulation": 0.7, "humidity": 50.0})
    day = (WED, WED + timedelta(days=1))
    damp_rh = values(damp, "relative-humidity", *day)
    healthy_rh = values(healthy, "relative-humidity", *day)
    assert sum(v > 75 for v in damp_rh) > 0.6 * len(damp_rh)
    assert sum(v > 75 for v in healthy_rh) < 0.05 * len(healthy_rh)
    assert statistics.fmean(values(damp, "temperature", *day)) < statistics.fmean(values(healthy, "temperature", *day))


def test_homes_are_warm_in_the_evening_and_cool_before_dawn() -> None:
    home = Profile("home-climate", 52, {"setpoint": 20.5, "insulation": 0.5, "humidity": 50.0})
    assert devices.home_temperature(home, ts(WED, 20)) == pytest.approx(20.5)
    assert devices.home_temperature(home, ts(WED, 5)) < 18.5


TRAP = Profile("predator-trap", 61, {"catches_per_day": 0.3, "species": ["rat", "stoat"]})


def test_trap_catches_are_rare_mostly_at_night_and_name_the_species() -> None:
    events = list(readings(TRAP, "trap-event", WED - timedelta(days=120), WED))
    assert 15 < len(events) < 70  # about 0.3 a day
    hours = [e.time.astimezone(CITY).hour for e in events]  # readings are UTC; night is local
    night = sum(1 for hour in hours if hour >= 20 or hour < 5)
    assert night > len(events) / 2
    assert all(e.result == 1 and e.parameters and e.parameters["species"] in ("rat", "stoat") for e in events)


def test_city_plan_is_deterministic_and_has_every_fault() -> None:
    now = datetime(2026, 3, 4, 12, tzinfo=UTC)
    plan = city.plan_city(random.Random(7), [], now)
    again = city.plan_city(random.Random(7), [], now)
    assert [(d.name, d.profile) for d in plan] == [(d.name, d.profile) for d in again]
    kinds = {d.kind for d in plan}
    assert kinds == set(devices.KINDS)
    counts = {kind: sum(d.kind == kind for d in plan) for kind in kinds}
    assert counts == {
        "water-quality": 6,
        "air-quality": 8,
        "parking-bay": 150,
        "home-climate": 40,
        "waste-bin": 300,
        "predator-trap": 25,
    }
    faults = {(d.kind, d.profile.fault) for d in plan if d.profile.fault}
    assert {
        ("water-quality", devices.TURBIDITY),
        ("water-quality", devices.SPIKES),
        ("air-quality", devices.STUCK),
        ("air-quality", devices.SPIKES),
        ("home-climate", devices.DAMP),
        ("waste-bin", devices.STUCK),
    } <= faults
    silent = [d for d in plan if d.profile.quiet_from() < now.timestamp()]
    assert {d.kind for d in silent} >= {"parking-bay", "home-climate", "waste-bin", "predator-trap"}
    bins = [d for d in plan if d.kind == "waste-bin"]
    assert all(d.properties["bin_ref"].startswith("BIN-") and d.properties["volume_litres"] > 0 for d in bins)
    assert len({d.properties["car_park_id"] for d in plan if d.kind == "parking-bay"}) == 4


def test_a_smaller_city_keeps_every_fault() -> None:
    now = datetime(2026, 3, 4, 12, tzinfo=UTC)
    full = city.plan_city(random.Random(7), [], now)
    small = city.plan_city(random.Random(7), [], now, scale=0.05)
    assert len(small) < len(full) / 5
    assert {(d.kind, d.profile.fault) for d in small} == {(d.kind, d.profile.fault) for d in full}
