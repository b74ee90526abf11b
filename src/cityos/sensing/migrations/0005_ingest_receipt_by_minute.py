"""Ingest receipts keyed by (minute of the message's own time, digest).

Receipts only guard against storing a redelivered message twice within the receipt horizon;
the old ones cannot be re-keyed (the minute comes from the message), so the table starts
afresh. Stop the ingest workers for the upgrade (docs/deploy.md).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sensing", "0004_storage_observation_links")]

    operations = [
        migrations.DeleteModel(name="IngestReceipt"),
        migrations.CreateModel(
            name="IngestReceipt",
            fields=[
                ("pk", models.CompositePrimaryKey("minute", "key", blank=True, editable=False, primary_key=True, serialize=False)),
                ("minute", models.IntegerField()),
                ("key", models.BigIntegerField()),
                ("received_at", models.DateTimeField(db_index=True)),
            ],
        ),
    ]
