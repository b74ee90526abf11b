"""CVRPLIB sets A, B and P (issue 6): the waste planner's solver path within 2% of the best
known solutions on average, with a 10 s limit per instance.

Reads the VRPLIB files in bench/data/cvrplib/ (each file's COMMENT names its optimal value and
where the copy came from; see bench/data/cvrplib/README.md), solves each with
``cityos.waste.routing.solve_cvrp`` (the same PyVRP search the daily plan uses, rounded Euclidean
distances as CVRPLIB does) with at most the instance's k vehicles (its name's -kN: CVRPLIB's
optima are for that fleet; --free-fleet lifts it), checks the routes (every customer once,
capacity kept, at most k) and prints the gap to the optimum per instance and on average. Example:

    .venv/bin/python bench/waste_cvrplib.py --seconds 10
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

from cityos.waste.routing import solve_cvrp

DATA = Path(__file__).parent / "data" / "cvrplib"


def read(path: Path) -> tuple[str, int, list[tuple[float, float]], list[int], int]:
    text = path.read_text()
    name = re.search(r"NAME\s*:\s*(\S+)", text)
    optimum = re.search(r"Optimal value:\s*(\d+)", text)
    capacity = re.search(r"CAPACITY\s*:\s*(\d+)", text)
    assert name and optimum and capacity, path
    coords_part = text.split("NODE_COORD_SECTION")[1].split("DEMAND_SECTION")[0]
    demand_part = text.split("DEMAND_SECTION")[1].split("DEPOT_SECTION")[0]
    coords = [(float(x), float(y)) for _, x, y in (line.split() for line in coords_part.strip().splitlines())]
    demands = [int(d) for _, d in (line.split() for line in demand_part.strip().splitlines())]
    return name.group(1), int(optimum.group(1)), coords, demands, int(capacity.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", default="", help="comma-separated instance names")
    parser.add_argument("--free-fleet", action="store_true", help="as many vehicles as needed, not the name's k")
    args = parser.parse_args()
    wanted = {n for n in args.only.split(",") if n}
    gaps: list[float] = []
    failed: list[str] = []
    print(f"{'instance':<12} {'optimum':>8} {'found':>8} {'gap %':>7} {'s':>6}")
    for path in sorted(DATA.glob("*.vrp")):
        name, optimum, coords, demands, capacity = read(path)
        if wanted and name not in wanted:
            continue
        fleet = None if args.free_fleet else int(re.search(r"-k(\d+)$", name).group(1))  # type: ignore[union-attr]
        started = time.perf_counter()
        try:
            cost, routes = solve_cvrp(coords, demands, capacity, seconds=args.seconds, vehicles=fleet)
        except ValueError as error:
            failed.append(name)
            print(f"{name:<12} {optimum:>8} {'-':>8} {'-':>7} {time.perf_counter() - started:>6.1f}  {error}")
            continue
        elapsed = time.perf_counter() - started
        visited = sorted(c for r in routes for c in r)
        assert visited == list(range(1, len(coords))), f"{name}: not every customer once"
        assert all(sum(demands[c] for c in r) <= capacity for r in routes), f"{name}: over capacity"
        assert fleet is None or len(routes) <= fleet, f"{name}: more than {fleet} routes"
        gap = (cost - optimum) / optimum * 100
        gaps.append(gap)
        print(f"{name:<12} {optimum:>8} {cost:>8} {gap:>7.2f} {elapsed:>6.1f}", flush=True)
    if gaps:
        print(f"mean gap {statistics.mean(gaps):.2f}% over {len(gaps)} instances, max {max(gaps):.2f}%")
    if failed:
        print(f"no solution within the fleet in time: {', '.join(failed)}")


if __name__ == "__main__":
    main()
