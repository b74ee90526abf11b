"""`cityos sensing_ingest`: an MQTT ingest worker; run one per core or machine (shared subscription)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cityos.sensing.ingest.store import BatchOutcome
from cityos.sensing.ingest.worker import IngestWorker


class Command(BaseCommand):
    help = "Store observations published over MQTT (QoS 1, idempotent, batched). Start several to share the load."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id",
            default=socket.gethostname(),
            help="stable worker id: the broker keeps this worker's session and unacknowledged messages under it",
        )
        parser.add_argument("--url", default=None, help="broker URL (default CITYOS_MQTT_URL or the embedded broker)")
        parser.add_argument("--report", type=float, default=0.0, help="print counts every N seconds")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = IngestWorker(options["id"], url=options["url"])
        signal.signal(signal.SIGTERM, lambda *_: worker.stop())
        signal.signal(signal.SIGINT, lambda *_: worker.stop())
        every = float(options["report"])
        last = [time.monotonic()]

        def report(_outcome: BatchOutcome) -> None:
            if every and time.monotonic() - last[0] >= every:
                last[0] = time.monotonic()
                s = worker.stats
                self.stdout.write(
                    f"received={s.received} stored={s.stored} duplicates={s.duplicates} "
                    f"dead_letters={s.dead_letters} batches={s.batches}",
                )
                self.stdout.flush()

        worker.on_batch = report
        self.stdout.write(f"Ingest worker {options['id']} on {worker.url} (Ctrl+C to stop)")
        self.stdout.flush()

        def announce() -> None:
            while not worker.ready.wait(1.0):
                pass
            self.stdout.write("ready: subscribed")
            self.stdout.flush()

        threading.Thread(target=announce, daemon=True).start()
        worker.run()
