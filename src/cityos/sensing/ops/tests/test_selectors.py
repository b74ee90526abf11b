"""Device states for the map and the health list: alert, silent, low battery, OK."""

from __future__ import annotations

import pytest

from cityos.core.accounts.models import Role
from cityos.sensing.models import AlertRule, Comparison, RuleKind
from cityos.sensing.ops import rules, selectors
from cityos.sensing.ops.tests.conftest import staff

pytestmark = pytest.mark.django_db


def test_each_thing_shows_its_worst_state(water, north, make_thing, observe, settings):
    settings.CITYOS_SENSING_SILENT_AFTER_MINUTES = "120"
    fine = make_thing(streams=("turbidity", "battery"), name="Fine")
    weak = make_thing(streams=("turbidity", "battery"), name="Weak")
    quiet = make_thing(streams=("turbidity",), name="Quiet")
    alarmed = make_thing(streams=("turbidity", "battery"), name="Alarmed")
    never = make_thing(name="Never")
    watched = make_thing(name="Watched")  # heard from 45 minutes ago, but its rule says 30 is silence
    patient = make_thing(name="Patient")  # heard from 100 minutes ago: within the default
    for thing, battery in ((fine, 80.0), (weak, 9.0), (alarmed, 5.0)):
        observe(thing.datastreams.get(observed_property__name="battery"), (30, 99.0), (2, battery))
        observe(thing.datastreams.get(observed_property__name="turbidity"), (1, 1.0))
    observe(quiet.datastreams.get(), (180, 1.0))
    observe(watched.datastreams.get(), (45, 1.0))
    observe(patient.datastreams.get(), (100, 1.0))
    AlertRule.objects.create(
        name="quiet", kind=RuleKind.SILENCE, datastream=watched.datastreams.get(), silence_minutes=30
    )
    turbidity = alarmed.datastreams.get(observed_property__name="turbidity")
    AlertRule.objects.create(
        name="r", kind=RuleKind.THRESHOLD, datastream=turbidity, comparison=Comparison.ABOVE, threshold=4
    )
    rules.invalidate()
    observe(turbidity, (0, 9.0))

    rows = {r.name: r for r in selectors.thing_rows(staff(Role.OPERATOR, water, ()))}
    assert {name: r.state for name, r in rows.items()} == {
        "Fine": "ok",
        "Weak": "low_battery",
        "Quiet": "silent",
        "Alarmed": "alert",  # also a low battery: the worse state shows
        "Never": "silent",
        "Watched": "silent",
        "Patient": "ok",
    }
    assert rows["Weak"].battery == 9.0 and rows["Fine"].battery == 80.0 and rows["Quiet"].battery is None
    assert rows["Alarmed"].open_alerts == 1 and rows["Never"].last_seen_at is None
    ordered = [r.name for r in selectors.sort_rows(rows.values(), "battery")]
    assert ordered[:4] == ["Never", "Patient", "Quiet", "Watched"] and ordered[4:] == ["Alarmed", "Weak", "Fine"]
    assert [r.name for r in selectors.sort_rows(rows.values(), "-last_seen")][-1] == "Never"
    assert never.pk in {r.id for r in selectors.thing_rows(staff(Role.OPERATOR, water, ()), state="silent")}
