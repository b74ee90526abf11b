"""Events reach subscribers only after the publishing transaction commits."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from cityos.core.events import Event, publish
from cityos.core.registry import registry

pytestmark = pytest.mark.django_db(transaction=True)
received: list[int] = []


@dataclass(frozen=True, kw_only=True)
class ThingHappened(Event):
    name = "tests.thing_happened"
    thing_id: int


def remember(event: ThingHappened) -> None:
    received.append(event.thing_id)


@pytest.fixture(autouse=True)
def subscribed(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": [],
        }
    }
    received.clear()
    before = list(registry.subscriptions)
    registry.subscribe(ThingHappened.name, remember, durable=True)
    yield
    registry.subscriptions[:] = before


def test_a_durable_subscriber_runs_after_commit():
    with transaction.atomic():
        publish(ThingHappened(thing_id=7))
        assert received == []
    assert received == [7]


def test_nothing_is_delivered_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(ThingHappened(thing_id=8))
        raise RuntimeError("boom")
    assert received == []


def test_an_event_needs_a_name():
    with pytest.raises(TypeError):

        @dataclass(frozen=True, kw_only=True)
        class Nameless(Event):
            pass
