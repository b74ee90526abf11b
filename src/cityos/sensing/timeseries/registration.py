"""What this part of the sensing app adds to core's registry (called from SensingConfig.register)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.registry import PeriodicJob, Registry


def register(registry: Registry) -> None:
    """Nav items, tiles, periodic jobs and demo steps of this part."""
    from cityos.sensing.timeseries import tasks

    registry.add_periodic_job(
        PeriodicJob(
            "sensing.retention",
            tasks.apply_observation_retention,
            every=timedelta(hours=6),
            description=_("Delete raw sensor observations past their retention period (rollups are kept)"),
        )
    )
