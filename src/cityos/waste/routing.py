"""The vehicle routing solver path (pure: no database), on PyVRP.

One prize-collecting capacitated VRP with time windows for the whole fleet: every bin is a
pickup client with a two-dimensional demand (litres, kilograms); must-collect bins carry a prize
so large that leaving one out only happens when nothing else fits, which lets the solver return
the best partial plan instead of an infeasible one. Vehicles start at their depot, tip at the
disposal site whenever full (PyVRP reload depots) and end the shift there before driving home, so
that last leg is taken off the shift. Crew breaks are reserved from the shift and placed on the
sheet after the stop at which the crew has worked ``break_after`` (later times move by the break).

Times are seconds from the plan's origin (midnight of the plan date), distances metres.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Protocol

import numpy as np
import numpy.typing as npt
from pyvrp import Activity, Client, Depot, Location, ProblemData, VehicleType, solve
from pyvrp import Route as PyvrpRoute
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement, StoppingCriterion

REQUIRED_PRIZE = 10**9  # metres: a must-collect bin outweighs any detour
EARTH_RADIUS_M = 6_371_008.8
Matrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Site:
    key: str
    lon: float
    lat: float


@dataclass(frozen=True)
class Job:
    """A bin to empty (or not)."""

    key: int
    lon: float | None
    lat: float | None
    litres: int
    kg: int
    service_s: int = 120
    window: tuple[int, int] | None = None
    required: bool = False
    prize: int = 0


@dataclass(frozen=True)
class Truck:
    key: int
    depot: Site
    litres: int
    kg: int
    start_s: int
    end_s: int
    break_s: int = 0
    break_after_s: int = 4 * 3600
    # Re-planning mid-shift: where the truck is now and what it already carries.
    start: Site | None = None
    load_litres: int = 0
    load_kg: int = 0

    @property
    def origin(self) -> Site:
        return self.start or self.depot


@dataclass(frozen=True)
class Visit:
    kind: str  # "depot" | "bin" | "disposal" | "break"
    key: int | str
    arrive_s: int
    depart_s: int
    trip: int
    lon: float
    lat: float


@dataclass
class TruckRoute:
    truck: int
    visits: list[Visit]
    distance_m: int
    trips: int
    litres: int
    kg: int


@dataclass(frozen=True)
class Omitted:
    key: int
    reason: str  # "no_location" | "too_big" | "time_window" | "no_vehicle" | "fleet_full" | "not_worth_it"
    required: bool


@dataclass(frozen=True)
class Problem:
    code: str  # "bin_without_location" | "vehicle_too_small" | "window_unreachable" | "no_vehicle" | "fleet_too_small"
    count: int


@dataclass
class PlanResult:
    routes: list[TruckRoute] = field(default_factory=list)
    omitted: list[Omitted] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    feasible: bool = True

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)


class TravelModel(Protocol):
    @property
    def name(self) -> str: ...

    def matrices(self, points: Sequence[tuple[float, float]]) -> tuple[Matrix, Matrix]:
        """(distance metres, duration seconds) between every pair of (lon, lat) points."""
        ...


def haversine_m(points: Sequence[tuple[float, float]] | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    coords = np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    lon, lat = coords[:, 0], coords[:, 1]
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@dataclass(frozen=True)
class StraightLine:
    """Great-circle distance times a circuity factor, at an average speed."""

    circuity: float = 1.3
    speed_kmh: float = 25.0
    name: str = "haversine"

    def matrices(self, points: Sequence[tuple[float, float]]) -> tuple[Matrix, Matrix]:
        distance = haversine_m(points) * self.circuity
        duration = distance / (self.speed_kmh / 3.6)
        return np.rint(distance).astype(np.int64), np.rint(duration).astype(np.int64)


# Larger plans settle more slowly: 1,000 bins stopped after 1,000 quiet iterations at 6 s with a
# plan 10% worse than at 45 s, and 300 bins after 2,000 with routes 2.5% longer.
PATIENCE_PER_BIN = 10


def solve_plan(
    jobs: Sequence[Job],
    trucks: Sequence[Truck],
    disposal: Site,
    *,
    travel: TravelModel,
    unload_s: int = 900,
    disposal_window: tuple[int, int] | None = None,
    seconds: float = 10.0,
    patience: int | None = None,
    seed: int = 1,
) -> PlanResult:
    """Choose and route bins for every truck in one solve; report what cannot be met.

    The solve runs for ``seconds``, or with ``patience`` until that many iterations in a row
    found no better plan (someone is waiting for it), whichever comes first. Patience is at
    least ``PATIENCE_PER_BIN`` iterations a bin offered: larger plans settle more slowly."""
    started = time.perf_counter()
    result = PlanResult()
    problems: dict[str, int] = {}

    def omit(job: Job, reason: str, problem: str | None) -> None:
        result.omitted.append(Omitted(job.key, reason, job.required))
        if problem:
            problems[problem] = problems.get(problem, 0) + 1

    if not trucks:
        for job in jobs:
            omit(job, "no_vehicle", "no_vehicle")
        result.problems = [Problem(c, n) for c, n in problems.items()]
        result.feasible = not any(j.required for j in jobs)
        return result

    max_litres = max(t.litres for t in trucks)
    max_kg = max(t.kg for t in trucks)
    earliest = min(t.start_s for t in trucks)
    latest = max(t.end_s for t in trucks)
    candidates: list[Job] = []
    for job in jobs:
        if job.lon is None or job.lat is None:
            omit(job, "no_location", "bin_without_location")
        elif job.litres > max_litres or job.kg > max_kg:
            omit(job, "too_big", "vehicle_too_small")
        elif job.window is not None and (job.window[1] < earliest or job.window[0] > latest):
            omit(job, "time_window", "window_unreachable")
        else:
            candidates.append(job)

    depots = sorted({t.depot for t in trucks} | {t.origin for t in trucks}, key=lambda s: s.key)
    sites: list[Site] = [*depots, disposal]
    points = [(s.lon, s.lat) for s in sites] + [(j.lon or 0.0, j.lat or 0.0) for j in candidates]
    distance, duration = travel.matrices(points)
    disposal_index = len(depots)
    depot_index = {s: i for i, s in enumerate(depots)}

    if candidates:
        locations = [Location(x=i, y=0) for i in range(len(points))]
        pv_depots = [Depot(location=i) for i in range(len(depots))]
        dw = disposal_window or (0, 7 * 86400)
        pv_depots.append(Depot(location=disposal_index, tw_early=dw[0], tw_late=dw[1], service_duration=unload_s))
        clients = []
        for offset, job in enumerate(candidates):
            window = job.window or (0, 7 * 86400)
            clients.append(
                Client(
                    location=len(sites) + offset,
                    pickup=[job.litres, job.kg],
                    service_duration=job.service_s,
                    tw_early=window[0],
                    tw_late=window[1],
                    prize=REQUIRED_PRIZE if job.required else max(0, job.prize),
                    required=False,
                )
            )
        types: list[VehicleType] = []
        type_trucks: list[list[Truck]] = []
        groups: dict[tuple[object, ...], list[Truck]] = {}
        for truck in trucks:
            signature = (
                truck.depot,
                truck.origin,
                truck.litres,
                truck.kg,
                truck.start_s,
                truck.end_s,
                truck.break_s,
                truck.load_litres,
                truck.load_kg,
            )
            groups.setdefault(signature, []).append(truck)
        for members in groups.values():
            first = members[0]
            litres, kg, start_s, end_s, break_s = first.litres, first.kg, first.start_s, first.end_s, first.break_s
            home = depot_index[first.depot]
            back = int(duration[disposal_index, home]) + unload_s  # the last tip, then home
            late = end_s - back - break_s
            types.append(
                VehicleType(
                    num_available=len(members),
                    capacity=[litres, kg],
                    initial_load=[min(first.load_litres, litres), min(first.load_kg, kg)],
                    start_depot=depot_index[first.origin],
                    end_depot=disposal_index,
                    tw_early=start_s,
                    tw_late=max(start_s, late),
                    shift_duration=max(0, late - start_s),
                    reload_depots=[disposal_index],
                    name=f"type{len(types)}",
                )
            )
            type_trucks.append(members)
        data = ProblemData(
            locations=locations,
            clients=clients,
            depots=pv_depots,
            vehicle_types=types,
            distance_matrices=[distance],  # type: ignore[list-item]
            duration_matrices=[duration],  # type: ignore[list-item]
        )
        if patience is not None:
            patience = max(patience, PATIENCE_PER_BIN * len(candidates))
        solved = solve(data, stop=_stop(seconds, patience), seed=seed, collect_stats=False, display=False)
        best = solved.best
        result.feasible = best.is_feasible()
        visited: set[int] = set()
        used = [0] * len(types)
        for found in best.routes():
            route = found if found.is_feasible() else _repair(data, found, clients)
            if route is None:
                continue
            type_index = route.vehicle_type()
            truck = type_trucks[type_index][used[type_index]]
            used[type_index] += 1
            result.routes.append(_route(truck, route.schedule(), candidates, sites, distance, duration, disposal_index))
            visited.update(v.key for v in result.routes[-1].visits if v.kind == "bin" and isinstance(v.key, int))
        for job in candidates:
            if job.key not in visited:
                if job.required:
                    omit(job, "fleet_full", "fleet_too_small")
                else:
                    omit(job, "not_worth_it", None)
    result.problems = [Problem(c, n) for c, n in problems.items()]
    if any(o.required for o in result.omitted):
        result.feasible = False
    result.seconds = time.perf_counter() - started
    return result


def _stop(seconds: float, patience: int | None) -> StoppingCriterion:
    if patience is None:
        return MaxRuntime(seconds)
    return MultipleCriteria([MaxRuntime(seconds), NoImprovement(patience)])


def _repair(data: ProblemData, route: PyvrpRoute, clients: Sequence[Client]) -> PyvrpRoute | None:
    """Drop visits from an infeasible route (over its shift, late for a window, overloaded)
    until it is feasible: optional bins first, cheapest prize first, then the latest must-collect
    bins. What is dropped is reported as left out by the caller; the rest is still a plan."""
    activities = [Activity(a.type, a.idx) for a in route.schedule()][1:-1]
    vehicle_type = route.vehicle_type()
    while True:
        candidate = PyvrpRoute(data, activities, vehicle_type)
        if candidate.is_feasible():
            return candidate
        visits = [i for i, a in enumerate(activities) if a.is_client()]
        if not visits:
            return None
        optional = [i for i in visits if not clients[activities[i].idx].prize >= REQUIRED_PRIZE]
        drop = min(optional, key=lambda i: clients[activities[i].idx].prize) if optional else visits[-1]
        del activities[drop]
        # No two tips in a row.
        cleaned: list[Activity] = []
        for activity in activities:
            if activity.is_depot() and cleaned and cleaned[-1].is_depot():
                continue
            cleaned.append(activity)
        activities = cleaned


def _route(
    truck: Truck,
    schedule: Sequence[object],
    jobs: Sequence[Job],
    sites: Sequence[Site],
    distance: Matrix,
    duration: Matrix,
    disposal_index: int,
) -> TruckRoute:
    visits: list[Visit] = []
    locations: list[int] = []
    litres = kg = 0
    trips = 0
    shift = 0  # seconds added by the break once taken
    break_taken = truck.break_s <= 0
    for activity in schedule:
        is_depot = bool(activity.is_depot())  # type: ignore[attr-defined]
        idx = int(activity.idx)  # type: ignore[attr-defined]
        start = int(activity.start_time) + shift  # type: ignore[attr-defined]
        end = int(activity.end_time) + shift  # type: ignore[attr-defined]
        trip = int(activity.trip)  # type: ignore[attr-defined]
        if is_depot:
            site = sites[idx]
            kind = "disposal" if idx == disposal_index else ("depot" if site == truck.depot else "start")
            trips += kind == "disposal"
            visits.append(Visit(kind, site.key, start, end, trip, site.lon, site.lat))
            locations.append(idx)
        else:
            job = jobs[idx]
            litres += job.litres
            kg += job.kg
            visits.append(Visit("bin", job.key, start, end, trip, job.lon or 0.0, job.lat or 0.0))
            locations.append(len(sites) + idx)
        if not break_taken and end - truck.start_s >= truck.break_after_s and len(visits) > 1:
            last = visits[-1]
            visits.append(Visit("break", "break", end, end + truck.break_s, trip, last.lon, last.lat))
            shift += truck.break_s
            break_taken = True
    # Home from the disposal site after the last tip.
    home = next(i for i, s in enumerate(sites) if s == truck.depot)
    if locations:
        last_end = visits[-1].depart_s
        arrive = last_end + int(duration[locations[-1], home])
        visits.append(Visit("depot", truck.depot.key, arrive, arrive, trips, truck.depot.lon, truck.depot.lat))
        locations.append(home)
    metres = sum(int(distance[a, b]) for a, b in pairwise(locations))
    return TruckRoute(truck.key, visits, metres, trips, litres, kg)


def mean_speed_check(distance: Matrix, duration: Matrix) -> float:
    """Average speed (km/h) implied by a pair of matrices, for sanity checks in tests."""
    seconds = float(duration.sum())
    return float(distance.sum()) / seconds * 3.6 if seconds else math.inf


def solve_cvrp(
    coords: Sequence[tuple[float, float]],
    demands: Sequence[int],
    capacity: int,
    *,
    seconds: float,
    seed: int = 1,
    vehicles: int | None = None,
) -> tuple[int, list[list[int]]]:
    """A plain CVRP (depot = node 0, rounded Euclidean distances, identical vehicles: at most
    ``vehicles``, else as many as needed) on the same PyVRP search and parameters as
    :func:`solve_plan`, for the CVRPLIB benchmark. Returns the cost and the routes as lists of
    node numbers; ValueError if no solution within the fleet was found in time."""
    points = np.asarray(coords, dtype=np.float64)
    distance = np.rint(np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))).astype(np.int64)
    n = len(coords)
    data = ProblemData(
        locations=[Location(x=float(x), y=float(y)) for x, y in coords],
        clients=[Client(location=i, delivery=[int(demands[i])]) for i in range(1, n)],
        depots=[Depot(location=0)],
        vehicle_types=[VehicleType(num_available=vehicles or n - 1, capacity=[capacity])],
        distance_matrices=[distance],  # type: ignore[list-item]
        duration_matrices=[np.zeros_like(distance)],  # type: ignore[list-item]
    )
    best = solve(data, stop=MaxRuntime(seconds), seed=seed, collect_stats=False, display=False).best
    if not best.is_feasible():
        raise ValueError(f"no solution with at most {vehicles} vehicles found in {seconds} s")
    routes = [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in best.routes()]
    cost = sum(int(distance[a, b]) for route in routes for a, b in pairwise([0, *route, 0]))
    return cost, routes
