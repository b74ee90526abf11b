"""Incidents on demand: make a simulated device misbehave from now on, for a live demonstration.

An incident rewrites the device's simulation profile (through the SensorThings services, as
the provisioning account), so the live simulator carries it on from the next round: a main
burst that clouds the water, a home that turns damp, a device that falls silent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from cityos.sensing import services
from cityos.sensing.models import Thing
from cityos.sensing.simulators import devices, provisioning

# incident: the kind of device it happens to
INCIDENTS = {"turbidity": "water-quality", "damp": "home-climate", "silence": ""}


class IncidentError(ValueError):
    pass


def _target(incident: str, thing_id: int | None) -> Thing:
    things = Thing.objects.filter(properties__has_key="simulation")
    if thing_id is not None:
        thing = things.filter(pk=thing_id).first()
        if thing is None:
            raise IncidentError(f"Thing {thing_id} is not a simulated device.")
    else:
        kind = INCIDENTS[incident] or "air-quality"
        # The first device of the kind that is behaving: the incident is then plain to see.
        candidates = [t for t in things.filter(kind=kind).order_by("pk") if not _misbehaving(t)]
        if not candidates:
            raise IncidentError(f"There is no well-behaved {kind} device left for a {incident} incident.")
        thing = candidates[0]
    wanted = INCIDENTS[incident]
    if wanted and thing.kind != wanted:
        raise IncidentError(f"A {incident} incident needs a {wanted} device; Thing {thing.pk} is {thing.kind}.")
    return thing


def _misbehaving(thing: Thing) -> bool:
    profile = (thing.properties or {}).get("simulation") or {}
    return bool(profile.get("fault") or profile.get("silent_since"))


def start_incident(incident: str, *, thing_id: int | None = None, now: datetime | None = None) -> Thing:
    """Starts ``incident`` ("turbidity", "damp" or "silence") on a device now; returns the device."""
    if incident not in INCIDENTS:
        raise IncidentError(f"Unknown incident {incident!r}: choose one of {', '.join(INCIDENTS)}.")
    now = now or timezone.now()
    thing = _target(incident, thing_id)
    properties: dict[str, Any] = dict(thing.properties or {})
    profile = devices.Profile.from_json(thing.kind, properties["simulation"])
    data = profile.to_json()
    if incident == "turbidity":
        data.update(fault=devices.TURBIDITY, fault_since=now.isoformat())
        data.pop("fault_stream", None)
    elif incident == "damp":
        data.update(fault=devices.DAMP, fault_since=now.isoformat())
        data["params"] = {**data["params"], "setpoint": 17.0, "insulation": 0.05, "humidity": 69.0}
    else:
        data["silent_since"] = now.isoformat()
    properties["simulation"] = data
    writer = provisioning.provisioner()
    return services.update_entity("Thing", thing.pk, {"properties": properties}, user=writer)  # type: ignore[no-any-return]
