"""Days of bin filling under two policies, deterministic from a seed (pure: no database).

Each bin fills at its own weekday-and-hour pattern times a random factor per day (busy and
quiet days), read hourly by a noisy sensor. After a warm-up on the fixed schedule (so both
policies start from the same bins and history), the same days are run twice:

- ``fixed``: the city's weekly round, each bin on fixed weekdays, often enough that it would
  reach 85% between collections at its mean rate, the rounds on a day routed by the same solver;
- ``planned``: every shift, forecasts from the sensor history, must/may/not decisions
  (``planning.decide``) and one prize-collecting solve.

A bin is emptied at the time its route reaches it. An overflow is a bin-day on which it was full
at some hour. Kilometres include the trips to the disposal site and home.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cityos.waste import forecast
from cityos.waste.planning import Policy, decide
from cityos.waste.routing import Job, Site, StraightLine, TravelModel, Truck, solve_plan

_RAW_PROFILE = (
    0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 0.6, 1.0, 1.3, 1.4, 1.5, 1.7,
    1.9, 1.8, 1.6, 1.5, 1.5, 1.6, 1.7, 1.5, 1.2, 0.8, 0.4, 0.2,
)  # fmt: skip
REFIT_DAYS = 14  # the weekly pattern changes slowly; refitting daily costs time for nothing
HOUR_PROFILE: tuple[float, ...] = tuple(h * 24 / sum(_RAW_PROFILE) for h in _RAW_PROFILE)


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
    shift_days: frozenset[int] = frozenset({0, 1, 2, 3, 4, 5})
    co2_kg_per_km: float = 1.2
    day_sigma: float = 0.3
    sensor_noise: float = 2.0
    # The fixed round: every bin this many times a week; None sizes it per area instead.
    fixed_per_week: int | None = 1
    # Each bin's round weekdays where the city's rounds are known (else sectors are drawn).
    rounds: dict[int, tuple[int, ...]] | None = None


@dataclass
class Totals:
    km: float = 0.0
    collections: int = 0
    fill_sum: float = 0.0
    overflows: int = 0
    co2_kg: float = 0.0
    missed_required: int = 0
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
    fixed_per_week: int | None = 1,
) -> Scenario:
    """A city: ``sites`` as (key, lon, lat, loose litres, kg per litre), else ``bins`` random ones.

    ``weekly_fill`` (% of the bin per week) is learnt from each bin's history where known; the
    rest are drawn like the demo city's: most bins 45-95% a week, one in twelve 115-150%."""
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
        drawn = rng.uniform(115, 150) if rng.random() < 0.08 else rng.uniform(45, 95)
        weekly = known if known is not None and known > 0 else drawn
        weekday = [rng.uniform(0.8, 1.2) for _ in range(6)] + [1.3]  # more rubbish at the weekend
        mean = sum(weekday) / 7
        made.append(SimBin(key, lon, lat, litres, density, weekly / 168, tuple(w / mean for w in weekday)))
    depot = Site("depot", centre[0] + 0.03, centre[1] - 0.01)
    disposal = Site("disposal", centre[0] + 0.05, centre[1] + 0.02)
    fleet = tuple(Truck(k, depot, truck_litres, truck_kg, 6 * 3600, 14 * 3600, 1800) for k in range(trucks))
    begin = start or datetime(2026, 3, 2)
    return Scenario(tuple(made), depot, disposal, fleet, begin, fixed_per_week=fixed_per_week)


def fixed_days(scenario: Scenario, *, percentile: float = 0.9) -> dict[int, tuple[int, ...]]:
    """Each bin's weekdays on the fixed round. The round goes area by area (sectors around the
    depot) and collects every bin of an area ``scenario.fixed_per_week`` times a week, or, when
    that is None, as often as the area's ``percentile`` bin needs to be emptied before it is 85%
    full at its mean rate."""
    shift_days = sorted(scenario.shift_days)
    if scenario.rounds is not None:
        return {b.key: scenario.rounds.get(b.key) or (shift_days[b.key % len(shift_days)],) for b in scenario.bins}
    sectors: dict[int, list[SimBin]] = {}
    for b in scenario.bins:
        angle = math.atan2(b.lat - scenario.depot.lat, b.lon - scenario.depot.lon)
        sectors.setdefault(int((angle + math.pi) / (2 * math.pi) * len(shift_days)) % len(shift_days), []).append(b)
    days: dict[int, tuple[int, ...]] = {}
    for offset, members in sectors.items():
        rates = sorted(b.rate for b in members)
        rate = rates[min(len(rates) - 1, int(percentile * len(rates)))]
        per_week = scenario.fixed_per_week or min(len(shift_days), max(1, math.ceil(rate * 168 / 85)))
        chosen = tuple(
            sorted(
                {
                    shift_days[(offset + round(i * len(shift_days) / per_week)) % len(shift_days)]
                    for i in range(per_week)
                }
            )
        )
        for b in members:
            days[b.key] = chosen
    return days


