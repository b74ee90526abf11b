"""The demo city has venues with posters, three weeks of check-ins and one alert sent."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from cityos.checkin.models import AlertState, CheckIn, ExposureAlert, Venue
from cityos.core.notifications.models import Message
from cityos.core.registry import DemoContext, registry

pytestmark = pytest.mark.django_db


def test_the_demo_city_has_venues_check_ins_and_a_sent_alert(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    ctx = DemoContext(rng=random.Random(2020), say=lambda text: None, data={"residents": 60})
    names = {"geography", "accounts", "checkin"}
    for step in [s for s in registry.ordered_demo_steps() if s.name in names]:
        step.build(ctx)

    assert Venue.objects.count() >= 12
    assert Venue.objects.filter(owner__isnull=False).exists() and Venue.objects.filter(owner__isnull=True).exists()
    assert CheckIn.objects.count() == 3000
    oldest = CheckIn.objects.order_by("checked_in_at").first()
    assert oldest is not None and oldest.checked_in_at > timezone.now() - timedelta(days=21)
    assert CheckIn.objects.filter(person__isnull=True).exists()
    alert = ExposureAlert.objects.get()
    assert alert.state == AlertState.SENT and alert.owner_notified
    assert Message.objects.filter(template_key="checkin_exposure").count() == alert.matches.count() > 0

    registry.demo_steps["checkin"].build(ctx)  # building again adds nothing
    assert CheckIn.objects.count() == 3000 and ExposureAlert.objects.count() == 1
