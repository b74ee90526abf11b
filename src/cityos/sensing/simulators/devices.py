"""Device models of the demo city: what each kind of sensor reads at any moment.

Every value is a pure function of the device's profile (its seed, parameters and faults) and
the time, with noise drawn from a hash of (seed, stream, sample number) rather than from a
running random source. So the demo's history and the live simulator produce the same series,
a restart neither repeats nor skips readings, and tests can assert on exact behaviour.

Patterns follow the city's local time (settings.TIME_ZONE): traffic peaks for NO2 and
parking, afternoon ozone, heating schedules in homes, bins that fill faster in the evening and
at weekends and are emptied on their weekly collection day, nocturnal predators in traps.
"""

from __future__ import annotations

import hashlib
import math
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

ORIGIN = datetime(2020, 1, 6, tzinfo=UTC)  # a Monday: sample grids and week arithmetic start here
ORIGIN_TS = ORIGIN.timestamp()

# Streams of each kind, in datastream order; "battery" on battery-powered devices.
STREAMS: dict[str, tuple[str, ...]] = {
    "water-quality": ("pH", "turbidity", "chlorine", "conductivity"),
    "air-quality": ("pm25", "pm10", "no2", "o3"),
    "parking-bay": ("occupied", "battery"),
    "home-climate": ("temperature", "relative-humidity", "battery"),
    "waste-bin": ("fill-level", "battery"),
    "predator-trap": ("trap-event", "battery"),
}
KINDS = tuple(STREAMS)

# Seconds between samples of periodic streams; "occupied" reports changes and "trap-event"
# reports catches, each on its own schedule.
STEP_SECONDS: dict[str, int] = {
    "pH": 300,  # online analysers on the network sample every few minutes
    "turbidity": 300,
    "chlorine": 300,
    "conductivity": 300,
    "pm25": 600,
    "pm10": 600,
    "no2": 600,
    "o3": 600,
    "temperature": 900,
    "relative-humidity": 900,
    "fill-level": 2 * 3600,
    "battery": 12 * 3600,
}
EVENT_STREAMS = ("occupied", "trap-event")
PARKING_SLOT_SECONDS = 600  # a bay's state can change at most every 10 minutes
TRAP_SLOT_SECONDS = 3600

# Faults a device may have (Profile.fault).
STUCK = "stuck"  # the reading freezes at fault_since (fault_stream)
SPIKES = "spikes"  # occasional readings far outside the sensor's range (fault_stream)
TURBIDITY = "turbidity"  # a turbidity event at fault_since, and short episodes since
DAMP = "damp"  # a cold, poorly ventilated home: humidity above 75% most of the day
FLAKY = "flaky"  # drops out for 15-25 minutes in about every other hour
FAULTS = (STUCK, SPIKES, TURBIDITY, DAMP, FLAKY)

SPECIES = ("rat", "stoat", "possum", "hedgehog", "mouse")


@dataclass(frozen=True)
class Reading:
    stream: str
    time: datetime
    result: float | int | bool
    parameters: dict[str, Any] | None = None


