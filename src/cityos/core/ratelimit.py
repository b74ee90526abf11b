"""Hourly limits per client address for public forms (sign-up, check-in, bin reports), counted
in the shared cache (Redis in production) so every server process sees the same count."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from cityos.core.audit.middleware import client_ip


def over_hourly_limit(request: HttpRequest, scope: str, limit: int) -> bool:
    """Count one more attempt at ``scope`` from this request's address; True once past ``limit``."""
    return count_in_cache(f"cityos:{scope}:{client_ip(request)}", 3600) > limit


def count_in_cache(key: str, timeout: int) -> int:
    """Add one to the counter ``key`` (created for ``timeout`` seconds) and return its count."""
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
