"""Domain events, delivered after the transaction that raised them commits.

A service calls ``publish(SomethingHappened(...))`` inside its ``transaction.atomic()``; nothing
is delivered if the transaction rolls back. Subscribers are either *durable* (run as a job by a
worker, retried by the queue, survive a crash) or *inline* (run in the committing process right
after commit, for cheap cache updates).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks import task

from cityos.core.registry import registry

logger = logging.getLogger(__name__)

_event_types: dict[str, type[Event]] = {}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event. Subclasses are frozen dataclasses of JSON-friendly fields."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            raise TypeError(f"{cls.__qualname__} must set a unique `name`, e.g. 'geo.place_changed'")
        _event_types[cls.name] = cls

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


E = TypeVar("E", bound=Event)


def event_type(name: str) -> type[Event]:
    return _event_types[name]


def subscribe(event: type[E], *, durable: bool = True) -> Callable[[Callable[[E], None]], Callable[[E], None]]:
    """Register ``handler(event)`` for ``event``; use in ``CityAppConfig.register``."""

    def decorator(handler: Callable[[E], None]) -> Callable[[E], None]:
        registry.subscribe(event.name, handler, durable=durable)
        return handler

    return decorator


def publish(event: Event) -> None:
    """Deliver ``event`` to its subscribers once the current transaction commits."""
    transaction.on_commit(lambda: _dispatch(event), robust=True)


def _dispatch(event: Event) -> None:
    for subscription in registry.subscriptions:
        if subscription.event_name != event.name:
            continue
        handler_path = f"{subscription.handler.__module__}.{subscription.handler.__qualname__}"
        if subscription.durable:
            deliver_event.enqueue(handler_path, event.name, event.payload())
        else:
            try:
                subscription.handler(event)
            except Exception:  # an inline subscriber must not break the publisher
                logger.exception("inline event handler failed", extra={"handler": handler_path})


@task(queue_name="events")
def deliver_event(handler_path: str, event_name: str, payload: dict[str, Any]) -> None:
    """Run one durable subscriber for one event (in a worker)."""
    handler = import_string(handler_path)
    handler(event_type(event_name)(**payload))