@dataclass(frozen=True)
class Profile:
    """How one simulated device behaves; stored as JSON in its Thing's properties["simulation"]."""

    kind: str
    seed: int
    params: Mapping[str, Any] = field(default_factory=dict)
    fault: str = ""
    fault_stream: str = ""
    fault_since: datetime | None = None
    silent_since: datetime | None = None
    installed_at: datetime | None = None  # battery devices: when the battery was new

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"seed": self.seed, "params": dict(self.params)}
        if self.fault:
            data["fault"] = self.fault
        if self.fault_stream:
            data["fault_stream"] = self.fault_stream
        for name in ("fault_since", "silent_since", "installed_at"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value.astimezone(UTC).isoformat()
        return data

    @classmethod
    def from_json(cls, kind: str, data: Mapping[str, Any]) -> Profile:
        def when(name: str) -> datetime | None:
            value = data.get(name)
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        return cls(
            kind=kind,
            seed=int(data["seed"]),
            params=dict(data.get("params") or {}),
            fault=str(data.get("fault") or ""),
            fault_stream=str(data.get("fault_stream") or ""),
            fault_since=when("fault_since"),
            silent_since=when("silent_since"),
            installed_at=when("installed_at"),
        )

    @property
    def streams(self) -> tuple[str, ...]:
        return STREAMS[self.kind]

    def battery_dead_at(self) -> float | None:
        """When the battery runs flat (epoch seconds); a flat device says nothing more."""
        if "battery" not in self.streams or self.installed_at is None:
            return None
        drain = float(self.params.get("battery_drain", 0.1))
        start = float(self.params.get("battery_start", 100.0))
        return self.installed_at.timestamp() + start / drain * 86400 if drain > 0 else None

    def quiet_from(self) -> float:
        """Epoch seconds from which the device reports nothing (silent or flat), or +inf."""
        ends = [math.inf]
        if self.silent_since is not None:
            ends.append(self.silent_since.timestamp())
        dead = self.battery_dead_at()
        if dead is not None:
            ends.append(dead)
        return min(ends)


# --- deterministic noise ----------------------------------------------------------------------
@lru_cache(maxsize=64)
def _salt(name: str) -> int:
    return zlib.crc32(name.encode())


def unit(seed: int, salt: int, n: int) -> float:
    """A uniform number in [0, 1), the same for the same (seed, salt, n)."""
    digest = hashlib.blake2b(struct.pack("<qqq", seed, salt, n), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 18446744073709551616.0


def gauss(seed: int, salt: int, n: int) -> float:
    """A standard normal number (Box-Muller over two uniforms from one 16-byte hash)."""
    digest = hashlib.blake2b(struct.pack("<qqq", seed, salt, n), digest_size=16).digest()
    u1 = int.from_bytes(digest[:8], "little") / 18446744073709551616.0 or 1e-12
    u2 = int.from_bytes(digest[8:], "little") / 18446744073709551616.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * u2)


# --- local time ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def city_zone() -> tzinfo:
    try:
        from django.conf import settings

        return ZoneInfo(str(settings.TIME_ZONE or "UTC"))
    except Exception:  # settings not configured (pure unit use): the city runs on UTC
        return UTC


@lru_cache(maxsize=8192)  # a device's streams share sample times: each moment is converted once
def local(ts: float) -> tuple[int, float]:
    """(weekday 0=Monday, hour of day as a fraction) of epoch seconds in the city's time."""
    moment = datetime.fromtimestamp(ts, city_zone())
    return moment.weekday(), moment.hour + moment.minute / 60 + moment.second / 3600


def bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2))


def traffic(weekday: int, hour: float) -> float:
    """Road traffic, about 1 at the weekday morning rush; low at night; one broad weekend hump."""
    if weekday < 5:
        return 0.12 + bump(hour, 8.25, 1.3) + 0.85 * bump(hour, 17.5, 1.7) + 0.35 * bump(hour, 12.5, 2.5)
    return 0.12 + 0.45 * bump(hour, 13.5, 3.5)


def water_demand(hour: float) -> float:
    """Household water use: morning and evening peaks (flow stirs sediment, dilutes chlorine)."""
    return bump(hour, 7.5, 1.3) + 0.8 * bump(hour, 19.0, 1.8)


# --- one value of a stream at a time ------------------------------------------------------------
def value(profile: Profile, stream: str, ts: float, n: int) -> float | int | bool | None:
    """The reading of ``stream`` at epoch seconds ``ts``; ``n`` numbers the sample for noise."""
    if profile.fault == STUCK and profile.fault_stream == stream and profile.fault_since is not None:
        since = profile.fault_since.timestamp()
        if ts >= since:
            ts, n = since, -1  # the sensor keeps sending what it read when it stuck
    if stream == "battery":
        return battery(profile, ts, n)
    compute = _VALUES[profile.kind]
    result = compute(profile, stream, ts, n)
    spiking = profile.fault == SPIKES and profile.fault_stream == stream and isinstance(result, float)
    if spiking and unit(profile.seed, _salt("spike"), n) < 0.01:
        # A failing probe: now and then a reading pinned at either end of (or beyond) its range.
        high = unit(profile.seed, _salt("spike-size"), n) < 0.7
        result = float(profile.params.get("spike_high" if high else "spike_low", 999.0 if high else -99.0))
    return result


