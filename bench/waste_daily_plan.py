"""A 1,000-bin, 10-vehicle daily plan in under 60 s (issue 6), on this machine.

Builds a synthetic city of 1,000 bins (forecast fills drawn like the demo city's: one in five
must be collected, the rest optional with prizes growing with fill), ten 20 m³ trucks with
8-hour shifts and a crew break, one depot and one disposal site, and times the planner's solver
path end to end: travel matrix (straight line x circuity), PyVRP solve with the given limit,
route extraction. Prints the wall time, what was planned and what was left out. Example:

    .venv/bin/python bench/waste_daily_plan.py --bins 1000 --vehicles 10 --seconds 45

--patience N stops the solve once N iterations in a row found no better plan (at least 10 a bin),
as a plan asked for by a page or the API does (waste.conf.REQUEST_PATIENCE):

    .venv/bin/python bench/waste_daily_plan.py --bins 300 --vehicles 3 --seconds 90 --patience 2000
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace

from cityos.waste.planning import Policy, typical_visit_metres
from cityos.waste.routing import Job, Site, StraightLine, Truck, solve_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=1000)
    parser.add_argument("--vehicles", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=45.0, help="solver limit (the rest is set-up)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--patience", type=int, default=None, help="stop after N iterations without a better plan")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    centre = (-73.906, 40.7128)
    jobs = []
    fills = []
    for key in range(args.bins):
        fill = min(100.0, rng.betavariate(2.5, 2.0) * 110)
        required = fill >= 85 or rng.random() < 0.05
        litres = int(rng.choice((240, 240, 360, 660, 1100)) * fill / 100)
        window = (7 * 3600, 12 * 3600) if rng.random() < 0.1 else None  # market streets: mornings only
        jobs.append(
            Job(
                key,
                centre[0] + rng.gauss(0, 0.03),
                centre[1] + rng.gauss(0, 0.022),
                litres,
                int(litres * 0.12),
                90,
                window,
                required,
            )
        )
        fills.append(fill)
    # Optional bins' prizes as the daily plan sets them: fill x the typical marginal cost of a visit.
    policy = Policy(visit_metres=typical_visit_metres([(j.lon or 0.0, j.lat or 0.0) for j in jobs]))
    jobs = [
        job if job.required else replace(job, prize=policy.prize(fill)) for job, fill in zip(jobs, fills, strict=True)
    ]
    depot = Site("depot", centre[0] + 0.03, centre[1] - 0.01)
    tip = Site("tip", centre[0] + 0.05, centre[1] + 0.02)
    trucks = [Truck(k, depot, 20_000, 9_000, 6 * 3600, 14 * 3600, 1800) for k in range(args.vehicles)]
    started = time.perf_counter()
    result = solve_plan(
        jobs, trucks, tip, travel=StraightLine(), seconds=args.seconds, patience=args.patience, seed=args.seed
    )
    elapsed = time.perf_counter() - started
    must = sum(j.required for j in jobs)
    planned = sum(1 for r in result.routes for v in r.visits if v.kind == "bin")
    missed = sum(1 for o in result.omitted if o.required)
    print(
        f"bins {len(jobs)} (must-collect {must}), vehicles {len(trucks)}, solver limit {args.seconds:.0f} s"
        + (f", patience {args.patience}" if args.patience else "")
    )
    print(
        f"wall time {elapsed:.1f} s; planned {planned} bins on {len(result.routes)} routes, "
        f"{result.distance_m / 1000:.1f} km, {sum(r.trips for r in result.routes)} tips"
    )
    print(
        f"must-collect left out: {missed}; problems: {[(p.code, p.count) for p in result.problems]}; "
        f"feasible: {result.feasible}"
    )


if __name__ == "__main__":
    main()
