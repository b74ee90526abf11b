"""The operations centre names districts and departments in the reader's language: in its
filters, lists, device-health rows, alerts and the messages that tell staff of an alert."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.conftest import verified_client
from cityos.core.accounts.models import Role
from cityos.sensing.models import Alert, AlertRule, Comparison, RuleKind
from cityos.sensing.ops import routing, rules
from cityos.sensing.ops.forms import FilterForm
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(water, north):
    north.names = {"zh-hant": "北區", "es": "Zona Norte"}
    north.save()
    water.names = {"zh-hant": "水務處", "es": "Servicios de Agua"}
    water.save()


@pytest.fixture
def station(named, make_thing, observe):
    thing = make_thing(streams=("turbidity",), name="Riverside station")
    turbidity = thing.datastreams.get()
    AlertRule.objects.create(
        name="Turbid water", kind=RuleKind.THRESHOLD, datastream=turbidity, comparison=Comparison.ABOVE, threshold=4
    )
    rules.invalidate()
    observe(turbidity, (1, 9.0))
    return thing


@pytest.fixture
def operator(water, north):
    return staff(Role.OPERATOR, water, (north,), first_name="Olga")


def page(user, name, language, **query):
    return verified_client(user).get(reverse(name), query, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_map_filters_and_lists_by_names_in_the_readers_language(station, operator):
    shown = page(operator, "sensing:ops-map", "zh-hant")
    assert '<option value="north">北區</option>' in shown
    assert '<option value="water">水務處</option>' in shown
    assert "<td>北區</td>" in shown
    assert "North" not in shown and "Water Services" not in shown


def test_device_health_rows_read_district_and_department_in_the_readers_language(station, operator):
    shown = page(operator, "sensing:ops-health", "es")
    assert "Zona Norte · Servicios de Agua" in shown
    assert "Water Services" not in shown


def test_alerts_say_where_in_the_readers_language(station, operator):
    listed = page(operator, "sensing:ops-alerts", "es")
    assert "Zona Norte · Servicios de Agua" in listed
    alert = Alert.objects.get()
    detail = verified_client(operator).get(
        reverse("sensing:ops-alert", args=[alert.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant"
    )
    assert "北區 · 水務處" in detail.content.decode()


def test_filters_still_choose_by_code(station, water, south, make_thing):
    make_thing(district="south", name="Southside station")
    citywide = staff(Role.OPERATOR, water, ())
    assert "Southside station" in page(citywide, "sensing:ops-health", "es")
    shown = page(citywide, "sensing:ops-health", "es", district="north", department="water")
    assert "Riverside station" in shown and "Southside station" not in shown
    form = FilterForm({"district": "north", "department": "water"})
    assert form.filters() == {"district": "north", "department": "water", "kind": ""}
    assert FilterForm({"district": "nowhere"}).filters()["district"] == ""


def test_the_message_telling_of_an_alert_says_where_in_the_recipients_language(station, operator):
    operator.language = "zh-hant"
    alert = Alert.objects.select_related("thing__district", "thing__department").get()
    assert routing._context(alert, operator)["place"] == "北區, 水務處"
