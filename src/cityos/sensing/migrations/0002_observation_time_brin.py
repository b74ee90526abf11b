"""On PostgreSQL, a BRIN index on observation time (see docs/modules/sensing.md).

Observations arrive roughly in time order, so each block range of the table covers a narrow
time span: a BRIN index answers time-range scans across all datastreams while being a few
hundred kilobytes at a billion rows (a B-tree would be tens of gigabytes). SQLite has no
BRIN; there the composite (datastream, time) B-tree serves alone.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def create_brin(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS sensing_obs_time_brin ON sensing_observation "
            "USING brin (phenomenon_time_start) WITH (pages_per_range = 32)"
        )


def drop_brin(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS sensing_obs_time_brin")


class Migration(migrations.Migration):
    dependencies = [("sensing", "0001_initial")]

    operations = [migrations.RunPython(create_brin, drop_brin)]
