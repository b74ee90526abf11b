"""30 simulated days of the demo city (issue 6): kilometres and overflows of the sensor-driven
plan against the city's fixed round, on the same simulated weeks (deterministic from --seed).

The city is simulated like the demo's bins: each bin's typical fill per week is lognormal
(median 80% of its volume, sigma 0.5, kept within 15-250%), with busier weekends, a day-to-day
factor and hourly readings with sensor noise; trucks work Monday to Saturday. Policies:

- fixed: the city's round (simulate.round_days): each bin on its area's day and, where that is
  not enough, on days spread over the week, the fewest collections a week (1, 2, 3 or 6) that
  keep it at most 85% full at its typical rate (about 50% full on average at pickup);
- planned: the daily plan as it runs in production (planning.decide + routing.solve_plan):
  must-collect bins as late as is safe, optional bins for a prize of fill x the typical marginal
  cost of a visit;
- rounds (--rounds): the plan kept to the fixed round's days, skipping bins that can wait;
- fullest (--fullest K): every shift, the K bins expected to be fullest by the next shift's end
  (from the same forecasts), all routed: the daily select-then-route policy that Groningen's
  -41% (Wouda et al., the issue's reference result) was measured against. With it the plan is
  also compared with that baseline. --must-risk sets the plan's service level (its must-collect
  risk; the production default 0.3) to match the baseline's overflows.

--plan-days 0,2,4,5 sends the plan's trucks out on those weekdays only (Monday, Wednesday, Friday
and Saturday: no wait between shifts longer than the weekend's), while the fixed round keeps its
six: the sensors tell which bins can wait two days, so the plan needs fewer collection days.

--round-days 0,2,4,5 sends the old round out on those weekdays (Monday to Saturday by default):
with the same days as --plan-days it measures how much of a saving is the days alone, and --rounds
(the plan kept to the round's areas) may then be added. --fixed-fill F sizes the round to be at
most F% full at a bin's typical rate (85 by default; 120 empties bins about 70% full, the plan's
fill at pickup: the bound of a round's day structure at that fill, with its overflows,
docs/modules/waste.md, Limits).

--fixed-by-area P sizes the fixed round per area instead, one frequency for all of an area's
bins, for its bin at percentile P of typical fill (0.9: the other common way a city sets it;
bins above it overflow more often, most below it are collected emptier); with --hotspots, bins
that need more than their area's frequency keep their own (a district round with extra days for
the bins that overflowed).

Example (the default run, docs/benchmarks.md):

    .venv/bin/python bench/waste_compare.py --bins 300 --vehicles 3 --days 30 --seconds 0.5
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import time

from cityos.waste import simulate
from cityos.waste.planning import Policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=300)
    parser.add_argument("--vehicles", type=int, default=3)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=0.5, help="solver limit per day and policy")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", action="store_true", help="also the plan kept to the round's days")
    parser.add_argument("--fixed-by-area", type=float, default=None, metavar="P", help="size the round per area")
    parser.add_argument("--hotspots", action="store_true", help="with --fixed-by-area: busier bins keep their own days")
    parser.add_argument("--fullest", type=int, default=0, metavar="K", help="also route the K fullest bins a shift")
    parser.add_argument(
        "--plan-days",
        default=None,
        metavar="0,2,4,5",
        help="weekdays the plan's trucks go out (0 Monday); the round keeps its own (--round-days)",
    )
    parser.add_argument(
        "--round-days",
        default=None,
        metavar="0,2,4,5",
        help="weekdays the old round goes out (default Monday-Saturday)",
    )
    parser.add_argument(
        "--fixed-fill", type=float, default=simulate.FIXED_FILL, help="the round keeps a bin at most this full (%%)"
    )
    parser.add_argument(
        "--must-risk", type=float, default=Policy.must_risk, help="must-collect risk of the plan (and of --rounds)"
    )
    args = parser.parse_args()
    if not 0 < args.must_risk < 1:
        parser.error("--must-risk is a probability between 0 and 1")
    if args.fullest < 0 or args.fullest > args.bins:
        parser.error("--fullest is a number of bins, at most --bins")
    scenario = simulate.make_scenario(bins=args.bins, trucks=args.vehicles, seed=args.seed)
    plan_days = _weekdays(parser, "--plan-days", args.plan_days) or scenario.shift_days
    round_days = _weekdays(parser, "--round-days", args.round_days) or scenario.shift_days
    if args.rounds and plan_days != round_days:
        parser.error("--rounds keeps the plan to the round's days: give --plan-days and --round-days alike")
    if not 0 < args.fixed_fill <= 1000:
        parser.error("--fixed-fill is a fill level in % (85 by default)")
    scenario = dataclasses.replace(
        scenario,
        shift_days=plan_days,
        round_shift_days=None if round_days == plan_days else round_days,
        fixed_fill=args.fixed_fill,
    )
    if args.fixed_by_area is not None:
        scenario = dataclasses.replace(scenario, fixed_by_area=args.fixed_by_area, fixed_hotspots=args.hotspots)
    if args.fullest:
        scenario = dataclasses.replace(scenario, fullest_per_shift=args.fullest)
    policies = ("fixed", "planned") + (("rounds",) if args.rounds else ()) + (("fullest",) if args.fullest else ())
    started = time.perf_counter()
    result = simulate.run(
        scenario,
        args.days,
        seed=args.seed,
        seconds=args.seconds,
        policies=policies,
        policy=Policy(must_risk=args.must_risk),
    )
    elapsed = time.perf_counter() - started
    per_week = collections.Counter(len(days) for days in simulate.fixed_days(scenario).values())
    print(
        f"{args.bins} bins, {args.vehicles} vehicles, {args.days} days, seed {args.seed}; fixed round "
        + ("per bin: " if args.fixed_by_area is None else f"per area (percentile {args.fixed_by_area}): ")
        + ("hotspots on their own days, " if args.fixed_by_area is not None and args.hotspots else "")
        + ", ".join(f"{n} bins {k}x/week" for k, n in sorted(per_week.items()))
        + f"; must-collect risk {args.must_risk:g}, visit worth {result['policy']['visit_metres']:.0f} m"
        + (f"; fullest: {args.fullest} bins a shift" if args.fullest else "")
        + (f"; plan's trucks out on weekdays {args.plan_days}" if args.plan_days else "")
        + (f"; round out on weekdays {args.round_days}" if args.round_days else "")
        + (f"; round sized to {args.fixed_fill:g}%" if args.fixed_fill != simulate.FIXED_FILL else "")
        + f"; ran {elapsed:.0f} s"
    )
    print(
        f"{'policy':<8} {'km':>8} {'collected':>9} {'fill %':>7} {'overflows':>9} {'tips':>5} {'routes':>6} "
        f"{'CO2 kg':>8} {'vs fixed km':>11}"
    )
    for name in policies:
        row = result[name]
        saving = "" if name == "fixed" else f"{-result[f'{name}_km_saving'] * 100:+.1f}%"
        print(
            f"{name:<8} {row['km']:>8.1f} {row['collections']:>9} {row['mean_fill']:>7.1f} {row['overflows']:>9} "
            f"{row['disposal_trips']:>5} {row['routes']:>6} {row['co2_kg']:>8.1f} {saving:>11}"
        )
    if args.fullest:
        planned, fullest = result["planned"], result["fullest"]
        print(
            f"planned vs fullest: {(planned['km'] / fullest['km'] - 1) * 100:+.1f}% km, "
            f"overflows {planned['overflows']} against {fullest['overflows']}"
        )


def _weekdays(parser: argparse.ArgumentParser, option: str, text: str | None) -> frozenset[int] | None:
    """Weekday numbers separated by commas (0 Monday), or None when the option is not given."""
    if text is None:
        return None
    words = [word.strip() for word in text.split(",")]
    if not all(len(word) == 1 and word in "0123456" for word in words):  # (the bench runs without Django)
        parser.error(f"{option} is weekday numbers separated by commas, 0 Monday to 6 Sunday")
    return frozenset(int(word) for word in words)


if __name__ == "__main__":
    main()
