"""The demo city's sensors: water, air, parking, council homes, waste bins and predator traps.

Devices are planned by :mod:`cityos.sensing.simulators.city`, created through the
SensorThings services (deep insert), and given their history from the same device models the
live simulator uses, so history and live data join without a seam.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.core.geo.models import District
from cityos.core.registry import DemoContext
from cityos.sensing import services
from cityos.sensing.models import Datastream, Thing
from cityos.sensing.simulators import catalogue, city, devices, provisioning

BATCH = 25_000  # observations per transaction-sized write while backfilling history


def _shared_entities(writer: User) -> tuple[dict[str, int], dict[str, int]]:
    """One ObservedProperty per stream and one Sensor per device model, shared by all datastreams."""
    properties = {
        stream: services.create_entity("ObservedProperty", catalogue.observed_property_data(stream), user=writer).pk
        for stream in catalogue.STREAM_INFO
    }
    sensors = {
        kind: services.create_entity("Sensor", catalogue.sensor_data(kind), user=writer).pk
        for kind in catalogue.SENSOR_MODELS
    }
    return properties, sensors


def thing_payload(device: city.Device, properties: dict[str, int], sensors: dict[str, int]) -> dict[str, Any]:
    datastreams = []
    for stream in device.profile.streams:
        unit, observation_type, description = catalogue.STREAM_INFO[stream]
        step = devices.STEP_SECONDS.get(stream)
        how = f"every {step // 60} minutes" if step else "when it changes"
        datastreams.append(
            {
                "name": f"{device.name}: {stream}",
                "description": f"{description}, {how}",
                "unitOfMeasurement": unit,
                "observationType": observation_type,
                "Sensor": {"@iot.id": sensors[device.kind]},
                "ObservedProperty": {"@iot.id": properties[stream]},
            }
        )
    return {
        "name": device.name,
        "description": device.description,
        "properties": device.thing_properties(),
        "Locations": [
            {
                "name": f"{device.name} site",
                "description": device.description,
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [device.lon, device.lat]},
            }
        ],
        "Datastreams": datastreams,
    }


def build(ctx: DemoContext) -> None:
    # The departments and the provisioning account come first, so a rebuilt city has the same
    # people even when its devices are still there.
    provisioning.ensure_departments()
    writer = provisioning.provisioner()
    if Thing.objects.filter(properties__demo=True).exists():
        ctx.say("sensing: already built")
        return
    started, cpu = time.monotonic(), time.process_time()
    areas = [city.Area(d.code, d.name, d.geometry) for d in District.objects.order_by("code")]
    now = timezone.now().replace(microsecond=0)
    # Tests build a smaller city with a shorter past; `cityos demo` passes neither.
    plan = city.plan_city(ctx.rng, areas, now, scale=float(ctx.data.get("sensing_scale", 1.0)))
    provisioning.remember_roles(writer)
    properties, sensors = _shared_entities(writer)
    things: list[tuple[city.Device, int]] = []
    for device in plan:
        thing = services.create_entity("Thing", thing_payload(device, properties, sensors), user=writer)
        things.append((device, thing.pk))
    counts: dict[str, int] = defaultdict(int)
    for device, _ in things:
        counts[device.kind] += 1
    ctx.say(
        "sensing: "
        + ", ".join(f"{count} {kind}" for kind, count in counts.items())
        + f" devices in {time.monotonic() - started:.1f} s"
    )
    streams: dict[int, dict[str, int]] = defaultdict(dict)
    for pk, thing_id, stream in Datastream.objects.filter(thing_id__in=[pk for _, pk in things]).values_list(
        "pk", "thing_id", "observed_property__name"
    ):
        streams[thing_id][stream] = pk
    written = write_history(ctx, things, streams, now, max_days=ctx.data.get("sensing_history_days"))
    ctx.say(
        f"sensing: {written} observations of history; {time.monotonic() - started:.1f} s in all "
        f"({time.process_time() - cpu:.1f} s of CPU)"
    )


def write_history(
    ctx: DemoContext,
    things: list[tuple[city.Device, int]],
    streams: dict[int, dict[str, int]],
    now: datetime,
    *,
    max_days: float | None = None,
) -> int:
    """Backfills each device's past readings, in large batches, kind by kind."""
    written = 0
    batch: list[services.NewObservation] = []

    def flush() -> None:
        nonlocal written
        if batch:
            outcomes = services.create_observations(batch, user=None, system=True)
            refused = [o for o in outcomes if not isinstance(o, int)]
            if refused:  # a bug in a device model, not bad luck: say so loudly
                raise RuntimeError(f"sensing demo: {len(refused)} readings refused, e.g. {refused[0]}")
            written += len(outcomes)
            batch.clear()

    for kind in devices.KINDS:
        kind_started = time.monotonic()
        before = written + len(batch)
        days = min(city.HISTORY_DAYS[kind], max_days or math.inf)
        start = now - timedelta(days=days)
        for device, thing_id in things:
            if device.kind != kind:
                continue
            for stream in device.profile.streams:
                datastream_id = streams[thing_id][stream]
                for reading in devices.readings(device.profile, stream, start, now):
                    batch.append(
                        services.NewObservation(
                            datastream_id=datastream_id,
                            phenomenon_time=(reading.time, None),
                            result=reading.result,
                            parameters=reading.parameters,
                        )
                    )
                if len(batch) >= BATCH:
                    flush()
        flush()
        ctx.say(
            f"sensing: {kind}: {written - before} readings over {days:g} days ({time.monotonic() - kind_started:.1f} s)"
        )
    return written
