"""Hourly limits for public forms (sign-up, check-in, bin reports), counted in the shared cache
(Redis in production) so every server process sees the same count.

Who is counted: an API token by its id, a signed-in person by their id, anyone else by client
address (:func:`cityos.core.proxies.rate_limit_address`: behind trusted proxies, an IPv6 /64 as
one). A library, a school or a carrier's NAT puts hundreds of residents behind one address, so
the per-address ceilings are generous; what a form acts on (the email or phone number being
signed up, the bin being reported) is counted too, across every address, with a small limit of
its own: a script spread over many addresses is still caught, a shared address is not locked
out. Targets are counted under a keyed hash, so no phone number or email is kept in the cache.

Windows are clock hours: a refusal's Retry-After (:func:`retry_after`) is when the hour ends.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from cityos.core.accounts.phones import normalise_phone, phone_digits
from cityos.core.proxies import rate_limit_address

HOUR = 3600


class Refusal(enum.Enum):
    """Which count refused an attempt: the client's (token, person or address) or a target's."""

    CLIENT = "client"
    TARGET = "target"


def hourly_refusal(
    request: HttpRequest,
    scope: str,
    limit: int,
    *,
    targets: Iterable[str] = (),
    per_target: int | None = None,
) -> Refusal | None:
    """Count one more attempt at ``scope`` by this request's client, and (unless the client is
    already over ``limit``) one for each target; the refusal once either is past its limit."""
    if hourly_count(scope, requester(request)) > limit:
        return Refusal.CLIENT
    if per_target is not None and over_target_limit(scope, targets, per_target):
        return Refusal.TARGET
    return None


def over_hourly_limit(
    request: HttpRequest,
    scope: str,
    limit: int,
    *,
    targets: Iterable[str] = (),
    per_target: int | None = None,
) -> bool:
    """:func:`hourly_refusal` as a yes or no."""
    return hourly_refusal(request, scope, limit, targets=targets, per_target=per_target) is not None


def over_target_limit(scope: str, targets: Iterable[str], per_target: int) -> bool:
    """Count one more attempt at ``scope`` on each target (empty ones skipped); True once any is
    past ``per_target``. For a form that learns its target only after reading the body."""
    over = False
    for target in dict.fromkeys(t for t in targets if t):
        digest = salted_hmac("cityos.core.ratelimit", f"{scope}:{target}").hexdigest()[:32]
        over = hourly_count(scope, f"target:{digest}") > per_target or over
    return over


SIGN_UP_SCOPE = "sign-up"


def sign_up_refusal(request: HttpRequest, *, email: str = "", phone: str = "") -> Refusal | None:
    """Count a sign-up (web form and API together): ``CITYOS_SIGNUP_LIMIT_PER_HOUR`` per client,
    ``CITYOS_SIGNUP_LIMIT_PER_CONTACT_PER_HOUR`` per email address and per phone number."""
    return hourly_refusal(
        request,
        SIGN_UP_SCOPE,
        settings.CITYOS_SIGNUP_LIMIT_PER_HOUR,
        targets=[contact_target(email), contact_target(phone)],
        per_target=settings.CITYOS_SIGNUP_LIMIT_PER_CONTACT_PER_HOUR,
    )


def requester(request: HttpRequest) -> str:
    """Whom an attempt is counted for: ``token:<id>``, ``user:<id>`` or ``addr:<address>``."""
    token = getattr(request, "api_token", None)  # set by the API's token authentication
    if token is not None:
        return f"token:{token.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{rate_limit_address(request)}"


def contact_target(value: str) -> str:
    """An email address or phone number in one form however it is typed (a phone number in
    E.164, else its digits), so that respelling it earns no fresh budget; "" for nothing."""
    value = (value or "").strip()
    if not value:
        return ""
    if "@" in value:
        return f"email:{value.lower()}"
    try:
        return f"phone:{normalise_phone(value)}"
    except ValidationError:
        return f"phone:{phone_digits(value)}"


def retry_after(now: float | None = None) -> int:
    """Seconds until this hour's counts start again: a refusal's Retry-After."""
    now = time.time() if now is None else now
    return HOUR - int(now) % HOUR


def hourly_count(scope: str, who: str) -> int:
    """Count one more attempt at ``scope`` by ``who`` in this clock hour; the count so far.
    For limits whose client is not a request (a service counting per account or citywide)."""
    now = time.time()
    window = int(now) // HOUR
    # Kept a minute past the hour, so a count is never lost to a clock a little behind.
    return count_in_cache(f"cityos:{scope}:{who}:{window}", retry_after(now) + 60)


def count_in_cache(key: str, timeout: int) -> int:
    """Add one to the counter ``key`` (created for ``timeout`` seconds) and return its count."""
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
