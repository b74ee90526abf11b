"""The solver path: one prize-collecting solve, reloads at the disposal site, and bad input
reported with the best partial plan."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from cityos.waste.roads import RoadNetwork
from cityos.waste.routing import Job, Site, StraightLine, Truck, haversine_m, solve_cvrp, solve_plan

DEPOT = Site("depot", -73.90, 40.71)
TIP = Site("tip", -73.88, 40.72)
TRAVEL = StraightLine(circuity=1.3, speed_kmh=25)


def jobs(n, *, required=True, litres=500, seed=1, prize=0):
    rng = random.Random(seed)
    return [
        Job(
            i,
            -73.92 + rng.random() * 0.04,
            40.70 + rng.random() * 0.03,
            litres,
            litres // 10,
            60,
            None,
            required,
            prize,
        )
        for i in range(n)
    ]


def truck(key=1, litres=5_000, kg=2_000, start=6 * 3600, end=14 * 3600):
    return Truck(key, DEPOT, litres, kg, start, end, 0)


def visited(result):
    return [v.key for r in result.routes for v in r.visits if v.kind == "bin"]


def test_every_required_bin_is_routed_and_loads_respect_capacity_with_trips_to_the_tip():
    result = solve_plan(jobs(30), [truck(1), truck(2)], TIP, travel=TRAVEL, seconds=0.5)
    assert result.feasible and not result.problems
    assert sorted(visited(result)) == list(range(30))
    # 15,000 litres over 5,000-litre trucks: at least three loads in all.
    assert sum(r.trips for r in result.routes) >= 3
    for route in result.routes:
        load = 0
        for visit in route.visits:
            if visit.kind == "bin":
                load += 500
                assert load <= 5_000
            elif visit.kind == "disposal":
                load = 0
        assert route.visits[0].kind == "depot" and route.visits[-1].kind == "depot"
        assert route.visits[-2].kind == "disposal"  # tip before going home
        assert all(a.arrive_s <= b.arrive_s for a, b in zip(route.visits, route.visits[1:], strict=False))
        assert route.visits[-1].arrive_s <= 14 * 3600


def test_with_patience_a_solve_ends_once_it_stops_improving_not_at_its_time_limit():
    # A page or the API waits for this solve; ten bins stop improving within a second or two.
    patient = solve_plan(jobs(10), [truck()], TIP, travel=TRAVEL, seconds=120, patience=200)
    assert patient.seconds < 60
    assert patient.feasible and sorted(visited(patient)) == list(range(10))
    full = solve_plan(jobs(10), [truck()], TIP, travel=TRAVEL, seconds=1)
    assert patient.distance_m == pytest.approx(full.distance_m, rel=0.01)


def test_optional_bins_are_taken_only_when_their_prize_beats_the_detour():
    near = [Job(1, -73.901, 40.711, 100, 10, 60, None, True, 0)]
    cheap = Job(2, -73.95, 40.75, 100, 10, 60, None, False, 10)  # far away, worth 10 m
    dear = Job(3, -73.95, 40.75, 100, 10, 60, None, False, 1_000_000)
    assert visited(solve_plan([*near, cheap], [truck()], TIP, travel=TRAVEL, seconds=0.2)) == [1]
    assert sorted(visited(solve_plan([*near, dear], [truck()], TIP, travel=TRAVEL, seconds=0.2))) == [1, 3]


def test_a_bin_without_location_and_one_too_big_are_left_out_with_reasons():
    work = [*jobs(5), Job(90, None, None, 100, 10), Job(91, -73.91, 40.71, 9_000, 10, required=True)]
    result = solve_plan(work, [truck()], TIP, travel=TRAVEL, seconds=0.2)
    reasons = {o.key: o.reason for o in result.omitted}
    assert reasons == {90: "no_location", 91: "too_big"}
    assert {p.code for p in result.problems} == {"bin_without_location", "vehicle_too_small"}
    assert sorted(visited(result)) == [0, 1, 2, 3, 4]  # the rest is still planned
    assert not result.feasible  # a required bin could not be taken


def test_too_many_required_bins_give_the_best_partial_plan_and_say_so():
    # A one-hour shift cannot empty 200 bins at a minute each.
    result = solve_plan(jobs(200), [truck(end=7 * 3600)], TIP, travel=TRAVEL, seconds=0.5)
    assert not result.feasible
    assert [p.code for p in result.problems] == ["fleet_too_small"]
    left = [o for o in result.omitted if o.reason == "fleet_full"]
    assert 0 < len(left) < 200
    assert len(visited(result)) + len(left) == 200
    assert result.routes[0].visits[-1].arrive_s <= 7 * 3600


def test_access_windows_are_kept_and_unreachable_ones_reported():
    late = Job(1, -73.91, 40.71, 100, 10, 60, (10 * 3600, 11 * 3600), True)
    night = Job(2, -73.91, 40.71, 100, 10, 60, (22 * 3600, 23 * 3600), True)
    result = solve_plan([late, night], [truck()], TIP, travel=TRAVEL, seconds=0.2)
    stop = next(v for v in result.routes[0].visits if v.key == 1)
    assert 10 * 3600 <= stop.arrive_s <= 11 * 3600
    assert [(o.key, o.reason) for o in result.omitted] == [(2, "time_window")]


def test_no_vehicle_leaves_everything_out():
    result = solve_plan(jobs(3), [], TIP, travel=TRAVEL, seconds=0.1)
    assert not result.routes and {o.reason for o in result.omitted} == {"no_vehicle"}
    assert [p.code for p in result.problems] == ["no_vehicle"]


def test_a_truck_restarting_mid_shift_starts_where_it_is_with_its_load():
    here = Site("here", -73.915, 40.712)
    moving = Truck(1, DEPOT, 1_000, 1_000, 10 * 3600, 14 * 3600, 0, start=here, load_litres=900)
    result = solve_plan(jobs(2, litres=300), [moving], TIP, travel=TRAVEL, seconds=0.2)
    first, second = result.routes[0].visits[:2]
    assert first.kind == "start" and first.arrive_s >= 10 * 3600
    assert second.kind == "disposal"  # 900 + 300 > 1,000: it must tip first


def test_crew_break_is_placed_and_shifts_later_times():
    t = Truck(1, DEPOT, 50_000, 50_000, 6 * 3600, 14 * 3600, 1800, break_after_s=3600)
    result = solve_plan(jobs(40, litres=50), [t], TIP, travel=TRAVEL, seconds=0.3)
    kinds = [v.kind for v in result.routes[0].visits]
    assert kinds.count("break") == 1
    pause = next(v for v in result.routes[0].visits if v.kind == "break")
    assert pause.depart_s - pause.arrive_s == 1800 and pause.arrive_s >= 7 * 3600


def test_straight_line_matrix_is_haversine_times_circuity():
    d = haversine_m([(0.0, 0.0), (1.0, 0.0)])
    assert d[0, 1] == pytest.approx(111_195, rel=1e-3)
    distance, duration = StraightLine(circuity=1.5, speed_kmh=36).matrices([(0.0, 0.0), (1.0, 0.0)])
    assert distance[0, 1] == round(111_195 * 1.5, -1) or abs(distance[0, 1] - 166_793) < 50
    assert duration[0, 1] == pytest.approx(distance[0, 1] / 10, abs=1)


def test_a_road_network_routes_along_its_roads(tmp_path):
    # An L-shaped road: from A east to B, then north to C. A to C must go by B.
    a, b, c = (-73.92, 40.70), (-73.90, 40.70), (-73.90, 40.72)
    network = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"maxspeed": 50},
                "geometry": {"type": "LineString", "coordinates": [a, b, c]},
            }
        ],
    }
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(network))
    roads = RoadNetwork.from_file(path)
    distance, duration = roads.matrices([a, c])
    legs = haversine_m([a, b])[0, 1] + haversine_m([b, c])[0, 1]
    assert distance[0, 1] == pytest.approx(legs, rel=0.01)
    assert duration[0, 1] == pytest.approx(legs / (40 / 3.6), rel=0.01)  # 80% of the 50 km/h limit
    assert np.all(np.diag(distance) == 0)
    result = solve_plan(
        [Job(1, c[0], c[1], 100, 10, required=True)],
        [Truck(1, Site("d", *a), 1000, 1000, 0, 86400)],
        Site("t", *b),
        travel=roads,
        seconds=0.1,
    )
    assert visited(result) == [1]


def test_the_cvrplib_path_keeps_to_the_instances_fleet_and_says_when_it_cannot():
    # Four customers of 6 on trucks of 10: each needs its own truck.
    coords = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0), (-10.0, 0.0), (0.0, -10.0)]
    demands = [0, 6, 6, 6, 6]
    cost, routes = solve_cvrp(coords, demands, 10, seconds=0.2, vehicles=4)
    assert cost == 80 and sorted(map(len, routes)) == [1, 1, 1, 1]
    with pytest.raises(ValueError, match="at most 3 vehicles"):
        solve_cvrp(coords, demands, 10, seconds=0.2, vehicles=3)
    # Small loads: one truck takes all, along the diamond (4 x 14.14, rounded per edge to 14).
    cost, routes = solve_cvrp(coords, [0, 1, 1, 1, 1], 10, seconds=0.2, vehicles=1)
    assert len(routes) == 1 and cost == 10 + 14 * 3 + 10
