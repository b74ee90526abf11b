"""Days of bin filling under two policies, deterministic from a seed (pure: no database).

Each bin fills at its own weekday-and-hour pattern times a random factor per day (busy and
quiet days), read hourly by a noisy sensor. After a warm-up on the fixed schedule (so both
policies start from the same bins and history), the same days are run twice:

- ``fixed``: the city's round, each bin on fixed weekdays (its area's day, and more days spread
  over the week where it needs them), often enough that at its typical rate it is at most
  ``FIXED_FILL`` % full when collected (:func:`round_days`); a day's rounds are routed by the same
  solver;
- ``planned``: every shift (``Scenario.shift_days``, which may be fewer days than the round's
  ``round_shift_days``), forecasts from the sensor history, must/may/not decisions
  (``planning.decide``) and one prize-collecting solve;
- ``fullest`` (a benchmark's other baseline): every shift, the ``fullest_per_shift`` bins
  expected to be fullest by the next shift's end, from the same forecasts, all routed: the daily
  select-then-route policy that Groningen's study measured its saving against.

Bins' typical weekly fills are lognormal (:func:`draw_weekly_fill`) unless learnt from history.

A bin is emptied at the time its route reaches it. An overflow is a bin-day on which it was full
at some hour. Kilometres include the trips to the disposal site and home.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cityos.waste import forecast
from cityos.waste.planning import Policy, decide, spread_days, typical_visit_metres
from cityos.waste.routing import Job, Site, StraightLine, TravelModel, Truck, solve_plan

_RAW_PROFILE = (
    0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.6, 1.0, 1.3, 1.4, 1.5, 1.7,
    1.9, 1.8, 1.6, 1.5, 1.5, 1.6, 1.7, 1.5, 1.2, 0.8, 0.4, 0.2,
)  # fmt: skip
REFIT_DAYS = 14  # the weekly pattern changes slowly; refitting daily costs time for nothing
HOUR_PROFILE: tuple[float, ...] = tuple(h * 24 / sum(_RAW_PROFILE) for h in _RAW_PROFILE)
# Bins' typical weekly fill (% of volume): lognormal, like measured bin fill rates.
WEEKLY_MEDIAN = 80.0
WEEKLY_SIGMA = 0.5
WEEKLY_RANGE = (15.0, 250.0)
FIXED_FILL = 85.0  # the fixed round keeps a bin at most this full at its typical rate


@dataclass(frozen=True)
class SimBin:
    key: int
    lon: float
    lat: float
    litres: int  # loose litres when full
    kg_per_litre: float
    rate: float  # mean %/h
    weekday: tuple[float, ...]  # 7 factors, mean 1
    service_s: int = 120


@dataclass(frozen=True)
class Scenario:
    bins: tuple[SimBin, ...]
    depot: Site
    disposal: Site
    trucks: tuple[Truck, ...]
    start: datetime  # midnight of the first simulated day (after the warm-up)
    # The weekdays the plan's fleet goes out (the city's shift days now).
    shift_days: frozenset[int] = frozenset({0, 1, 2, 3, 4, 5})
    # The weekdays the old round went out, where they differ from ``shift_days`` (None: the same):
    # a city that plans from its sensors on fewer days still compares with the round it had.
    round_shift_days: frozenset[int] | None = None
    co2_kg_per_km: float = 1.2
    day_sigma: float = 0.3
    sensor_noise: float = 2.0
    # The fixed round's sizing: at most this full (%) at a bin's typical rate (round_days).
    fixed_fill: float = FIXED_FILL
    # None: each bin's own frequency; a percentile (0.9): one frequency per area, sized for the
    # area's bin at that percentile of typical fill (bins above it overflow more often).
    fixed_by_area: float | None = None
    # With fixed_by_area: bins that need more than their area's frequency keep their own (the
    # hotspots a city adds to more rounds once their overflows are reported).
    fixed_hotspots: bool = False
    # Each bin's round weekdays where the city's rounds are known (else sectors are drawn).
    rounds: dict[int, tuple[int, ...]] | None = None
    # The ``fullest`` policy's bins a shift: the select-then-route baseline of Wouda et al.'s
    # Groningen study (the municipality routed the clusters expected to fill soonest each day).
    fullest_per_shift: int = 100


@dataclass
class Totals:
    km: float = 0.0
    collections: int = 0
    fill_sum: float = 0.0
    overflows: int = 0
    co2_kg: float = 0.0
    missed_required: int = 0
    disposal_trips: int = 0
    routes: int = 0
    solver_seconds: float = 0.0

    @property
    def mean_fill(self) -> float:
        return self.fill_sum / self.collections if self.collections else 0.0

    def as_dict(self) -> dict[str, float]:
        data = asdict(self)
        data["mean_fill"] = round(self.mean_fill, 1)
        data["km"] = round(self.km, 1)
        data["co2_kg"] = round(self.co2_kg, 1)
        data["fill_sum"] = round(self.fill_sum, 1)
        data["solver_seconds"] = round(self.solver_seconds, 2)
        return data


@dataclass
class _State:
    fill: list[float]
    readings: list[list[tuple[datetime, float]]]
    totals: Totals = field(default_factory=Totals)
    daily: list[dict[str, float]] = field(default_factory=list)
    # Fill models, refitted every REFIT_DAYS.
    models: dict[int, forecast.FillModel] = field(default_factory=dict)
    fitted_on: datetime | None = None


def draw_weekly_fill(rng: random.Random) -> float:
    """A bin's typical fill per week (% of its volume): lognormal, median ``WEEKLY_MEDIAN``,
    spread ``WEEKLY_SIGMA`` (a quiet side street's bin fills a fifth of a busy corner's), kept
    within ``WEEKLY_RANGE``: a bin that would fill faster gets a bigger container."""
    drawn = rng.lognormvariate(math.log(WEEKLY_MEDIAN), WEEKLY_SIGMA)
    return min(max(drawn, WEEKLY_RANGE[0]), WEEKLY_RANGE[1])


def make_scenario(
    sites: Sequence[tuple[int, float, float, int, float]] | None = None,
    *,
    bins: int = 300,
    trucks: int = 3,
    seed: int = 1,
    centre: tuple[float, float] = (-73.906, 40.7128),
    start: datetime | None = None,
    truck_litres: int = 40_000,
    truck_kg: int = 9_000,
    weekly_fill: Sequence[float | None] | None = None,
) -> Scenario:
    """A city: ``sites`` as (key, lon, lat, loose litres, kg per litre), else ``bins`` random ones.

    ``weekly_fill`` (% of the bin per week) is learnt from each bin's history where known; the
    rest are drawn by :func:`draw_weekly_fill`."""
    rng = random.Random(seed)
    if sites is None:
        sites = [
            (
                i,
                centre[0] + rng.gauss(0, 0.03),
                centre[1] + rng.gauss(0, 0.022),
                rng.choice((240, 240, 360, 660, 1100)),
                0.12,
            )
            for i in range(bins)
        ]
    made = []
    for index, (key, lon, lat, litres, density) in enumerate(sites):
        known = weekly_fill[index] if weekly_fill is not None and index < len(weekly_fill) else None
        drawn = draw_weekly_fill(rng)
        weekly = known if known is not None and known > 0 else drawn
        weekday = [rng.uniform(0.8, 1.2) for _ in range(6)] + [1.3]  # more rubbish at the weekend
        mean = sum(weekday) / 7
        made.append(SimBin(key, lon, lat, litres, density, weekly / 168, tuple(w / mean for w in weekday)))
    depot = Site("depot", centre[0] + 0.03, centre[1] - 0.01)
    disposal = Site("disposal", centre[0] + 0.05, centre[1] + 0.02)
    fleet = tuple(Truck(k, depot, truck_litres, truck_kg, 6 * 3600, 14 * 3600, 1800) for k in range(trucks))
    begin = start or datetime(2026, 3, 2)
    return Scenario(tuple(made), depot, disposal, fleet, begin)


def area_of(lon: float, lat: float, centre: tuple[float, float], areas: int) -> int:
    """The old round's area of a point: ``areas`` equal sectors by direction from ``centre``."""
    angle = math.atan2(lat - centre[1], lon - centre[0])
    return int((angle + math.pi) / (2 * math.pi) * areas) % areas


