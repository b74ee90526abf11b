"""Storage: no database FK constraints on observations, ids drawn in blocks, Thing.kind filled.

Checking an observation's two foreign keys costs a trigger per inserted row on PostgreSQL,
more than the insert itself (see docs/modules/sensing.md, "Storage"); the write path checks
and locks both links instead. The id sequence counts in steps of 1,000 so a batch draws its
ids with a few nextval() calls (services._draw_ids). Things made before Thing.kind was kept
get it from properties["kind"].
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def id_blocks(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Each nextval() hands out a block of 1,000 ids (see services._draw_ids).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE sensing_observation ALTER COLUMN id SET INCREMENT BY 1000")


def single_ids(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE sensing_observation ALTER COLUMN id SET INCREMENT BY 1")


def fill_kinds(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    thing_model = apps.get_model("sensing", "Thing")
    for thing in thing_model.objects.filter(kind="").exclude(properties=None).iterator(chunk_size=2000):
        kind = thing.properties.get("kind") if isinstance(thing.properties, dict) else None
        if kind not in (None, ""):
            thing_model.objects.filter(pk=thing.pk).update(kind=str(kind).strip()[:50])


class Migration(migrations.Migration):
    dependencies = [("sensing", "0003_ingest_rollups_rules")]

    operations = [
        migrations.AlterField(
            model_name="observation",
            name="datastream",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="observations",
                to="sensing.datastream",
            ),
        ),
        migrations.AlterField(
            model_name="observation",
            name="feature_of_interest",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="observations",
                to="sensing.featureofinterest",
            ),
        ),
        migrations.RunPython(fill_kinds, migrations.RunPython.noop),
        migrations.RunPython(id_blocks, single_ids),
    ]
