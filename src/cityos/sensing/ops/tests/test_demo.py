"""The demo step: sensible rules for the demo's kinds, the alert texts, a water operator; twice is harmless."""

from __future__ import annotations

import random

import pytest
from django.utils import translation

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import DepartmentFactory
from cityos.core.notifications.models import MessageTemplate
from cityos.core.registry import DemoContext, registry
from cityos.sensing.models import Alert, AlertRule
from cityos.sensing.ops import demo, routing, selectors, services
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.django_db


def water_alerts_seen_by(user) -> int:
    return selectors.alerts(user, department="water").count()


def test_the_demo_rules_fire_on_a_turbid_station(water, north, make_thing, observe):
    operator = staff(Role.OPERATOR, DepartmentFactory(code="operations"), (), username="operator")
    station = make_thing(streams=("turbidity", "pH", "battery"))
    make_thing(kind="home-climate", department="water", streams=("relative-humidity", "battery"))
    home = make_thing(kind="home-climate", department="water", streams=("relative-humidity", "battery"))
    observe(home.datastreams.get(observed_property__name="battery"), (5 * 60, 8.0))  # history: low for hours
    ctx = DemoContext(rng=random.Random(1), say=lambda _text: None)
    demo.build(ctx)
    assert Alert.objects.get().thing == home  # judged at once, though the reading is old
    demo.build(ctx)

    names = set(AlertRule.objects.values_list("name", flat=True))
    assert {"Turbid drinking water", "Water-quality station silent", "Damp home"} <= names
    assert {"Low battery (water-quality)", "Low battery (home-climate)"} <= names
    assert "Fine particles (PM2.5) high" not in names  # no pm25 property in this city
    assert AlertRule.objects.filter(name="Turbid drinking water").count() == 1
    assert MessageTemplate.objects.filter(key="sensing_alert").count() == 3
    assert [login[0] for login in ctx.logins] == [demo.WATER_OPERATOR]
    assert registry.demo_steps["sensing-rules"].order > registry.demo_steps["sensing"].order
    assert set(operator.staff_roles.values_list("department__code", flat=True)) == {"operations", "water"}
    assert water_alerts_seen_by(operator) == 1  # the home's battery

    battery = station.datastreams.get(observed_property__name="battery")
    observe(battery, (1, 9.0))
    assert Alert.objects.get(thing=station).rule.name == "Low battery (water-quality)"
    turbidity = station.datastreams.get(observed_property__name="turbidity")
    observe(turbidity, *[(m, 6.0) for m in range(12, 0, -1)])
    assert Alert.objects.filter(rule__name="Turbid drinking water", state="open").count() == 1
    assert services.check_rules().opened == 0
    assert water_alerts_seen_by(operator) == 3


def test_staff_see_the_alert_texts_named_in_their_language():
    with translation.override("es"):
        assert registry.message_label(routing.TEMPLATE_NEW) == "Alerta de sensor"
        assert registry.message_label(routing.TEMPLATE_ESCALATED) == "Alerta de sensor: escalada, sin confirmar"
