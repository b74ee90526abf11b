"""`cityos sensing_simulate`: run the demo city's devices against any broker, for demos and soak tests.

Two ways to run:
- live (default): every --interval seconds, each device reports what it read since its last
  report, exactly as the server's periodic job does;
- --rate N: N observations a second, round-robin over every datastream of the simulated
  devices, each the device's reading at that moment (a soak or load test with realistic values);
- --incident: make one device misbehave from now on, for a live demonstration.
"""

from __future__ import annotations

import signal
import threading
import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cityos.sensing.simulators import live
from cityos.sensing.simulators.devices import KINDS, Reading, reading_at
from cityos.sensing.simulators.incidents import INCIDENTS, IncidentError, start_incident

MAX_UNACKNOWLEDGED = 20_000  # messages published but not yet acknowledged by the broker


class Command(BaseCommand):
    help = "Run the simulated devices of the demo city: publish their readings over MQTT (or store them directly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=None, help="broker URL (default CITYOS_MQTT_URL or the embedded broker)")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between live rounds (default 30)")
        parser.add_argument(
            "--rate", type=float, default=0.0, help="observations per second, round-robin over all datastreams"
        )
        parser.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (default: never)")
        parser.add_argument("--report", type=float, default=5.0, help="with --rate: print progress every N seconds")
        parser.add_argument(
            "--kind", action="append", choices=KINDS, help="only devices of this kind (repeat for several)"
        )
        parser.add_argument("--direct", action="store_true", help="store readings in the database instead of MQTT")
        parser.add_argument(
            "--incident",
            choices=sorted(INCIDENTS),
            help="start an incident on a device now (a main burst, a damp home, a silent device) and exit",
        )
        parser.add_argument("--thing", type=int, default=None, help="with --incident: the Thing's @iot.id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["incident"]:
            try:
                thing = start_incident(options["incident"], thing_id=options["thing"])
            except IncidentError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"{options['incident']} incident started on Thing({thing.pk}) {thing.name}")
            return
        for name, least in (("interval", 0.1), ("report", 0.1)):
            if options[name] < least:
                raise CommandError(f"--{name} must be at least {least} seconds.")
        for name in ("rate", "duration"):
            if options[name] < 0:
                raise CommandError(f"--{name} cannot be negative.")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        duration = float(options["duration"])
        deadline = time.monotonic() + duration if duration > 0 else float("inf")
        kinds = options["kind"] or None
        devices = live.load_devices(kinds)
        if not devices:
            raise CommandError("There are no simulated devices: build the demo city first (`cityos demo --no-serve`).")
        streams = sum(len(d.streams) for d in devices)
        where = "the database" if options["direct"] else (options["url"] or "the platform's broker")
        self.stdout.write(f"{len(devices)} simulated devices, {streams} datastreams -> {where} (Ctrl+C to stop)")
        self.stdout.flush()
        if options["rate"] > 0:
            self.run_rate(options, kinds, stop, deadline)
        else:
            self.run_live(options, kinds, stop, deadline)

    def run_live(
        self, options: dict[str, Any], kinds: list[str] | None, stop: threading.Event, deadline: float
    ) -> None:
        total = 0
        while not stop.is_set() and time.monotonic() < deadline:
            report = live.tick(url=options["url"], direct=options["direct"], kinds=kinds)
            total += report.readings
            note = f" (no broker: {report.error})" if report.error else ""
            self.stdout.write(
                f"{timezone.localtime():%H:%M:%S} {report.readings} readings from {report.devices} devices "
                f"via {report.mode}{note} in {report.seconds:.2f} s; {total} in all"
            )
            self.stdout.flush()
            stop.wait(max(0.0, min(float(options["interval"]), deadline - time.monotonic())))

    def run_rate(
        self, options: dict[str, Any], kinds: list[str] | None, stop: threading.Event, deadline: float
    ) -> None:
        targets = [
            (stream.datastream_id, device.profile, stream.name)
            for device in live.load_devices(kinds)
            for stream in device.streams
            if stream.name != "trap-event"  # catches are events, not samples
        ]
        if not targets:
            raise CommandError("The simulated devices have no sampled datastreams.")
        rate = float(options["rate"])
        acked = [0]
        client = None
        if not options["direct"]:
            from cityos.sensing.ingest.client import platform_client, publish_observation

            try:
                client = platform_client(live.client_id(), url=options["url"])
            except (OSError, ConnectionError) as error:
                raise CommandError(f"No MQTT broker: {error}") from error

            def on_publish(*_args: Any) -> None:
                acked[0] += 1

            client.on_publish = on_publish
        started = time.monotonic()
        last_report, last_sent = started, 0
        sent = skipped = position = scheduled = 0
        burst = max(1, int(rate / 50))  # at most 20 ms worth at a time, so pacing stays even
        pending: list[tuple[int, Reading]] = []
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                moment = time.monotonic()
                due = int((moment - started) * rate) - scheduled
                if due > rate:  # more than a second behind: the target is out of reach, drop the backlog
                    scheduled += due - burst
                    due = burst
                if client is not None and sent - acked[0] > MAX_UNACKNOWLEDGED:
                    due = 0  # let the broker catch up before queueing more
                now: datetime = timezone.now()
                for _ in range(min(max(0, due), burst)):
                    pk, profile, stream = targets[position % len(targets)]
                    position += 1
                    scheduled += 1
                    reading = reading_at(profile, stream, now)
                    if reading is None:  # a silent, flat or dropped-out device says nothing
                        skipped += 1
                        continue
                    if client is not None:
                        publish_observation(client, pk, live.observation_body(reading))
                    else:
                        pending.append((pk, reading))
                    sent += 1
                if pending and (len(pending) >= max(1.0, rate) or due <= 0):
                    acked[0] += live.store(pending)
                    pending.clear()
                if moment - last_report >= float(options["report"]):
                    pace = (sent - last_sent) / (moment - last_report)
                    self.stdout.write(
                        f"{timezone.localtime():%H:%M:%S} sent {sent} ({pace:.0f}/s), "
                        f"acknowledged {acked[0]}, quiet devices skipped {skipped}"
                    )
                    self.stdout.flush()
                    last_report, last_sent = moment, sent
                if due <= 0:
                    time.sleep(min(0.005, 1.0 / rate))
        finally:
            if pending:
                acked[0] += live.store(pending)
            if client is not None:
                wait_until = time.monotonic() + live.ACK_TIMEOUT
                while acked[0] < sent and time.monotonic() < wait_until:
                    time.sleep(0.05)
                client.disconnect()
                client.loop_stop()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Done: sent {sent} in {elapsed:.1f} s ({sent / elapsed if elapsed else 0:.0f}/s), acknowledged {acked[0]}"
        )
