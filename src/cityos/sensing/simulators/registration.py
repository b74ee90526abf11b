"""What this part of the sensing app adds to core's registry (called from SensingConfig.register)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.registry import PeriodicJob, Registry


def register(registry: Registry) -> None:
    """The live demo city: simulated devices report every 30 seconds."""
    from cityos.sensing.simulators import tasks

    registry.add_periodic_job(
        PeriodicJob(
            "sensing.simulate_devices",
            tasks.simulate_devices,
            every=timedelta(seconds=30),
            description=_("Simulated demo devices report their latest readings"),
        )
    )
