"""`cityos serve`: the web server (uvicorn, ASGI), optionally with in-process job workers."""

from __future__ import annotations

from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve CityOS over HTTP. --jobs also runs the scheduler and job workers in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="web worker processes")
        parser.add_argument("--jobs", action="store_true", help="run jobs in-process (for a single-machine demo)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["jobs"]:
            if options["workers"] != 1:
                self.stderr.write("--jobs needs --workers 1; run `cityos worker` for more.")
                return
            from cityos.core.jobs import start_in_process_workers

            start_in_process_workers()
            self.stdout.write("Jobs run in this process (scheduler and 2 workers).")
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/ (Ctrl+C to stop)")
        uvicorn.run(
            "cityos.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            log_level=settings.LOG_LEVEL.lower(),
            access_log=False,
            lifespan="off",
        )
