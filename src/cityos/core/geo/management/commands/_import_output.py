"""What the import commands print: one line per feature or row as it is checked, then the outcome."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cityos.core.geo.services import ImportReport, ItemReport


def read_source(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"{name}: no such file")
    return path.read_bytes()


def print_item(command: BaseCommand, item: ItemReport) -> None:
    label = f"{item.key or '?'} {item.label}".strip()
    line = f"  [{item.number}] {label}: {item.action_label}"
    command.stdout.write(command.style.SUCCESS(line) if item.accepted else command.style.ERROR(line))
    for error in item.errors:
        command.stdout.write(f"      - {error}")
    for warning in item.warnings:
        command.stdout.write(command.style.WARNING(f"      ! {warning}"))


def finish(command: BaseCommand, report: ImportReport) -> None:
    """Print the outcome; a refused file ends the command with exit status 1."""
    for error in report.file_errors:
        command.stderr.write(error)
    if report.saved and report.places_reassigned:
        command.stdout.write(f"Places moved to another district: {report.places_reassigned}")
    if not report.ok:
        raise CommandError(report.summary())
    command.stdout.write(command.style.SUCCESS(report.summary()))