def battery(profile: Profile, ts: float, n: int) -> int:
    start = float(profile.params.get("battery_start", 100.0))
    drain = float(profile.params.get("battery_drain", 0.1))  # % per day
    installed = profile.installed_at.timestamp() if profile.installed_at else ts
    level = start - drain * max(0.0, ts - installed) / 86400 + 0.4 * gauss(profile.seed, _salt("battery"), n)
    return max(0, min(100, round(level)))


def _water(profile: Profile, stream: str, ts: float, n: int) -> float:
    p, seed = profile.params, profile.seed
    _, hour = local(ts)
    noise = gauss(seed, _salt(stream), n)
    event = turbidity_event(profile, ts)
    if stream == "pH":
        # Slightly higher in the afternoon (treatment dosing follows demand).
        return round(float(p.get("ph", 7.4)) + 0.12 * math.sin(2 * math.pi * (hour - 9) / 24) + 0.03 * noise, 2)
    if stream == "turbidity":
        base = float(p.get("turbidity", 0.4)) + 0.15 * water_demand(hour)
        return round(max(0.05, base + 0.04 * abs(noise) + event), 2)
    if stream == "chlorine":
        level = float(p.get("chlorine", 0.8)) - 0.15 * water_demand(hour) - 0.05 * event + 0.03 * noise
        return round(max(0.02, level), 2)
    days = (ts - ORIGIN_TS) / 86400
    return round(float(p.get("conductivity", 420.0)) + 15 * math.sin(2 * math.pi * days / 7) + 5 * noise, 1)


