"""`cityos sensing_rollups --rebuild`: rebuild the hourly and daily rollups from the observations,
after the city's time zone changed (or an upgrade moved its buckets), with progress."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cityos.sensing.timeseries import rollups


class Command(BaseCommand):
    help = "Rebuild the hourly and daily rollups of datastreams from their observations (in the city's time zone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="rebuild them (nothing happens without it)")
        parser.add_argument(
            "--datastream", type=int, action="append", help="only this Datastream's @iot.id (repeat for several)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["rebuild"]:
            raise CommandError(_("Say --rebuild to rebuild the rollups: it rewrites them all."))
        began = time.perf_counter()
        zone = rollups.city_zone()

        def report(done: int, total: int, datastream_id: int) -> None:
            self.stdout.write(f"[{done}/{total}] Datastream({datastream_id})")

        asked = options["datastream"]
        rebuilt = rollups.rebuild(asked, progress=report)
        if asked and rebuilt < len(set(asked)):
            raise CommandError(
                _("%(missing)d of the datastreams asked for do not exist or have no numeric observations.")
                % {"missing": len(set(asked)) - rebuilt}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(count)d datastreams' rollups rebuilt in %(zone)s in %(seconds).1f s")
                % {"count": rebuilt, "zone": zone, "seconds": time.perf_counter() - began}
            )
        )
