"""Who is acting, from where and why: set per request (or job) and read by the audit writer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    label: str = "system"
    ip: str | None = None
    channel: str = "system"  # web, api, job, cli, system
    reason: str = ""


_SYSTEM = Actor()
_current: ContextVar[Actor] = ContextVar("cityos_audit_actor", default=_SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


@contextmanager
def with_reason(reason: str) -> Iterator[Actor]:
    """Attach a reason (asked of staff before sensitive reads) to everything audited inside."""
    with acting_as(replace(current_actor(), reason=reason)) as actor:
        yield actor
