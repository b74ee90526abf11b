"""Dead letters are filed under the datastream they were for, so that a private Thing's (a home's
readings) are shown only to the staff who see that datastream.

The letters stored before are filed from their topic (``v1.1/Datastreams(<id>)/Observations``)
or, on ``v1.1/CreateObservations``, from the ``"Datastream": {"@iot.id": <id>}`` their body names
(of several, a private Thing's), as ``ingest.store.letter_datastream`` files new ones.
"""

import re
from typing import Any

from django.db import migrations, models

TOPIC = re.compile(r"^v1\.1/Datastreams\((\d{1,18})\)/Observations$")
NAMED = re.compile(r'"Datastream"\s*:\s*\{\s*"@iot\.id"\s*:\s*(\d{1,18})\b')


def file_letters(apps: Any, schema_editor: Any) -> None:
    DeadLetter = apps.get_model("sensing", "DeadLetter")
    Datastream = apps.get_model("sensing", "Datastream")
    private = set(Datastream.objects.filter(thing__private=True).values_list("pk", flat=True))
    filed: dict[int, list[int]] = {}
    for pk, topic, payload in DeadLetter.objects.values_list("pk", "topic", "payload").iterator(chunk_size=2000):
        match = TOPIC.match(topic)
        named = [int(match.group(1))] if match else sorted({int(found) for found in NAMED.findall(payload)})
        if named:
            chosen = next((datastream for datastream in named if datastream in private), named[0])
            filed.setdefault(chosen, []).append(pk)
    for datastream_id, letters in filed.items():
        for start in range(0, len(letters), 2000):
            DeadLetter.objects.filter(pk__in=letters[start : start + 2000]).update(datastream_id=datastream_id)


class Migration(migrations.Migration):
    dependencies = [("sensing", "0006_thing_private")]

    operations = [
        migrations.AddField(
            model_name="deadletter",
            name="datastream_id",
            field=models.BigIntegerField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(file_letters, migrations.RunPython.noop),
    ]
