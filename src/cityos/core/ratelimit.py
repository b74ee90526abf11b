"""Hourly limits per client address for public forms (sign-up, check-in, bin reports), counted
in the shared cache (Redis in production) so every server process sees the same count."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from cityos.core.audit.middleware import client_ip


def over_hourly_limit(request: HttpRequest, scope: str, limit: int) -> bool:
    """Count one more attempt at ``scope`` from this request's address; True once past ``limit``."""
    key = f"cityos:{scope}:{client_ip(request)}"
    cache.add(key, 0, timeout=3600)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        attempts = 1
    return attempts > limit
