"""The rules engine: thresholds, rates and silence, minimum durations, automatic resolution."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cityos.sensing.models import Alert, AlertRule, AlertState, Comparison, ObservedProperty, RuleKind, RuleState
from cityos.sensing.ops import rules, services
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.django_db


def rule_for(datastream, **fields) -> AlertRule:
    defaults = {"name": "rule", "kind": RuleKind.THRESHOLD, "comparison": Comparison.ABOVE, "threshold": 4.0}
    rule = AlertRule.objects.create(datastream=datastream, **{**defaults, **fields})
    rules.invalidate()
    return rule


def kind_rule(kind: str, prop: str, **fields) -> AlertRule:
    defaults = {"name": "kind rule", "kind": RuleKind.THRESHOLD, "comparison": Comparison.ABOVE, "threshold": 4.0}
    rule = AlertRule.objects.create(
        thing_kind=kind, observed_property=ObservedProperty.objects.filter(name=prop).first(), **{**defaults, **fields}
    )
    rules.invalidate()
    return rule


def test_a_threshold_opens_one_alert_and_clears_by_itself(water, north, make_thing, observe):
    datastream = make_thing().datastreams.get()
    rule = rule_for(datastream)

    observe(datastream, (3, 2.0), (2, 5.5))
    alert = Alert.objects.get()
    assert (alert.rule, alert.state, alert.value, alert.thing) == (rule, AlertState.OPEN, 5.5, datastream.thing)
    assert "5.5" in alert.message

    observe(datastream, (1, 6.0))  # still above: the same alert, not a second one
    assert Alert.objects.count() == 1

    observe(datastream, (0, 1.0))
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.resolved_at is not None and alert.resolved_by is None

    observe(datastream, (timezone.now(), 9.0))  # fires again: a new alert
    assert Alert.objects.filter(state=AlertState.OPEN).count() == 1 and Alert.objects.count() == 2


def test_a_minimum_duration_waits_for_the_condition_to_hold(water, north, make_thing, observe):
    datastream = make_thing().datastreams.get()
    rule_for(datastream, min_duration_seconds=600)

    observe(datastream, (20, 5.0), (15, 6.0))  # five minutes above: not yet
    assert not Alert.objects.exists()
    assert RuleState.objects.get().breaching_since is not None
    observe(datastream, (12, 1.0), (11, 5.0))  # dipped below: the clock starts again at 11 min ago
    observe(datastream, (2, 5.0))  # nine minutes above
    assert not Alert.objects.exists()
    observe(datastream, (1, 5.0))  # ten minutes
    assert Alert.objects.get().state == AlertState.OPEN


def test_the_minute_job_opens_an_alert_whose_duration_ran_out_between_observations(water, north, make_thing, observe):
    datastream = make_thing().datastreams.get()
    rule_for(datastream, min_duration_seconds=600)
    observe(datastream, (5, 5.0))
    assert services.check_rules().opened == 0
    result = services.check_rules(timezone.now() + timedelta(minutes=6))
    assert result.opened == 1 and Alert.objects.get().value == 5.0


def test_a_rate_rule_compares_the_change_per_minute(water, north, make_thing, observe):
    datastream = make_thing().datastreams.get()
    rule_for(datastream, kind=RuleKind.RATE, comparison="", threshold=2.0)

    observe(datastream, (10, 1.0), (9, 2.5))  # 1.5 per minute
    assert not Alert.objects.exists()
    observe(datastream, (8, 0.0))  # fell 2.5 in a minute: the absolute change counts
    assert Alert.objects.get().value == 0.0
    observe(datastream, (4, 1.0))  # 0.25 per minute: clears
    assert Alert.objects.get().state == AlertState.RESOLVED


def test_a_kind_rule_covers_every_matching_datastream_and_no_other(water, north, make_thing, observe):
    first = make_thing(streams=("turbidity", "battery")).datastreams.get(observed_property__name="turbidity")
    second = make_thing().datastreams.get()
    air = make_thing(kind="air-quality", department="water", streams=("turbidity",)).datastreams.get()
    kind_rule("water-quality", "turbidity")

    observe(first, (1, 9.0))
    observe(second, (1, 9.0))
    observe(air, (1, 9.0))
    assert set(Alert.objects.values_list("datastream_id", flat=True)) == {first.pk, second.pk}


def test_a_datastream_added_later_falls_under_a_kind_rule(water, north, make_thing, observe):
    make_thing()
    kind_rule("water-quality", "turbidity")
    assert len(rules.rule_index().by_datastream) == 1  # cached before the new thing exists
    later = make_thing().datastreams.get()
    observe(later, (1, 9.0))
    assert Alert.objects.filter(datastream=later).exists()


def test_old_observations_do_not_open_alerts(water, north, make_thing, observe):
    datastream = make_thing().datastreams.get()
    rule_for(datastream)
    observe(datastream, (24 * 60, 9.0))  # a backfilled day-old value
    assert not Alert.objects.exists()


def test_datastreams_without_rules_cost_no_query(water, north, make_thing, django_assert_num_queries):
    datastream = make_thing().datastreams.get()
    rules.rule_index()
    with django_assert_num_queries(0):
        assert services.evaluate_observations([1, 2, 3], [datastream.pk]) == 0


def test_silence_opens_by_the_job_and_clears_on_new_data(water, north, make_thing, observe):
    datastream = make_thing().datastreams.get()
    rule_for(datastream, kind=RuleKind.SILENCE, comparison="", threshold=None, silence_minutes=30)
    observe(datastream, (40, 1.0))

    result = services.check_rules()
    assert result.opened == 1
    alert = Alert.objects.get()
    assert alert.value is None and alert.state == AlertState.OPEN
    assert services.check_rules().opened == 0  # one open alert at a time

    observe(datastream, (0, 1.0))
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.resolved_by is None


def test_silence_is_quiet_for_a_datastream_that_reports(water, north, make_thing, observe):
    datastream = make_thing().datastreams.get()
    rule_for(datastream, kind=RuleKind.SILENCE, comparison="", threshold=None, silence_minutes=30)
    observe(datastream, (5, 1.0))
    assert services.check_rules().opened == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "threshold", "threshold": None, "comparison": "gt"}, "threshold"),
        ({"kind": "threshold", "threshold": 1.0, "comparison": ""}, "comparison"),
        ({"kind": "silence", "silence_minutes": None}, "silence_minutes"),
        ({"kind": "rate", "threshold": -1.0}, "threshold"),
        ({"kind": "threshold", "threshold": float("nan"), "comparison": "gt"}, "threshold"),
        ({"kind": "bogus"}, "kind"),
        ({"kind": "threshold", "threshold": 1.0, "comparison": "gt", "name": " "}, "name"),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(water, north, make_thing, fields, field):
    datastream = make_thing().datastreams.get()
    admin = staff("administrator")
    data = services.RuleInput(**{"name": "r", "datastream": datastream, **fields})
    with pytest.raises(ValidationError) as error:
        services.create_rule(admin, data)
    assert field in error.value.message_dict


def test_a_rule_is_for_a_datastream_or_a_kind_not_both_nor_neither(water, north, make_thing):
    datastream = make_thing().datastreams.get()
    admin = staff("administrator")
    turbidity = ObservedProperty.objects.get(name="turbidity")
    both = services.RuleInput(
        name="r", kind="silence", silence_minutes=5, datastream=datastream, thing_kind="x", observed_property=turbidity
    )
    with pytest.raises(ValidationError):
        services.create_rule(admin, both)
    with pytest.raises(ValidationError):
        services.create_rule(admin, services.RuleInput(name="r", kind="silence", silence_minutes=5))


def test_a_rule_change_rebuilds_the_index(water, north, make_thing, django_capture_on_commit_callbacks):
    datastream = make_thing().datastreams.get()
    admin = staff("administrator")
    assert datastream.pk not in rules.rule_index().by_datastream
    with django_capture_on_commit_callbacks(execute=True):
        rule = services.create_rule(
            admin, services.RuleInput(name="r", kind="threshold", comparison="gt", threshold=1, datastream=datastream)
        )
    assert [s.id for s in rules.rule_index().by_datastream[datastream.pk]] == [rule.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_rule(admin, rule)
    assert datastream.pk not in rules.rule_index().by_datastream
