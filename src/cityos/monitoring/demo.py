"""The demo city's monitoring: after the sensing step has created the devices and their
history, run the damp-and-mould job once so housing staff find homes ranked and work orders."""

from __future__ import annotations

from cityos.core.audit.context import acting_as
from cityos.core.registry import DemoContext
from cityos.monitoring import services, tasks


def build(ctx: DemoContext) -> None:
    with acting_as(tasks.JOB_ACTOR):
        done = services.run_damp_check()
    if not done.homes:
        ctx.say("monitoring: no council-home climate sensors in the demo city yet, so no damp assessment")
        return
    ctx.say(
        f"monitoring: {done.homes} council homes assessed for damp, {done.at_risk} at risk, "
        f"{len(done.opened)} maintenance work orders opened"
    )
