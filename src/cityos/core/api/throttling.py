"""Per-client rate limits on ninja's throttling, counted in the Django cache (Redis in production).

Three budgets, each request counted in exactly one:

* a token by its id and a signed-in person by their id (``CITYOS_API_RATE_CLIENT``), wherever
  they call from: a resident is never refused for what others behind the same address send;
* the portal's own pages, by address (``CITYOS_API_RATE_PORTAL``): anonymous requests that
  carry the site's CSRF cookie (set by every portal page) and say they come from this site
  (``Sec-Fetch-Site: same-origin``; a browser without that header, a ``Referer`` on this host).
  A script can claim both, but then only moves to this bucket, which is per address and
  bounded too: claiming gives at most the two anonymous budgets together, never none;
* everyone else, by address (``CITYOS_API_RATE_ANON``).

Addresses are :func:`cityos.core.proxies.rate_limit_address`'s (behind trusted proxies; an IPv6
/64 as one). The rates are read from settings on each request, so a deployment (or a test)
changes them without a restart of this module.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from ninja.throttling import SimpleRateThrottle

from cityos.core.api.models import ApiToken
from cityos.core.proxies import rate_limit_address

logger = logging.getLogger(__name__)

_RATE_ATTRIBUTE = "_cityos_rate_limit"


@dataclass(frozen=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_seconds: int


class _ClientThrottle(SimpleRateThrottle):
    """One throttle, counted per client; state is kept per thread since instances are shared."""

    rate_setting = ""

    def __init__(self) -> None:
        # The rate is resolved per request (see _rate); the placeholder satisfies the base class.
        self._local = threading.local()
        super().__init__(rate="1/s")

    def _rate(self) -> tuple[int, int]:
        num, duration = self.parse_rate(getattr(settings, self.rate_setting))
        return int(num or 0), int(duration or 1)

    def client_key(self, request: HttpRequest) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        key = self.client_key(request)
        self._local.wait = None
        if key is None:
            return True
        limit, duration = self._rate()
        now = time.time()
        try:
            history: list[float] = [t for t in self.cache.get(key, []) if t > now - duration]
            allowed = len(history) < limit
            if allowed:
                history.insert(0, now)
                self.cache.set(key, history, duration)
        except Exception:
            # An unreachable cache must not take the API down: serve, and say so in the logs.
            logger.warning("rate limit cache unavailable; request not counted", exc_info=True)
            return True
        reset = duration - (now - history[-1]) if history else duration
        if not allowed:
            self._local.wait = reset
        setattr(
            request,
            _RATE_ATTRIBUTE,
            RateLimitState(limit=limit, remaining=max(0, limit - len(history)), reset_seconds=math.ceil(reset)),
        )
        return allowed

    def wait(self) -> float | None:
        wait: float | None = getattr(self._local, "wait", None)
        return wait


class AnonymousRateThrottle(_ClientThrottle):
    """Clients that are not signed in and send no token, by address; not the portal's pages."""

    rate_setting = "CITYOS_API_RATE_ANON"

    def client_key(self, request: HttpRequest) -> str | None:
        if _client_identity(request) is not None or is_portal_request(request):
            return None
        return f"cityos-api-rate:anon:{rate_limit_address(request)}"


class PortalRateThrottle(_ClientThrottle):
    """The portal's own pages calling the API anonymously (see :func:`is_portal_request`), by address."""

    rate_setting = "CITYOS_API_RATE_PORTAL"

    def client_key(self, request: HttpRequest) -> str | None:
        if _client_identity(request) is not None or not is_portal_request(request):
            return None
        return f"cityos-api-rate:portal:{rate_limit_address(request)}"


class ClientRateThrottle(_ClientThrottle):
    """Tokens by token id, browser sessions by person."""

    rate_setting = "CITYOS_API_RATE_CLIENT"

    def client_key(self, request: HttpRequest) -> str | None:
        identity = _client_identity(request)
        return f"cityos-api-rate:{identity}" if identity else None


def is_portal_request(request: HttpRequest) -> bool:
    """A request from one of the portal's own pages: it carries the site's CSRF cookie and says it
    is same-origin. Only chooses a bucket (see the module's docstring), so a claim is enough."""
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    # Django's CSRF cookie: 32 letters and digits (64 in its older, masked form).
    if len(secret) not in (32, 64) or not secret.isascii() or not secret.isalnum():
        return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    referer = request.headers.get("Referer", "")
    try:
        return bool(referer) and urlsplit(referer).netloc == request.get_host()
    except DisallowedHost:
        return False


def _client_identity(request: HttpRequest) -> str | None:
    auth = getattr(request, "auth", None)
    if isinstance(auth, ApiToken):
        return f"token:{auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def default_throttles() -> list[SimpleRateThrottle]:
    return [AnonymousRateThrottle(), PortalRateThrottle(), ClientRateThrottle()]


def add_rate_limit_headers(request: HttpRequest, response: HttpResponseBase) -> None:
    state: RateLimitState | None = getattr(request, _RATE_ATTRIBUTE, None)
    if state is None:
        return
    response["X-RateLimit-Limit"] = str(state.limit)
    response["X-RateLimit-Remaining"] = str(state.remaining)
    response["X-RateLimit-Reset"] = str(state.reset_seconds)