def run(
    scenario: Scenario,
    days: int,
    *,
    seed: int = 1,
    policy: Policy | None = None,
    seconds: float = 1.0,
    warmup_days: int = 14,
    travel: TravelModel | None = None,
    policies: Sequence[str] = ("fixed", "planned", "rounds"),
) -> dict[str, Any]:
    """Simulate ``days`` days under each policy; totals and one row per day for each.

    ``fixed`` is the weekly round; ``planned`` plans every shift freely; ``rounds`` keeps the
    round's areas and days but skips bins that can wait and adds those that cannot."""
    policy = policy or Policy()
    model: TravelModel = travel or StraightLine()
    schedule = fixed_days(scenario)
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
                schedule,
                None if name == "fixed" else name,
                policy,
                seconds,
                model,
                seed + day,
            )
        results[name] = state.totals.as_dict()
        results[f"{name}_daily"] = state.daily
    fixed_km = results["fixed"]["km"]
    for name in policies:
        if name != "fixed":
            results[f"{name}_km_saving"] = round(1 - results[name]["km"] / fixed_km, 4) if fixed_km else 0.0
    results["km_saving"] = results.get("rounds_km_saving", results.get("planned_km_saving", 0.0))
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
    if midnight.weekday() in scenario.shift_days:
        jobs = _jobs(scenario, state, midnight, schedule, mode, policy)
        if jobs:
            plan = solve_plan(jobs, scenario.trucks, scenario.disposal, travel=travel, seconds=seconds, seed=seed)
            totals.solver_seconds += plan.seconds
            totals.km += plan.distance_m / 1000
            totals.missed_required += sum(1 for o in plan.omitted if o.required)
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
    for key in ("km", "collections", "fill_sum", "overflows", "co2_kg", "missed_required", "solver_seconds"):
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


def _next_shift(scenario: Scenario, midnight: datetime) -> datetime:
    start = min(t.start_s for t in scenario.trucks)
    day = midnight + timedelta(days=1)
    while day.weekday() not in scenario.shift_days:
        day += timedelta(days=1)
    return day + timedelta(seconds=start)


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
    next_shift = _next_shift(scenario, midnight)
    shift_after = _next_shift(scenario, next_shift.replace(hour=0, minute=0, second=0))
    jobs = []
    if mode is not None and (state.fitted_on is None or (midnight - state.fitted_on).days >= REFIT_DAYS):
        # Two-hourly readings are plenty for a weekly pattern and halve the fitting time.
        state.models = {i: forecast.fit(r[::2]) for i, r in enumerate(state.readings)}
        state.fitted_on = midnight
    for i, b in enumerate(scenario.bins):
        if mode is None:
            if midnight.weekday() not in schedule[b.key]:
                continue
            fill, required, prize = min(state.fill[i] + b.rate * 4, 100.0), True, 0
        else:
            readings = [r for r in state.readings[i][-48:] if r[0] <= now]
            model = state.models[i]
            current = forecast.current_fill(model, readings, now)
            rounds = schedule[b.key] if mode == "rounds" else ()
            decision = decide(
                policy,
                model,
                now=now,
                current=current,
                shift_middle=middle,
                next_shift=next_shift,
                shift_after=shift_after,
                next_round=_next_round(midnight, rounds, start),
            )
            if not decision.offered:
                continue
            fill, required, prize = decision.fill_at_shift, decision.required, decision.prize
        litres = int(b.litres * max(fill, 5.0) / 100)
        jobs.append(Job(i, b.lon, b.lat, litres, int(litres * b.kg_per_litre), b.service_s, None, required, prize))
    return jobs
