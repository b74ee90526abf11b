"""Alert lifecycle with who and when, routing to the staff who own the thing, and escalation."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cityos.core.accounts.models import Language, Role
from cityos.core.notifications.models import ChannelPreference, Message
from cityos.sensing.models import Alert, AlertRule, AlertState, Comparison, RuleKind
from cityos.sensing.ops import rules, services
from cityos.sensing.ops.routing import TEMPLATE_ESCALATED, TEMPLATE_NEW, recipients
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def turbid(water, north, make_thing):
    """A water-quality station in the north with a turbidity rule that escalates after 30 minutes."""
    datastream = make_thing().datastreams.get()
    AlertRule.objects.create(
        name="Turbid water",
        kind=RuleKind.THRESHOLD,
        datastream=datastream,
        comparison=Comparison.ABOVE,
        threshold=4.0,
        escalate_after_minutes=30,
    )
    rules.invalidate()
    return datastream


@pytest.fixture
def people(water, environment, north, south):
    return {
        "north": staff(Role.OPERATOR, water, (north,), first_name="Lucía", language=Language.SPANISH),
        "south": staff(Role.OPERATOR, water, (south,), first_name="Sam"),
        "everywhere": staff(Role.OPERATOR, None, (), first_name="Ava", language=Language.TRADITIONAL_CHINESE),
        "other_department": staff(Role.OPERATOR, environment, (north,), first_name="Eli"),
        "water_admin": staff(Role.ADMINISTRATOR, water, (), first_name="Wu"),
        "city_admin": staff(Role.ADMINISTRATOR, None, (), first_name="Cy"),
    }


@pytest.fixture
def job(django_capture_on_commit_callbacks):
    """The minute job at a given time, its events delivered as a worker's commit would."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return services.check_rules(now)

    return run


def told(template: str) -> set[str]:
    return set(Message.objects.filter(template_key=template).values_list("recipient__first_name", flat=True))


def test_a_new_alert_goes_to_the_operators_of_its_department_and_district_in_their_language(
    turbid, people, observe, tmp_path
):
    ChannelPreference.objects.create(user=people["north"], channels=["sms"])
    people["north"].phone = "+14155550123"
    people["north"].save()

    observe(turbid, (1, 7.5))

    assert told(TEMPLATE_NEW) == {"Lucía", "Ava"}
    spanish = Message.objects.get(recipient=people["north"])
    assert (spanish.channel, spanish.language, spanish.state) == ("sms", "es", "sent")
    assert spanish.body.startswith("Alerta (Advertencia)") or spanish.body.startswith("Alerta (")
    line = json.loads((tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()[-1])
    assert line["to"] == "+14155550123" and "7.5" in line["body"] and "/sensing/ops/alerts/" in line["body"]
    chinese = Message.objects.get(recipient=people["everywhere"])
    assert chinese.language == "zh-hant" and "警示" in chinese.body


def test_nobody_acknowledges_so_it_escalates_level_by_level_each_once(turbid, people, observe, job):
    observe(turbid, (1, 7.5))
    alert = Alert.objects.get()
    now = timezone.now()

    assert job(now + timedelta(minutes=29)).escalated == 0
    assert job(now + timedelta(minutes=31)).escalated == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1 and alert.escalated_at is not None
    assert told(TEMPLATE_ESCALATED) == {"Sam", "Wu"}  # the rest of the department, its administrators

    assert job(now + timedelta(minutes=40)).escalated == 0  # 30 minutes after the last step
    assert job(now + timedelta(minutes=62)).escalated == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert told(TEMPLATE_ESCALATED) == {"Sam", "Wu", "Cy"}
    assert job(now + timedelta(days=1)).escalated == 0  # the top level
    assert Message.objects.filter(recipient=people["city_admin"]).count() == 1
    assert not Message.objects.filter(recipient=people["other_department"]).exists()


def test_an_acknowledged_alert_does_not_escalate(turbid, people, observe, job):
    observe(turbid, (1, 7.5))
    services.acknowledge(people["north"], Alert.objects.get())
    assert job(timezone.now() + timedelta(hours=2)).escalated == 0


def test_an_alert_nobody_covers_goes_straight_to_the_next_level(turbid, water, south, observe, environment):
    admin = staff(Role.ADMINISTRATOR, None, (), first_name="Cy")
    staff(Role.OPERATOR, water, (south,), first_name="Sam")
    observe(turbid, (1, 7.5))
    alert = Alert.objects.get()
    assert alert.escalation_level == 1  # no operator for the north: the department hears at once
    assert told(TEMPLATE_ESCALATED) == {"Sam"}
    assert recipients(alert, 2) == {admin.pk}


def test_lifecycle_records_who_and_when(turbid, people, observe):
    observe(turbid, (1, 7.5))
    alert = Alert.objects.get()
    services.acknowledge(people["north"], alert)
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by == people["north"] and alert.acknowledged_at is not None
    with pytest.raises(ValidationError):
        services.acknowledge(people["north"], alert)

    services.resolve(people["everywhere"], alert)
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.resolved_by == people["everywhere"] and alert.resolved_at >= alert.acknowledged_at
    assert alert.acknowledged_by == people["north"]  # kept
    with pytest.raises(ValidationError):
        services.resolve(people["north"], alert)


def test_staff_of_another_department_or_district_may_not_touch_the_alert(turbid, people, observe):
    observe(turbid, (1, 7.5))
    alert = Alert.objects.get()
    for who in ("south", "other_department"):
        with pytest.raises(PermissionDenied):
            services.acknowledge(people[who], alert)
        with pytest.raises(PermissionDenied):
            services.resolve(people[who], alert)
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_resolving_by_hand_lets_the_rule_fire_again(turbid, people, observe):
    observe(turbid, (2, 7.5))
    services.resolve(people["north"], Alert.objects.get())
    observe(turbid, (1, 8.0))
    assert Alert.objects.filter(state=AlertState.OPEN).count() == 1
