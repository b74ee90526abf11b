"""Per-channel rate limits, counted in the Django cache so every worker process shares them
(with Redis as the cache; the local-memory cache counts per process)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.cache import cache

from cityos.core.notifications import conf


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
    cache.add(key, 0, timeout=180)
    try:
        taken = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=180)
        taken = 1
    if taken <= limit:
        return None
    minutes_ahead = (taken - 1) // limit
    start_of_minute = now.replace(second=0, microsecond=0)
    return start_of_minute + timedelta(minutes=minutes_ahead)
