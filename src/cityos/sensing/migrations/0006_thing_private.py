"""Private Things: those that watch people (council homes' rooms) are hidden from the public.

Things stored before are marked from what they say of themselves: ``properties.private`` true,
or the kind the monitoring module declares private ("home-climate", a home's temperature and
humidity). Later writes keep the flag (services.thing_private).
"""

from typing import Any

from django.db import migrations, models
from django.db.models import Q

# The kinds declared private when this migration was written (monitoring's homes).
PRIVATE_KINDS = ("home-climate",)


def mark_private(apps: Any, schema_editor: Any) -> None:
    Thing = apps.get_model("sensing", "Thing")
    Thing.objects.filter(Q(kind__in=PRIVATE_KINDS) | Q(properties__private=True)).update(private=True)


class Migration(migrations.Migration):
    dependencies = [("sensing", "0005_ingest_receipt_by_minute")]

    operations = [
        migrations.AddField(
            model_name="thing",
            name="private",
            field=models.BooleanField(db_index=True, default=False),
        ),
        migrations.RunPython(mark_private, migrations.RunPython.noop),
    ]
