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
    from cityos.core.api.services import ApiTokenRevoked
    from cityos.core.events import subscribe
    from cityos.sensing.events import EntityChanged, ObservationsCreated
    from cityos.sensing.ingest import broker, publisher, services, tasks

    # Inline and cheap: the handlers only queue ids for the publishing thread.
    subscribe(ObservationsCreated, durable=False)(publisher.on_observations_created)
    subscribe(EntityChanged, durable=False)(publisher.on_entity_changed)
    subscribe(ApiTokenRevoked)(services.forget_revoked_device)
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
    registry.add_periodic_job(
        PeriodicJob(
            "sensing.sync_mqtt_logins",
            tasks.sync_mqtt_logins,
            every=timedelta(minutes=10),
            description=_("Make Mosquitto's device logins match the device tokens and their grants"),
        )
    )
