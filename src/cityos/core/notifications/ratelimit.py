"""Per-channel rate limits, counted in the Django cache so every worker process shares them
(with Redis as the cache; the local-memory cache counts per process)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cityos.core.notifications import conf
from cityos.core.ratelimit import count_in_cache


def reserve(channel: str, now: datetime) -> datetime | None:
    """Take a sending slot in this minute; return None when granted, else when to try again.

    Messages over the limit are spread over the following minutes by how far over they are,
    so a big broadcast drains at the limit instead of every message waking each minute.
    """
    limit = conf.rate_limit(channel)
    if limit <= 0:
        return None
    minute = int(now.timestamp() // 60)
    key = f"cityos:notifications:rate:{channel}:{minute}"
    taken = count_in_cache(key, 180)
    if taken <= limit:
        return None
    minutes_ahead = (taken - 1) // limit
    start_of_minute = now.replace(second=0, microsecond=0)
    return start_of_minute + timedelta(minutes=minutes_ahead)
