"""`cityos import-districts FILE [--dry-run]`: districts from a GeoJSON FeatureCollection."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cityos.core.audit.context import Actor, acting_as
from cityos.core.geo.management.commands import _import_output
from cityos.core.geo.services import import_districts


class Command(BaseCommand):
    help = (
        "Create or update districts (matched by code) from a GeoJSON FeatureCollection of Polygon/MultiPolygon "
        "features in EPSG:4326 with properties code, name and optionally names/name_<lang> and population. "
        "All or nothing: one refused feature saves nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .geojson file, or - for standard input")
        parser.add_argument("--dry-run", action="store_true", help="check and report, save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        source = _import_output.read_source(options["file"])
        self.stdout.write(f"Reading {options['file']} ({len(source):,} bytes)…")
        with acting_as(Actor(label="cli: import-districts", channel="cli")):
            report = import_districts(
                source, user=None, dry_run=options["dry_run"], progress=lambda i: _import_output.print_item(self, i)
            )
        _import_output.finish(self, report)