def longest_gap_hours(days: Sequence[int]) -> int:
    """The longest wait (hours) between two collections on ``days`` of the week."""
    ordered = sorted(set(days))
    if not ordered:
        return 10**6
    gaps = [(b - a) % 7 or 7 for a, b in zip(ordered, [*ordered[1:], ordered[0]], strict=True)]
    return max(gaps) * 24


def round_days(
    area_day: int, weekly_fill: float, shift_days: Sequence[int], *, target: float = FIXED_FILL
) -> tuple[int, ...]:
    """The city's fixed round for one bin (the baseline rule, ``docs/modules/waste.md``).

    The bin is collected on its area's day and, if that is not often enough, on days spread
    evenly over the week from it: the fewest collections a week (1, 2, 3 or every shift day) for
    which the bin, filling at its typical rate, is at most ``target`` % full after the longest
    wait between two of them. So a bin seldom overflows (only in a week much busier than usual)
    and most are collected part-full, as under a real fixed schedule."""
    days = sorted(set(shift_days)) or list(range(7))
    for per_week in (1, 2, 3):
        candidate = spread_days(area_day, days, per_week)
        if weekly_fill / 168 * longest_gap_hours(candidate) <= target:
            return candidate
    return tuple(days)


def fixed_days(scenario: Scenario) -> dict[int, tuple[int, ...]]:
    """Each bin's weekdays on the fixed round: its stored round where the city's is known, else
    :func:`round_days` on areas by direction from the bins' centre, one area a shift day, for the
    bin's own typical fill (or, with ``scenario.fixed_by_area``, its area's percentile bin's, and
    with ``scenario.fixed_hotspots`` too the bin's own where that needs more days)."""
    shift_days = sorted(old_round_days(scenario))
    known = scenario.rounds or {}
    area = areas(scenario)
    weekly = {b.key: b.rate * 168 for b in scenario.bins}
    if scenario.fixed_by_area is not None:
        members: dict[int, list[float]] = {}
        for b in scenario.bins:
            members.setdefault(area[b.key], []).append(weekly[b.key])
        sized = {}
        for day, fills in members.items():
            fills.sort()
            sized[day] = fills[min(len(fills) - 1, int(scenario.fixed_by_area * len(fills)))]
        by_area = {b.key: sized[area[b.key]] for b in scenario.bins}
        # round_days grows with the weekly fill, so the larger fill gives the more frequent round.
        weekly = {k: max(v, weekly[k]) for k, v in by_area.items()} if scenario.fixed_hotspots else by_area
    return {
        b.key: known.get(b.key) or round_days(area[b.key], weekly[b.key], shift_days, target=scenario.fixed_fill)
        for b in scenario.bins
    }


