"""`cityos import-places FILE [--dry-run]`: public places from CSV or GeoJSON points."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cityos.core.audit.context import Actor, acting_as
from cityos.core.geo.management.commands import _import_output
from cityos.core.geo.services import PlaceFormat, import_places


class Command(BaseCommand):
    help = (
        "Create places, or update them by id, from a CSV (header: kind,name,lat,lon[,id,address,phone,website,"
        "is_active,opening_hours,name_<lang>]) or a GeoJSON FeatureCollection of Points. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .geojson file, or - for standard input")
        parser.add_argument("--format", choices=["csv", "geojson"], help="default: from the file name")
        parser.add_argument("--dry-run", action="store_true", help="check and report, save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        file_format: PlaceFormat = options["format"] or ("csv" if name.lower().endswith(".csv") else "geojson")
        source = _import_output.read_source(name)
        self.stdout.write(f"Reading {name} as {file_format} ({len(source):,} bytes)…")
        with acting_as(Actor(label="cli: import-places", channel="cli")):
            # The server's operator runs the command: no role to check (None: the platform itself),
            # and the audit log records the command as the actor (channel "cli").
            report = import_places(
                source,
                user=None,
                file_format=file_format,
                dry_run=options["dry_run"],
                progress=lambda i: _import_output.print_item(self, i),
            )
        _import_output.finish(self, report)
