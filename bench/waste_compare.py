"""30 simulated days of the demo city (issue 6): kilometres and overflows of the sensor-driven
plan against the fixed weekly round, on the same simulated weeks (deterministic from --seed).

The city is simulated like the sensing demo's bins (most fill 45-95% of their volume a week,
one in twelve 115-150%; busier weekends; a day-to-day factor; hourly readings with sensor
noise), collected Monday to Saturday by --vehicles trucks. Policies:

- fixed: every bin once a week, on its area's day (the city's old round);
- rounds: the plan on the round's days and areas, skipping bins that can wait a week and
  fetching those that would overflow before the next shift;
- planned: the plan free of areas (every shift: must-collect and worthwhile bins anywhere).

--fixed-by-area sizes the fixed round per area for its 90th-percentile bin instead (a city that
collects often enough that few bins overflow), with bins that differ more (lognormal, 120%/week).
Example:

    .venv/bin/python bench/waste_compare.py --bins 300 --vehicles 3 --days 30 --seconds 0.5
"""

from __future__ import annotations

import argparse
import math
import random
import time

from cityos.waste import simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=300)
    parser.add_argument("--vehicles", type=int, default=3)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=0.5, help="solver limit per day and policy")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fixed-by-area", action="store_true")
    args = parser.parse_args()
    weekly = None
    if args.fixed_by_area:
        rng = random.Random(args.seed + 100)
        weekly = [rng.lognormvariate(math.log(120), 0.6) for _ in range(args.bins)]
    scenario = simulate.make_scenario(
        bins=args.bins,
        trucks=args.vehicles,
        seed=args.seed,
        weekly_fill=weekly,
        fixed_per_week=None if args.fixed_by_area else 1,
    )
    started = time.perf_counter()
    result = simulate.run(scenario, args.days, seed=args.seed, seconds=args.seconds)
    elapsed = time.perf_counter() - started
    print(
        f"{args.bins} bins, {args.vehicles} vehicles, {args.days} days, seed {args.seed}, "
        f"fixed round {'sized by area' if args.fixed_by_area else 'weekly'}; ran {elapsed:.0f} s"
    )
    print(f"{'policy':<8} {'km':>8} {'collected':>9} {'fill %':>7} {'overflows':>9} {'CO2 kg':>8} {'vs fixed km':>11}")
    for name in ("fixed", "rounds", "planned"):
        row = result[name]
        saving = "" if name == "fixed" else f"{-result[f'{name}_km_saving'] * 100:+.1f}%"
        print(
            f"{name:<8} {row['km']:>8.1f} {row['collections']:>9} {row['mean_fill']:>7.1f} {row['overflows']:>9} "
            f"{row['co2_kg']:>8.1f} {saving:>11}"
        )


if __name__ == "__main__":
    main()
