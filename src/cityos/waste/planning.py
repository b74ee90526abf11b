"""Which bins a day's plan must, may or need not collect (pure: shared by the daily plan and the
simulation, so the benchmark measures the policy that runs in production).

- must: the bin is already full, or the chance it overflows before the *next* shift starts is
  above ``must_risk``;
- may: it will be at least ``optional_from`` % full at the middle of this shift; its prize (in
  metres of driving the solver may spend to fetch it) grows with the square of that fill, so a
  nearly full bin on the way is taken and a half-full one far away is not;
- otherwise it is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cityos.waste.forecast import FillModel


@dataclass(frozen=True)
class Policy:
    must_risk: float = 0.3
    optional_from: float = 85.0
    prize_metres: float = 10.0  # per percentage point at 100%; scaled by fill²
    # Metres a visit saved tomorrow is worth: a bin that would have to be fetched by the shift
    # after next is cheaper to take now while a truck passes by.
    lookahead_metres: float = 0.0
    # A bin on its area's round today is taken if it could not last until the round comes again.
    round_risk: float = 0.3
    round_prize_metres: float = 3000.0

    def prize(self, fill: float, later_risk: float = 0.0) -> int:
        fill = min(max(fill, 0.0), 100.0)
        return int(self.prize_metres * fill * fill / 100 + self.lookahead_metres * later_risk)


@dataclass(frozen=True)
class Decision:
    required: bool
    offered: bool
    fill_at_shift: float  # expected at the middle of this shift, capped at 100
    risk: float  # probability of overflowing before the next shift starts
    prize: int


def decide(
    policy: Policy,
    model: FillModel,
    *,
    now: datetime,
    current: float,
    shift_middle: datetime,
    next_shift: datetime,
    shift_after: datetime | None = None,
    next_round: datetime | None = None,
) -> Decision:
    """The decision for one bin at ``now`` with ``current`` % fill.

    ``next_round``, for a bin whose area's round is today, is when the round comes again: the
    bin is offered with a large prize if it would likely overflow before then, and skipped
    otherwise (unless it must be collected anyway)."""
    fill = min(model.fill_at(now, current, shift_middle), 100.0)
    risk = model.overflow_probability(now, current, next_shift)
    required = current >= 100 or risk > policy.must_risk
    if next_round is not None and not required:
        round_risk = model.overflow_probability(now, current, next_round)
        if round_risk > policy.round_risk:
            return Decision(False, True, fill, risk, int(policy.round_prize_metres) + policy.prize(fill))
    later = 0.0
    if shift_after is not None and policy.lookahead_metres > 0 and not required:
        later = model.overflow_probability(now, current, shift_after)
    offered = required or fill >= policy.optional_from or later > policy.must_risk
    return Decision(required, offered, fill, risk, policy.prize(fill, later) if offered else 0)
