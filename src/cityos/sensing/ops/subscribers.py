"""In-process subscribers: evaluate rules on new observations, keep the rule index fresh."""

from __future__ import annotations

from cityos.sensing.events import EntityChanged, ObservationsCreated
from cityos.sensing.ops import rules, services
from cityos.sensing.ops.events import RulesChanged


def evaluate_batch(event: ObservationsCreated) -> None:
    """Runs after each ingest batch commits; for datastreams without rules it is one dict lookup each."""
    services.evaluate_observations(event.ids, event.datastream_ids)


def refresh_on_entity_change(event: EntityChanged) -> None:
    # A new datastream, or a thing whose kind changed, may now fall under a kind-wide rule.
    if event.entity_type in ("Thing", "Datastream"):
        rules.invalidate()


def refresh_on_rule_change(event: RulesChanged) -> None:
    rules.invalidate()
