"""`cityos demo`: migrate, build the demo city from a seed, print the logins, serve it."""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from cityos.core.registry import DemoContext, building_demo, registry
from cityos.core.web.management.commands.serve import use_served_base_url


class Command(BaseCommand):
    help = "Build the demo city (the same from the same seed) and serve it at http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
        parser.add_argument("--residents", type=int, default=300, help="number of synthetic residents")
        parser.add_argument("--no-serve", action="store_true", help="build only, do not start the server")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--verbose-logs", action="store_true", help="keep INFO logs while serving")

    def handle(self, *args: Any, **options: Any) -> None:
        use_served_base_url(options["host"], options["port"])
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        logins = build_demo_city(seed=options["seed"], residents=options["residents"], say=self.stdout.write)
        self.print_logins(logins, options["host"], options["port"])
        if not options["no_serve"]:
            # Keep the logins readable: the server's routine log lines would scroll them away.
            quiet = None if options["verbose_logs"] else "warning"
            call_command("serve", host=options["host"], port=options["port"], jobs=True, log_level=quiet)

    def print_logins(self, logins: list[tuple[str, str, str]], host: str, port: int) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"The demo city is ready at http://{host}:{port}/"))
        self.stdout.write("Demo logins (sign in at /accounts/sign-in/):")
        width = max((len(u) for u, _, _ in logins), default=10)
        for username, password, what in logins:
            self.stdout.write(f"  {username.ljust(width)}  {password}  {what}")
        self.stdout.write("Staff sign in with a second factor: add the TOTP key to an authenticator app,")
        self.stdout.write("or print the current code with `cityos totp-code <username>`.")
        self.stdout.write("")


def build_demo_city(*, seed: int, residents: int, say: Any) -> list[tuple[str, str, str]]:
    ctx = DemoContext(rng=random.Random(seed), say=lambda text: say(f"    {text}"), data={"residents": residents})
    steps = registry.ordered_demo_steps()
    token = building_demo.set(True)
    try:
        for number, step in enumerate(steps, start=1):
            say(f"[{number}/{len(steps)}] {step.name}…")
            started = time.monotonic()
            # Each step is one transaction: a failed step leaves nothing half-built.
            with transaction.atomic():
                step.build(ctx)
            say(f"    done in {time.monotonic() - started:.1f} s")
    finally:
        building_demo.reset(token)
    return ctx.logins
