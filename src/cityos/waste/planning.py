"""Which bins a day's plan must, may or need not collect (pure: shared by the daily plan and the
simulation, so the benchmark measures the policy that runs in production).

- must: the bin is already full, or the chance it overflows before the next shift could reach it
  (that shift's end) is above ``must_risk``: every bin is collected as late as is safe;
- may: it will be at least ``optional_from`` % full at the middle of this shift. Its prize, in
  metres of driving the solver may spend to fetch it, is what taking it now saves: emptying a bin
  that is ``fill`` % full does ``fill``/100 of the work of a later visit, so the prize is
  ``fill``/100 x ``visit_metres``, the typical marginal cost of a visit (:func:`typical_visit_metres`).
  A bin next to today's route is taken part-full; one far from it waits for its own turn;
- otherwise it is not offered.

With the city's fixed round known (``next_round``), a bin on its round today is offered with a
large prize if it would likely overflow before the round comes again, and skipped otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from cityos.waste.forecast import FillModel
from cityos.waste.routing import haversine_m

VISIT_NEIGHBOURS = 2  # a visit's marginal cost: the way in from one near bin and on to the next


@dataclass(frozen=True)
class Policy:
    must_risk: float = 0.3
    optional_from: float = 55.0
    # The typical marginal cost of a visit, the prize of a full bin; 0: typical_visit_metres().
    visit_metres: float = 0.0
    # A bin on its area's round today is taken if it could not last until the round comes again.
    round_risk: float = 0.3
    round_prize_metres: float = 3000.0

    def prize(self, fill: float) -> int:
        """Metres of detour that emptying a bin ``fill`` % full is worth."""
        return int(self.visit_metres * min(max(fill, 0.0), 100.0) / 100)


@dataclass(frozen=True)
class Decision:
    required: bool
    offered: bool
    fill_at_shift: float  # expected at the middle of this shift, capped at 100
    risk: float  # probability of overflowing before the next shift could reach it
    prize: int


def decide(
    policy: Policy,
    model: FillModel,
    *,
    now: datetime,
    current: float,
    shift_middle: datetime,
    next_shift: datetime,
    next_round: datetime | None = None,
) -> Decision:
    """The decision for one bin at ``now`` with ``current`` % fill; ``next_shift`` is the latest
    time the next shift could reach it (its end)."""
    fill = min(model.fill_at(now, current, shift_middle), 100.0)
    risk = model.overflow_probability(now, current, next_shift)
    required = current >= 100 or risk > policy.must_risk
    if next_round is not None and not required:
        round_risk = model.overflow_probability(now, current, next_round)
        if round_risk > policy.round_risk:
            return Decision(False, True, fill, risk, int(policy.round_prize_metres) + policy.prize(fill))
    offered = required or fill >= policy.optional_from
    return Decision(required, offered, fill, risk, policy.prize(fill) if offered else 0)


def typical_visit_metres(points: Sequence[tuple[float, float]], *, circuity: float = 1.3) -> float:
    """The marginal cost of one visit among bins at ``points`` (lon, lat): the mean straight-line
    distance from a bin to its ``VISIT_NEIGHBOURS`` nearest others, times the circuity (a route
    that links a bin in comes from a near bin and goes on to the next)."""
    if len(points) < 2:
        return 0.0
    distance = haversine_m(points)
    np.fill_diagonal(distance, np.inf)
    nearest = np.sort(distance, axis=1)[:, : min(VISIT_NEIGHBOURS, len(points) - 1)]
    return float(nearest.mean()) * circuity


def spread_days(first: int, shift_days: Sequence[int], per_week: int) -> tuple[int, ...]:
    """``per_week`` shift days spread evenly over the week from ``first`` (all of them at most)."""
    days = sorted(set(shift_days)) or list(range(7))
    start = days.index(first) if first in days else 0
    count = max(1, min(per_week, len(days)))
    return tuple(sorted({days[(start + round(i * len(days) / count)) % len(days)] for i in range(count)}))
