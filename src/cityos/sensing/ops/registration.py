"""What this part of the sensing app adds to core's registry (called from SensingConfig.register)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.registry import DashboardTile, DemoStep, MessageKind, NavItem, PeriodicJob, Registry
from cityos.sensing.ops.scope import SENSING_ROLES


def register(registry: Registry) -> None:
    """Nav items, tiles, periodic jobs and demo steps of this part."""
    from cityos.core.events import subscribe
    from cityos.sensing.events import EntityChanged, ObservationsCreated
    from cityos.sensing.ops import demo, routing, subscribers, tasks
    from cityos.sensing.ops.events import AlertChanged, AlertOpened, RulesChanged

    # Inline: ingest's hot path must not enqueue a job per batch; the subscriber is a dict lookup
    # for datastreams without rules.
    subscribe(ObservationsCreated, durable=False)(subscribers.evaluate_batch)
    subscribe(EntityChanged, durable=False)(subscribers.refresh_on_entity_change)
    subscribe(RulesChanged, durable=False)(subscribers.refresh_on_rule_change)
    # Durable: sending messages is retried by the queue if a worker dies mid-way.
    subscribe(AlertOpened)(routing.on_alert_opened)
    subscribe(AlertChanged)(routing.on_alert_changed)

    roles = SENSING_ROLES
    registry.add_nav(NavItem("sensing-map", _("Sensor map"), "sensing:ops-map", area="ops", order=70, roles=roles))
    registry.add_nav(NavItem("sensing-alerts", _("Alerts"), "sensing:ops-alerts", area="ops", order=71, roles=roles))
    registry.add_nav(
        NavItem("sensing-health", _("Device health"), "sensing:ops-health", area="ops", order=72, roles=roles)
    )
    registry.add_nav(NavItem("sensing-rules", _("Alert rules"), "sensing:ops-rules", area="ops", order=73, roles=roles))
    registry.add_tile(DashboardTile("sensing-alerts", _("Sensor alerts"), "sensing:ops-tile", order=70, roles=roles))
    registry.add_periodic_job(
        PeriodicJob(
            "sensing.check_rules",
            tasks.check_rules,
            every=timedelta(minutes=1),
            description=_("Alert rules: silence, minimum durations and escalation"),
        )
    )
    registry.add_demo_step(DemoStep("sensing-rules", demo.build, order=320))
    registry.add_message_kind(MessageKind(routing.TEMPLATE_NEW, _("Sensor alert")))
    registry.add_message_kind(MessageKind(routing.TEMPLATE_ESCALATED, _("Sensor alert: escalated, not acknowledged")))
