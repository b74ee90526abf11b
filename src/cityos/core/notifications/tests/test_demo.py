"""The demo adds templates in three languages, preferences and broadcasts in several states."""

from __future__ import annotations

import random

import pytest

from cityos.core.notifications.models import Broadcast, ChannelPreference, Message, MessageTemplate
from cityos.core.registry import DemoContext, registry

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_messages_in_several_states(settings, tmp_path, immediate_tasks):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    ctx = DemoContext(rng=random.Random(2020), say=lambda text: None, data={"residents": 300})
    steps = [s for s in registry.ordered_demo_steps() if s.name in {"geography", "accounts", "notifications"}]
    assert [s.name for s in steps][-1] == "notifications" and registry.demo_steps["notifications"].order == 40

    for step in steps:
        step.build(ctx)

    assert set(MessageTemplate.objects.values_list("language", flat=True)) == {"en", "zh-hant", "es"}
    assert {"welcome", "service_update"} <= set(MessageTemplate.objects.values_list("key", flat=True))
    assert ChannelPreference.objects.filter(opted_out=True).exists()
    first, second = Broadcast.objects.order_by("pk")
    first_states = set(Message.objects.filter(broadcast=first).values_list("state", flat=True))
    assert {"delivered", "suppressed"} <= first_states and "queued" not in first_states
    assert set(
        Message.objects.filter(broadcast=second).exclude(state="suppressed").values_list("state", flat=True)
    ) == {"queued"}
    assert set(Message.objects.exclude(state="suppressed").values_list("language", flat=True)) == {
        "en",
        "zh-hant",
        "es",
    }
    assert (tmp_path / "outbox").exists()

    steps[-1].build(ctx)  # building again adds nothing
    assert Broadcast.objects.count() == 2