def turbidity_event(profile: Profile, ts: float) -> float:
    """Extra NTU from a main burst: a big event at fault_since, then short episodes in many hours."""
    if profile.fault != TURBIDITY or profile.fault_since is None:
        return 0.0
    since = profile.fault_since.timestamp()
    if ts < since:
        return 0.0
    hours = (ts - since) / 3600
    if hours < 6:  # the event: rises in an hour to ~12 NTU, holds, clears over three hours
        shape = min(1.0, hours) if hours < 2 else max(0.0, 1 - (hours - 2) / 4)
        return 12.0 * shape
    # Then, every EPISODE_PERIOD (at a phase of the device's own), an 18-22-minute episode
    # (valve operations stirring up sediment) that holds above 4 NTU for over 15 minutes: with a
    # reading every 5 minutes, three in a row are high, so the demo rule (10 minutes) fires on
    # every episode and resolves after it, soon after the demo starts.
    offset = ts - ORIGIN_TS - unit(profile.seed, _salt("episode-phase"), 0) * EPISODE_PERIOD
    window = int(offset // EPISODE_PERIOD)
    length = 1080 + unit(profile.seed, _salt("episode-len"), window) * 240
    into = offset - window * EPISODE_PERIOD
    if into >= length:
        return 0.0
    return 7.0 * min(1.0, into / EPISODE_RAMP, (length - into) / EPISODE_RAMP)


EPISODE_PERIOD = 40 * 60
EPISODE_RAMP = 90  # seconds to rise to the episode's height, and to fall back


def _air(profile: Profile, stream: str, ts: float, n: int) -> float:
    p, seed = profile.params, profile.seed
    weekday, hour = local(ts)
    load = traffic(weekday, hour)
    no2_base = float(p.get("no2", 28.0))
    if stream == "no2":
        return round(max(1.0, no2_base * (0.35 + load) + 3.0 * gauss(seed, _salt("no2"), n)), 1)
    pm25 = float(p.get("pm25", 7.0)) + 6.0 * load + 3.0 * bump(hour, 6.5, 2.0)  # morning inversions
    if stream == "pm25":
        return round(max(1.0, pm25 + 1.5 * gauss(seed, _salt("pm25"), n)), 1)
    if stream == "pm10":
        return round(max(2.0, 1.5 * pm25 + 4.0 + 2.0 * gauss(seed, _salt("pm10"), n)), 1)
    # Ozone builds up in afternoon sunlight and is eaten by fresh NO at busy roadsides.
    sun = max(0.0, math.sin(math.pi * (hour - 8) / 12))
    o3 = 18.0 + 50.0 * sun - 0.25 * no2_base * load + (5.0 if weekday >= 5 else 0.0)
    return round(max(2.0, o3 + 4.0 * gauss(seed, _salt("o3"), n)), 1)


def _home(profile: Profile, stream: str, ts: float, n: int) -> float:
    p, seed = profile.params, profile.seed
    temperature = home_temperature(profile, ts) + 0.15 * gauss(seed, _salt("temperature"), n)
    if stream == "temperature":
        return round(temperature, 1)
    _, hour = local(ts)
    # Colder air holds less water, so relative humidity rises as the home cools; showers and cooking add bursts.
    rh = (
        float(p.get("humidity", 52.0))
        + 2.2 * (20.0 - temperature)
        + 14.0 * bump(hour, 7.4, 0.6)
        + 9.0 * bump(hour, 18.6, 0.8)
        + 1.2 * gauss(seed, _salt("relative-humidity"), n)
    )
    return round(max(20.0, min(99.0, rh)), 1)


def heating_periods(weekday: int) -> tuple[tuple[float, float], ...]:
    if weekday < 5:
        return ((6.5, 8.5), (17.0, 23.0))
    return ((8.0, 23.0),)


def home_temperature(profile: Profile, ts: float) -> float:
    """Setpoint while heated; otherwise cooling towards a floor set by insulation and the weather."""
    p = profile.params
    setpoint = float(p.get("setpoint", 20.5))
    insulation = float(p.get("insulation", 0.6))  # 0 draughty .. 1 well insulated
    weekday, hour = local(ts)
    outdoor = 8.0 + 4.0 * math.sin(2 * math.pi * (hour - 9) / 24)
    floor = outdoor + 4.0 + 7.0 * insulation
    for start, end in heating_periods(weekday):
        if start <= hour < end:
            warm_up = min(1.0, (hour - start) / 0.75)  # reaches setpoint in 45 minutes
            return floor + (setpoint - floor) * warm_up if warm_up < 1 else setpoint
    # Hours since the heating last went off (today or yesterday evening).
    off = [end for _, end in heating_periods(weekday) if end <= hour]
    since = hour - max(off) if off else hour + 24 - heating_periods((weekday - 1) % 7)[-1][1]
    cooling = math.exp(-since / (2.0 + 6.0 * insulation))
    return floor + (setpoint - floor) * cooling


def _bin(profile: Profile, stream: str, ts: float, n: int) -> float:
    return round(max(0.0, min(100.0, bin_fill(profile, ts) + 1.5 * gauss(profile.seed, _salt("fill"), n))), 1)


def bin_rate(pattern: str, weekday: int, hour: int) -> float:
    """Relative rubbish per hour: households fill in the evening and at weekends, shops by day."""
    if pattern == "commercial":
        if weekday == 6:
            return 0.15
        day = 1.4 if 8 <= hour < 19 else 0.1
        return day * (0.5 if weekday == 5 else 1.0)
    base = 0.25 if hour < 6 else 1.0 if hour < 10 else 0.7 if hour < 17 else 1.4 if hour < 22 else 0.5
    return base * (1.3 if weekday >= 5 else 1.0)


@lru_cache(maxsize=4)
def _week_cumulative(pattern: str) -> tuple[float, ...]:
    """Cumulative rate over the 168 hours of a week, normalised to 1 per week."""
    rates = [bin_rate(pattern, h // 24, h % 24) for h in range(168)]
    total = sum(rates)
    cumulative = [0.0]
    for rate in rates:
        cumulative.append(cumulative[-1] + rate / total)
    return tuple(cumulative)


@lru_cache(maxsize=8192)
def _week_hours(ts: float) -> float:
    """Local hours since the origin Monday 00:00 (wall-clock arithmetic, so days stay 24 h)."""
    moment = datetime.fromtimestamp(ts, city_zone()).replace(tzinfo=None)
    return (moment - ORIGIN.replace(tzinfo=None)).total_seconds() / 3600


def _filled(pattern: str, week_hours: float) -> float:
    """Cumulative fill (in weeks' worth) from the origin to ``week_hours``."""
    weeks, rest = divmod(week_hours, 168)
    cumulative = _week_cumulative(pattern)
    hour = int(rest)
    fraction = rest - hour
    return weeks + cumulative[hour] + (cumulative[hour + 1] - cumulative[hour]) * fraction


def last_collection(profile: Profile, ts: float) -> float:
    """Local week-hours of the most recent collection at or before ``ts``."""
    return _last_collection(profile, _week_hours(ts))


def collection_weekdays(params: Mapping[str, Any]) -> list[int]:
    """The weekdays (0 = Monday) the bin is emptied on: ``collection_weekdays``, or the single
    ``collection_weekday`` of profiles made before bins could be emptied more than once a week."""
    days = params.get("collection_weekdays")
    if isinstance(days, list) and days:
        return sorted({int(day) % 7 for day in days})
    return [int(params.get("collection_weekday", 0)) % 7]


def _last_collection(profile: Profile, now: float) -> float:
    p = profile.params
    hour = float(p.get("collection_hour", 7.0))
    latest = -math.inf
    for day in collection_weekdays(p):
        slot = day * 24 + hour
        latest = max(latest, math.floor((now - slot) / 168) * 168 + slot)
    return latest


def bin_fill(profile: Profile, ts: float) -> float:
    """Percent full: the weekly rubbish since the last collection, capped at 100 (overflowing)."""
    p = profile.params
    pattern = str(p.get("pattern", "residential"))
    weekly = float(p.get("weekly_fill", 80.0))  # % of the bin filled in a week
    now = _week_hours(ts)
    since = _filled(pattern, now) - _filled(pattern, _last_collection(profile, now))
    return min(100.0, float(p.get("residue", 3.0)) + weekly * since)


def _trap(profile: Profile, stream: str, ts: float, n: int) -> int:
    return 1


def _parking(profile: Profile, stream: str, ts: float, n: int) -> bool:
    return bay_occupied(profile, ts)


_VALUES: dict[str, Callable[[Profile, str, float, int], Any]] = {
    "water-quality": _water,
    "air-quality": _air,
    "home-climate": _home,
    "waste-bin": _bin,
    "predator-trap": _trap,
    "parking-bay": _parking,
}


# --- parking --------------------------------------------------------------------------------------
def parking_demand(pattern: str, weekday: int, hour: float) -> float:
    """Probability that a bay is taken, by kind of car park."""
    weekend = weekday >= 5
    if pattern == "station":  # commuters: full on weekday working hours
        if weekend:
            return 0.2 + 0.15 * bump(hour, 13, 4)
        return 0.08 + 0.87 * (1 / (1 + math.exp(-(hour - 7.3) * 3)) - 1 / (1 + math.exp(-(hour - 18.5) * 2)))
    if pattern == "retail":  # shoppers: weekday evenings, busy weekend afternoons
        if weekend:
            return 0.1 + 0.8 * bump(hour, 14, 3.5)
        return 0.08 + 0.35 * bump(hour, 12.5, 2.5) + 0.45 * bump(hour, 17.5, 2.0)
    if pattern == "hospital":
        return (0.2 + 0.65 * bump(hour, 13, 4.5)) * (0.8 if weekend else 1.0)
    # City centre: offices and shops on weekdays, a quieter weekend.
    if weekend:
        return 0.08 + 0.55 * bump(hour, 14, 3.5)
    return 0.1 + 0.82 * bump(hour, 12.5, 3.8)


def _bay_block(profile: Profile, ts: float) -> tuple[int, float]:
    """(block number, block start) of the stay or gap that ``ts`` falls in."""
    slots = int(profile.params.get("block_slots", 6))
    phase = int(profile.params.get("phase", 0))
    slot = math.floor((ts - ORIGIN_TS) / PARKING_SLOT_SECONDS) + phase
    block = slot // slots
    return block, ORIGIN_TS + (block * slots - phase) * PARKING_SLOT_SECONDS


def _block_state(profile: Profile, block: int, start: float) -> bool:
    weekday, hour = local(start)
    demand = parking_demand(str(profile.params.get("pattern", "centre")), weekday, hour)
    return unit(profile.seed, _salt("bay"), block) < demand


def _change_at(profile: Profile, block: int, start: float) -> float:
    """The car arrives or leaves some minutes into its block, not on the grid line."""
    return start + math.floor(unit(profile.seed, _salt("bay-at"), block) * 300)  # whole seconds, as stored


def bay_occupied(profile: Profile, ts: float) -> bool:
    block, start = _bay_block(profile, ts)
    if ts >= _change_at(profile, block, start):
        return _block_state(profile, block, start)
    step = int(profile.params.get("block_slots", 6)) * PARKING_SLOT_SECONDS
    return _block_state(profile, block - 1, start - step)


def _parking_changes(profile: Profile, after: float, until: float) -> Iterator[tuple[float, bool]]:
    """Times in (after, until] at which the bay's state changes, with the new state."""
    step = int(profile.params.get("block_slots", 6)) * PARKING_SLOT_SECONDS
    block, start = _bay_block(profile, after)
    # Start one block back: its change may fall just after ``after``.
    block, start = block - 1, start - step
    previous = _block_state(profile, block - 1, start - step)
    while True:
        at = _change_at(profile, block, start)
        if at > until:
            return
        state = _block_state(profile, block, start)
        if state != previous and at > after:
            yield at, state
        previous = state
        block, start = block + 1, start + step


# --- traps ----------------------------------------------------------------------------------------
def trap_rate(hour: float) -> float:
    """Relative catch rate: rats, stoats and possums are about at night."""
    return 1.8 if hour >= 20 or hour < 5 else 0.4


def _trap_events(profile: Profile, after: float, until: float) -> Iterator[tuple[float, dict[str, Any]]]:
    per_day = float(profile.params.get("catches_per_day", 0.15))
    species = list(profile.params.get("species", SPECIES[:3]))
    first = math.floor((after - ORIGIN_TS) / TRAP_SLOT_SECONDS)
    last = math.floor((until - ORIGIN_TS) / TRAP_SLOT_SECONDS)
    for slot in range(first, last + 1):
        start = ORIGIN_TS + slot * TRAP_SLOT_SECONDS
        _, hour = local(start)
        if unit(profile.seed, _salt("catch"), slot) >= per_day / 24 * trap_rate(hour):
            continue
        at = start + math.floor(unit(profile.seed, _salt("catch-at"), slot) * TRAP_SLOT_SECONDS)
        if after < at <= until:
            kind = species[int(unit(profile.seed, _salt("species"), slot) * len(species))]
            yield at, {"species": kind}


# --- readings over a period -------------------------------------------------------------------------
def step_offset(profile: Profile, stream: str) -> int:
    """Each device samples at its own second within the step, so reports do not all land at once."""
    # One offset per device (not per stream), so its streams share sample times.
    return int(unit(profile.seed, _salt("offset"), 0) * STEP_SECONDS[stream])


def dropped(profile: Profile, ts: float) -> bool:
    """True while a flaky device is out: a 15-25-minute gap in about every other hour."""
    if profile.fault != FLAKY:
        return False
    since = profile.fault_since.timestamp() if profile.fault_since else -math.inf
    if ts < since:
        return False
    window = int((ts - ORIGIN_TS) // 3600)
    if unit(profile.seed, _salt("drop"), window) >= 0.5:
        return False
    start = ORIGIN_TS + window * 3600 + unit(profile.seed, _salt("drop-at"), window) * 2100
    return start <= ts < start + 900 + unit(profile.seed, _salt("drop-len"), window) * 600


def readings(profile: Profile, stream: str, after: datetime, until: datetime) -> Iterator[Reading]:
    """What the device reports on ``stream`` in (after, until], oldest first."""
    start, end = after.timestamp(), min(until.timestamp(), profile.quiet_from() - 1e-6)
    if end <= start:
        return
    if stream == "occupied":
        for ts, occupied in _parking_changes(profile, start, end):
            if not dropped(profile, ts):
                yield Reading(stream, _utc(ts), occupied)
        return
    if stream == "trap-event":
        for ts, parameters in _trap_events(profile, start, end):
            yield Reading(stream, _utc(ts), 1, parameters)
        return
    step = STEP_SECONDS[stream]
    offset = step_offset(profile, stream)
    k = math.floor((start - ORIGIN_TS - offset) / step) + 1
    while True:
        ts = ORIGIN_TS + offset + k * step
        if ts > end:
            return
        if not dropped(profile, ts):
            result = value(profile, stream, ts, k)
            if result is not None:
                yield Reading(stream, _utc(ts), result)
        k += 1


def reading_at(profile: Profile, stream: str, at: datetime) -> Reading | None:
    """The device's reading at an arbitrary moment (the command's --rate mode), or None if it is quiet."""
    ts = at.timestamp()
    if ts >= profile.quiet_from() or dropped(profile, ts) or stream == "trap-event":
        return None
    result = value(profile, stream, ts, int(ts))
    return None if result is None else Reading(stream, at, result)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
