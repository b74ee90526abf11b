"""`cityos worker`: a job worker process with the periodic-job scheduler beside it."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cityos.core.jobs import Scheduler, start_background_services


class Command(BaseCommand):
    help = "Run jobs from the database queue. Start several for more throughput."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", default="*", help="queues to work, comma-separated (default all)")
        parser.add_argument("--no-scheduler", action="store_true", help="do not enqueue periodic jobs here")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument(
            "--no-services", action="store_true", help="do not start the apps' background services here"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = None
        if not options["no_scheduler"]:
            scheduler = Scheduler()
            scheduler.start()
        if not options["no_services"] and not options["batch"]:
            start_background_services()
        try:
            call_command(
                "db_worker",
                queue_name=options["queue"],
                batch=options["batch"],
                interval=options["interval"],
                startup_delay=not options["batch"],
            )
        finally:
            if scheduler:
                scheduler.stop()
