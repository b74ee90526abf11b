"""`cityos serve`: the web server, optionally with the job scheduler and workers in-process.

Gunicorn serves the WSGI application: on 2 cores it answers a simple view about ten times
faster than an ASGI server running Django's sync views (docs/benchmarks.md). ``--asgi`` serves
the ASGI application with uvicorn instead, for streaming responses held open a long time.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from gunicorn.app.base import BaseApplication


class CityServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn run from code; ``load`` runs in each worker process, after the fork."""

    def __init__(self, options: dict[str, Any], *, with_jobs: bool, log_level: str) -> None:
        self.options = options
        self.with_jobs = with_jobs
        self.log_level = log_level
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from cityos.wsgi import application

        # Django's setup in the worker applied the LOGGING setting again; keep the chosen level.
        logging.getLogger().setLevel(self.log_level.upper())
        if self.with_jobs:
            # Threads do not survive a fork, so the worker process starts its own.
            from cityos.core.jobs import start_in_process_workers

            start_in_process_workers()
        return application


def use_served_base_url(host: str, port: int) -> str:
    """Absolute links (the bins' QR stickers, messages, API ``next`` links) point at the address
    CityOS is served at (``serve``, ``demo``), unless ``CITYOS_BASE_URL`` is set in the
    environment. The settings read the variable once, at start-up, so both are set: this process
    (and the web workers gunicorn forks from it) reads the setting, a subprocess the variable."""
    if os.environ.get("CITYOS_BASE_URL"):
        return str(settings.CITYOS_BASE_URL)
    if _unspecified(host):  # served on every interface: this machine's own address is one of them
        host = "127.0.0.1"
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    os.environ["CITYOS_BASE_URL"] = url
    settings.CITYOS_BASE_URL = url
    return url


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a name, such as localhost
        return not host


class Command(BaseCommand):
    help = "Serve CityOS over HTTP. --jobs also runs the scheduler and job workers in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (slow clients, streams)")
        parser.add_argument("--jobs", action="store_true", help="run jobs in-process (for a single-machine demo)")
        parser.add_argument("--asgi", action="store_true", help="serve the ASGI application with uvicorn")
        parser.add_argument(
            "--log-level",
            choices=["debug", "info", "warning", "error"],
            help="log level while serving (default: CITYOS_LOG_LEVEL)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        use_served_base_url(options["host"], options["port"])
        log_level = (options.get("log_level") or settings.LOG_LEVEL).lower()
        logging.getLogger().setLevel(log_level.upper())
        workers = 1 if options["jobs"] else options["workers"]
        if options["jobs"] and options["workers"] not in (1, 2):
            self.stderr.write("--jobs runs one web worker; run `cityos worker` processes to scale jobs.")
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/ (Ctrl+C to stop)")
        if options["jobs"]:
            self.stdout.write("Jobs run in this process (scheduler and 2 workers).")
        if options["asgi"]:
            self._serve_asgi(options, workers, log_level)
            return
        CityServer(
            {
                "bind": f"{options['host']}:{options['port']}",
                "workers": workers,
                "threads": options["threads"],
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 10,
                "accesslog": None,
                # Gunicorn's largest request line (its default is 4094 bytes): a SensorThings
                # $filter of a few hundred conditions is a long URL, which the API's own limits
                # (sta.filter.MAX_TERMS) should answer, not a bare HTML 414.
                "limit_request_line": 8190,
                "loglevel": log_level,
            },
            with_jobs=options["jobs"],
            log_level=log_level,
        ).run()

    def _serve_asgi(self, options: dict[str, Any], workers: int, log_level: str) -> None:
        import uvicorn

        if options["jobs"]:
            from cityos.core.jobs import start_in_process_workers

            start_in_process_workers()
        uvicorn.run(
            "cityos.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=workers,
            log_level=log_level,
            access_log=False,
            lifespan="off",
        )