def old_round_days(scenario: Scenario) -> frozenset[int]:
    """The weekdays the old round went out."""
    return scenario.round_shift_days or scenario.shift_days


def areas(scenario: Scenario) -> dict[int, int]:
    """Each bin's area day: sectors by direction from the bins' centre, one a day of the old round."""
    shift_days = sorted(old_round_days(scenario))
    centre = (
        sum(b.lon for b in scenario.bins) / max(1, len(scenario.bins)),
        sum(b.lat for b in scenario.bins) / max(1, len(scenario.bins)),
    )
    return {b.key: shift_days[area_of(b.lon, b.lat, centre, len(shift_days))] for b in scenario.bins}


def run(
    scenario: Scenario,
    days: int,
    *,
    seed: int = 1,
    policy: Policy | None = None,
    seconds: float = 1.0,
    warmup_days: int = 14,
    travel: TravelModel | None = None,
    policies: Sequence[str] = ("fixed", "planned"),
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Simulate ``days`` days under each policy; totals and one row per day for each.

    ``fixed`` is the city's round (:func:`fixed_days`); ``planned`` is the daily plan as it runs
    in production (``services.build_plan``: forecasts, ``planning.decide``, one solve for the
    fleet); ``rounds`` keeps the round's days but skips bins that can wait and adds those that
    cannot; ``fullest`` routes the ``scenario.fullest_per_shift`` bins expected to be fullest by
    the next shift's end. ``policy.visit_metres`` 0 is set from the bins (``typical_visit_metres``), as the
    daily plan does. The results also carry the policy they ran. ``progress(done, total)`` is
    called after each simulated day (the warm-up's, then each policy's)."""
    policy = policy or Policy()
    model: TravelModel = travel or StraightLine()
    if policy.visit_metres <= 0:
        policy = replace(policy, visit_metres=typical_visit_metres([(b.lon, b.lat) for b in scenario.bins]))
    schedule = fixed_days(scenario)
    schedules: dict[str, dict[int, tuple[int, ...]]] = {
        "fixed": schedule,
        "rounds": schedule,
        "planned": {},
        "fullest": {},
    }
    # The same random day factors for both policies: they face identical weeks.
    rng = random.Random(seed)
    total_days = warmup_days + days
    factors = [
        [rng.lognormvariate(-(scenario.day_sigma**2) / 2, scenario.day_sigma) for _ in scenario.bins]
        for _ in range(total_days)
    ]
    noise = random.Random(seed + 1)
    noise_table = [noise.gauss(0, scenario.sensor_noise) for _ in range(4096)]
    origin = scenario.start - timedelta(days=warmup_days)
    steps = warmup_days + days * len({"fixed", *policies})
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    warm = _State([noise.uniform(0, 60) for _ in scenario.bins], [[] for _ in scenario.bins])
    for day in range(warmup_days):
        _day(
            scenario,
            warm,
            origin + timedelta(days=day),
            factors[day],
            noise_table,
            schedule,
            None,
            policy,
            seconds,
            model,
            seed,
        )
        step()
    results: dict[str, Any] = {"days": days, "bins": len(scenario.bins), "vehicles": len(scenario.trucks), "seed": seed}
    for name in ("fixed", *[p for p in policies if p != "fixed"]):
        state = _State(list(warm.fill), [list(r) for r in warm.readings])
        for day in range(days):
            _day(
                scenario,
                state,
                scenario.start + timedelta(days=day),
                factors[warmup_days + day],
                noise_table,
                schedules[name],
                None if name == "fixed" else name,
                policy,
                seconds,
                model,
                seed + day,
            )
            step()
        results[name] = state.totals.as_dict()
        results[f"{name}_daily"] = state.daily
    fixed_km = results["fixed"]["km"]
    for name in policies:
        if name != "fixed":
            results[f"{name}_km_saving"] = round(1 - results[name]["km"] / fixed_km, 4) if fixed_km else 0.0
    results["km_saving"] = results.get("planned_km_saving", results.get("rounds_km_saving", 0.0))
    results["overflows_change"] = (
        results["planned"]["overflows"] - results["fixed"]["overflows"] if "planned" in results else 0
    )
    results["policy"] = asdict(policy)
    results["fixed_fill"] = scenario.fixed_fill
    results["plan_days"] = sorted(scenario.shift_days)
    results["round_days"] = sorted(old_round_days(scenario))
    return results


def _day(
    scenario: Scenario,
    state: _State,
    midnight: datetime,
    factors: list[float],
    noise: list[float],
    schedule: dict[int, tuple[int, ...]],
    mode: str | None,
    policy: Policy,
    seconds: float,
    travel: TravelModel,
    seed: int,
) -> None:
    pickups: dict[int, int] = {}  # bin index -> second of the day it is emptied
    totals = Totals()
    # The round goes out on whatever days its bins name (``_jobs`` takes none on the others).
    working = frozenset(range(7)) if mode is None else scenario.shift_days
    if midnight.weekday() in working:
        jobs = _jobs(scenario, state, midnight, schedule, mode, policy)
        if jobs:
            plan = solve_plan(jobs, scenario.trucks, scenario.disposal, travel=travel, seconds=seconds, seed=seed)
            totals.solver_seconds += plan.seconds
            totals.km += plan.distance_m / 1000
            totals.missed_required += sum(1 for o in plan.omitted if o.required)
            totals.disposal_trips += sum(r.trips for r in plan.routes)
            totals.routes += len(plan.routes)
            for route in plan.routes:
                for visit in route.visits:
                    if visit.kind == "bin" and isinstance(visit.key, int):
                        pickups[visit.key] = visit.arrive_s
    overflowed: set[int] = set()
    counter = midnight.toordinal() * 131
    for hour in range(24):
        when = midnight + timedelta(hours=hour)
        weekday = midnight.weekday()
        for i, b in enumerate(scenario.bins):
            at = pickups.get(i)
            if at is not None and hour * 3600 <= at < (hour + 1) * 3600:
                totals.collections += 1
                totals.fill_sum += min(state.fill[i], 100.0)
                state.fill[i] = 0.0
            state.fill[i] += b.rate * b.weekday[weekday] * HOUR_PROFILE[hour] * factors[i]
            if state.fill[i] >= 100:
                overflowed.add(i)
            counter += 1
            reading = min(max(state.fill[i] + noise[counter % len(noise)], 0.0), 100.0)
            state.readings[i].append((when + timedelta(hours=1), reading))
    totals.overflows = len(overflowed)
    totals.co2_kg = totals.km * scenario.co2_kg_per_km
    for key in (
        "km",
        "collections",
        "fill_sum",
        "overflows",
        "co2_kg",
        "missed_required",
        "disposal_trips",
        "routes",
        "solver_seconds",
    ):
        setattr(state.totals, key, getattr(state.totals, key) + getattr(totals, key))
    row = totals.as_dict()
    row["date"] = midnight.date().isoformat()  # type: ignore[assignment]
    state.daily.append(row)
    # Keep four weeks of readings: enough for the weekly pattern.
    for readings in state.readings:
        if len(readings) > 28 * 24:
            del readings[: len(readings) - 28 * 24]


def _next_round(midnight: datetime, weekdays: Sequence[int], start_s: int) -> datetime | None:
    """When the bin's round comes again, if its round is today (else None)."""
    if midnight.weekday() not in weekdays:
        return None
    for ahead in range(1, 8):
        day = midnight + timedelta(days=ahead)
        if day.weekday() in weekdays:
            return day + timedelta(seconds=start_s)
    return None


def _next_shift_end(scenario: Scenario, midnight: datetime) -> datetime:
    """The end of the next shift after the day of ``midnight``: the latest it could empty a bin."""
    end = max(t.end_s for t in scenario.trucks)
    day = midnight + timedelta(days=1)
    while day.weekday() not in scenario.shift_days:
        day += timedelta(days=1)
    return day + timedelta(seconds=end)


def _jobs(
    scenario: Scenario,
    state: _State,
    midnight: datetime,
    schedule: dict[int, tuple[int, ...]],
    mode: str | None,
    policy: Policy,
) -> list[Job]:
    start = min(t.start_s for t in scenario.trucks)
    end = max(t.end_s for t in scenario.trucks)
    now = midnight + timedelta(seconds=start) - timedelta(hours=1)
    middle = midnight + timedelta(seconds=(start + end) // 2)
    next_shift = _next_shift_end(scenario, midnight)
    jobs = []
    if mode is not None and (state.fitted_on is None or (midnight - state.fitted_on).days >= REFIT_DAYS):
        # Two-hourly readings are plenty for a weekly pattern and halve the fitting time.
        state.models = {i: forecast.fit(r[::2]) for i, r in enumerate(state.readings)}
        state.fitted_on = midnight
    chosen: dict[int, float] = {}  # the fullest policy's bins today -> current fill
    if mode == "fullest":
        now_fill = {i: _current(state, i, now) for i in range(len(scenario.bins))}
        by_next_shift = {i: state.models[i].fill_at(now, now_fill[i], next_shift) for i in now_fill}
        # Ties (rare: forecasts are not capped) go to the lower index, so runs repeat.
        fullest = heapq.nsmallest(scenario.fullest_per_shift, now_fill, key=lambda i: (-by_next_shift[i], i))
        chosen = {i: now_fill[i] for i in fullest}
    for i, b in enumerate(scenario.bins):
        if mode == "fullest":
            if i not in chosen:
                continue
            fill = min(state.models[i].fill_at(now, chosen[i], middle), 100.0)
            required, prize = True, 0
        elif mode is None:
            if midnight.weekday() not in schedule[b.key]:
                continue
            fill, required, prize = min(state.fill[i] + b.rate * 4, 100.0), True, 0
        else:
            model = state.models[i]
            current = _current(state, i, now)
            rounds = schedule.get(b.key, ())
            decision = decide(
                policy,
                model,
                now=now,
                current=current,
                shift_middle=middle,
                next_shift=next_shift,
                next_round=_next_round(midnight, rounds, start),
            )
            if not decision.offered:
                continue
            fill, required, prize = decision.fill_at_shift, decision.required, decision.prize
        litres = int(b.litres * max(fill, 5.0) / 100)
        jobs.append(Job(i, b.lon, b.lat, litres, int(litres * b.kg_per_litre), b.service_s, None, required, prize))
    return jobs


def _current(state: _State, i: int, now: datetime) -> float:
    """Bin ``i``'s fill at ``now`` as the daily plan estimates it, from its last two days' readings."""
    readings = [r for r in state.readings[i][-48:] if r[0] <= now]
    return forecast.current_fill(state.models[i], readings, now)
