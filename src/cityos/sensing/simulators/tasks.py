"""Background work of the simulators: the demo city's devices report every 30 seconds."""

from __future__ import annotations

from django_tasks import task

from cityos.core.audit.context import Actor, acting_as
from cityos.sensing.simulators import live

JOB_ACTOR = Actor(label="sensing-simulator", channel="job")


@task(queue_name="sensing")
def simulate_devices() -> str:
    """Publish what every simulated device has read since its last report (a no-op without any)."""
    with acting_as(JOB_ACTOR):
        report = live.tick()
    return f"{report.readings} readings from {report.devices} devices ({report.mode})"
