"""What this part of the sensing app adds to core's registry (called from SensingConfig.register)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Role
from cityos.core.registry import NavItem, PeriodicJob, Registry

# Dead letters and publish grants are operators' work (administrators see everything anyway).
INGEST_ROLES = (Role.OPERATOR,)


def register(registry: Registry) -> None:
    """Nav items, tiles, periodic jobs and demo steps of this part."""
    from cityos.core.events import subscribe
    from cityos.sensing.events import EntityChanged, ObservationsCreated
    from cityos.sensing.ingest import broker, publisher, tasks

    # Inline and cheap: the handlers only queue ids for the publishing thread.
    subscribe(ObservationsCreated, durable=False)(publisher.on_observations_created)
    subscribe(EntityChanged, durable=False)(publisher.on_entity_changed)
    registry.add_background_service("sensing.mqtt", broker.start_services)
    registry.add_nav(
        NavItem(
            "sensing-dead-letters",
            _("Dead letters"),
            "sensing:ingest-dead-letters",
            area="ops",
            order=75,
            roles=INGEST_ROLES,
        )
    )
    registry.add_nav(
        NavItem("sensing-grants", _("Device tokens"), "sensing:ingest-grants", area="ops", order=76, roles=INGEST_ROLES)
    )
    registry.add_periodic_job(
        PeriodicJob(
            "sensing.prune_ingest_receipts",
            tasks.prune_ingest_receipts,
            every=timedelta(hours=1),
            description=_("Forget the fingerprints of MQTT messages older than the redelivery horizon"),
        )
    )
