"""Fill forecasting from a bin's own history (pure: no database).

The model is a fill *rate* (percentage points per hour) for each of the week's 168 hours,
learnt from the rises over windows of a few hours between readings. Falls larger than
``EMPTIED_DROP`` are emptyings: no window spans one, so collections never pull the rate down. A weekday-hour
with few observations borrows from the same hour on every day and from the bin's overall rate
(shrinkage), so a bin with a week of data already has a usable pattern.

Uncertainty comes from how much whole days vary around the pattern: ``sigma`` is the spread of
each observed day's fill divided by the pattern's expected fill for that day. It gives an early
and a late bound on the time to full (80% interval) and the probability of overflowing by a time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

EMPTIED_DROP = 15.0  # a fall of this many points between readings is an emptying, not noise
MAX_GAP_HOURS = 48.0  # longer gaps tell nothing about the hours inside them
SHRINK = 3.0  # pseudo-hours pulling a weekday-hour towards its hour-of-day x day-of-week prior
WINDOW_HOURS = 4.0
Z80 = 1.2816  # two-sided 80% interval
DEFAULT_RATE = 0.5  # %/h for a bin with no usable history: full in about 8 days
DEFAULT_SIGMA = 0.35
MIN_SIGMA = 0.08
_EPOCH = datetime(2000, 1, 3)  # a Monday


@dataclass(frozen=True)
class FillModel:
    rates: tuple[float, ...]  # 168 entries, index weekday*24 + hour, in %/h
    sigma: float  # relative spread of a day's fill around the pattern
    observations: int  # usable intervals it was learnt from

    @property
    def mean_rate(self) -> float:
        return sum(self.rates) / len(self.rates)

    @cached_property
    def _prefix(self) -> tuple[float, ...]:
        """Expected fill from Monday 00:00 to the start of each hour of the week (169 entries)."""
        total = [0.0]
        for rate in self.rates:
            total.append(total[-1] + rate)
        return tuple(total)

    def _cumulative(self, moment: datetime) -> float:
        # Wall-clock hours since a Monday long ago: days stay 24 hours, as the pattern does.
        hours = (moment.replace(tzinfo=None) - _EPOCH).total_seconds() / 3600
        weeks, rest = divmod(hours, 168)
        hour = int(rest)
        return weeks * self._prefix[168] + self._prefix[hour] + self.rates[hour] * (rest - hour)

    def expected_rise(self, start: datetime, end: datetime) -> float:
        """Expected fill added between ``start`` and ``end`` (percentage points)."""
        if end <= start:
            return 0.0
        return self._cumulative(end) - self._cumulative(start)

    def time_to_reach(
        self,
        start: datetime,
        current: float,
        target: float = 100.0,
        *,
        factor: float = 1.0,
        horizon: timedelta = timedelta(days=30),
    ) -> datetime | None:
        """When the fill, rising at ``factor`` times the pattern, reaches ``target`` (None: not within horizon)."""
        remaining = target - current
        if remaining <= 0:
            return start
        if factor <= 0:
            return None
        cursor = start
        limit = start + horizon
        while cursor < limit:
            boundary = cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            rate = self.rates[cursor.weekday() * 24 + cursor.hour] * factor
            hours = (boundary - cursor).total_seconds() / 3600
            if rate * hours >= remaining:
                return cursor + timedelta(hours=remaining / rate) if rate > 0 else None
            remaining -= rate * hours
            cursor = boundary
        return None

    def forecast(self, now: datetime, current: float) -> Forecast:
        """Time to full from ``now`` at ``current`` %, with an 80% interval."""
        spread = Z80 * self.sigma
        return Forecast(
            current=current,
            full_at=self.time_to_reach(now, current),
            full_at_early=self.time_to_reach(now, current, factor=1 + spread),
            full_at_late=self.time_to_reach(now, current, factor=max(0.05, 1 - spread)),
        )

    def fill_at(self, now: datetime, current: float, when: datetime) -> float:
        """Expected fill at ``when`` (may exceed 100: the bin would be overflowing)."""
        return current + self.expected_rise(now, when)

    def overflow_probability(self, now: datetime, current: float, by: datetime) -> float:
        """Probability the bin is full by ``by`` when it is ``current`` % now."""
        if current >= 100:
            return 1.0
        rise = self.expected_rise(now, by)
        if rise <= 0:
            return 0.0
        needed = (100 - current) / rise  # how many times the expected rise it takes to overflow
        z = (needed - 1) / max(self.sigma, MIN_SIGMA)
        return 0.5 * math.erfc(z / math.sqrt(2))


@dataclass(frozen=True)
class Forecast:
    current: float
    full_at: datetime | None
    full_at_early: datetime | None
    full_at_late: datetime | None


def fit(readings: Sequence[tuple[datetime, float]]) -> FillModel:
    """Learn a bin's weekly fill pattern from its readings (time order, local times)."""
    sums: dict[int, float] = defaultdict(float)
    hours: dict[int, float] = defaultdict(float)
    intervals = list(_windows(readings))
    for t0, t1, rise in intervals:
        dt = (t1 - t0).total_seconds() / 3600
        # Spread the rise over the hours it covers, in proportion to their length.
        cursor = t0
        while cursor < t1:
            boundary = cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            step_end = min(boundary, t1)
            share = (step_end - cursor).total_seconds() / 3600
            slot = cursor.weekday() * 24 + cursor.hour
            sums[slot] += rise * share / dt
            hours[slot] += share
            cursor = step_end
    total_hours = sum(hours.values())
    if total_hours <= 0:
        return FillModel(tuple([DEFAULT_RATE] * 168), DEFAULT_SIGMA, 0)
    overall = max(1e-6, sum(sums.values()) / total_hours)

    def mean(slots: range | list[int]) -> float:
        h = sum(hours[s] for s in slots)
        return (sum(sums[s] for s in slots) + SHRINK * overall) / (h + SHRINK)

    # A weekday-hour with little data borrows from hour-of-day times day-of-week (multiplicative).
    by_hour = [mean([d * 24 + hour for d in range(7)]) for hour in range(24)]
    by_day = [mean(range(d * 24, d * 24 + 24)) / overall for d in range(7)]
    rates = []
    for slot in range(168):
        prior = max(0.0, by_hour[slot % 24] * by_day[slot // 24])
        rates.append(max(0.0, (sums[slot] + SHRINK * prior) / (hours[slot] + SHRINK)))
    model = FillModel(tuple(rates), DEFAULT_SIGMA, len(intervals))
    return FillModel(model.rates, _day_sigma(model, intervals), len(intervals))


def _windows(readings: Sequence[tuple[datetime, float]]) -> Iterator[tuple[datetime, datetime, float]]:
    """Rises over windows of at least ``WINDOW_HOURS`` with no emptying inside (sensor noise on a
    rise shrinks with the window's length); the rise is not clipped at 0 so noise averages out."""
    start = 0
    for index in range(1, len(readings)):
        (t_prev, f_prev), (t_now, f_now) = readings[index - 1], readings[index]
        gap = (t_now - t_prev).total_seconds() / 3600
        if f_now - f_prev <= -EMPTIED_DROP or gap > MAX_GAP_HOURS or gap <= 0 or f_prev >= 100:
            start = index  # an emptying, a silence or a full bin: begin a new window after it
            continue
        t0, f0 = readings[start]
        if (t_now - t0).total_seconds() / 3600 >= WINDOW_HOURS:
            yield t0, t_now, f_now - f0
            start = index


def _day_sigma(model: FillModel, intervals: list[tuple[datetime, datetime, float]]) -> float:
    """Spread of observed/expected fill per calendar day (needs a few days to say anything)."""
    observed: dict[object, float] = defaultdict(float)
    expected: dict[object, float] = defaultdict(float)
    for t0, t1, rise in intervals:
        day = t0.date()
        observed[day] += rise
        expected[day] += model.expected_rise(t0, t1)
    ratios = [observed[d] / expected[d] for d in observed if expected[d] > 1.0]
    if len(ratios) < 3:
        return DEFAULT_SIGMA
    mean = sum(ratios) / len(ratios)
    variance = sum((r - mean) ** 2 for r in ratios) / (len(ratios) - 1)
    return max(MIN_SIGMA, math.sqrt(variance))


def current_fill(model: FillModel, readings: Sequence[tuple[datetime, float]], now: datetime) -> float:
    """The fill now: the latest reading plus the expected rise since it (0 with no reading)."""
    if not readings:
        return 0.0
    when, value = readings[-1]
    return min(max(value, 0.0) + model.expected_rise(when, now), 150.0)
