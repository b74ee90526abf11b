"""Work orders keep why they were opened as a code and its numbers, rendered in each reader's
language. Orders opened before carry the reason as text: those in the damp-check's words (in
English, or in Spanish or Chinese when the check ran on a page in that language) get the code and
numbers read back from it; any other text stays as it is and is shown as written."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models

NUMBER = r"(-?\d+(?:[.,]\d+)?|None)"  # a decimal point, or comma as Spanish writes it
# The damp check's reason, in each language it was written in (a snapshot of its translations).
PATTERNS = [
    re.compile(
        rf"Relative humidity at or above (?P<rh>{NUMBER})% for (?P<humid>{NUMBER}) of (?P<hours>{NUMBER}) hours; "
        rf"dew point within (?P<margin>{NUMBER}) °C of the air for (?P<condensing>{NUMBER}) hours "
        rf"\(mean (?P<mean_rh>{NUMBER})% RH, (?P<mean_t>{NUMBER}) °C\)\.$"
    ),
    re.compile(
        rf"Humedad relativa igual o superior al (?P<rh>{NUMBER})% durante (?P<humid>{NUMBER}) de "
        rf"(?P<hours>{NUMBER}) horas; punto de rocío a menos de (?P<margin>{NUMBER}) °C del aire durante "
        rf"(?P<condensing>{NUMBER}) horas \(media (?P<mean_rh>{NUMBER})% HR, (?P<mean_t>{NUMBER}) °C\)\.$"
    ),
    re.compile(
        rf"(?P<hours>{NUMBER}) 小時中有 (?P<humid>{NUMBER}) 小時相對濕度達 (?P<rh>{NUMBER})% 以上；"
        rf"有 (?P<condensing>{NUMBER}) 小時露點與氣溫相差在 (?P<margin>{NUMBER}) °C 以內"
        rf"（平均相對濕度 (?P<mean_rh>{NUMBER})%，(?P<mean_t>{NUMBER}) °C）。$"
    ),
]
COUNTS = ("humid", "hours", "condensing")


def _value(name: str, text: str) -> int | float | None:
    if text == "None":
        return None
    number = float(text.replace(",", "."))
    return int(number) if name in COUNTS else number


def parse_reason(text: str) -> dict[str, Any] | None:
    """The numbers of a damp-check reason, or None when the text is something else."""
    for pattern in PATTERNS:
        match = pattern.match(text.strip())
        if match:
            return {name: _value(name, value) for name, value in match.groupdict().items()}
    return None


def code_known_reasons(apps: Any, schema_editor: Any) -> None:
    WorkOrder = apps.get_model("monitoring", "WorkOrder")
    for order in WorkOrder.objects.filter(reason_code="").only("pk", "reason").iterator():
        params = parse_reason(order.reason)
        if params is not None:
            WorkOrder.objects.filter(pk=order.pk).update(reason_code="damp", reason_params=params)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="workorder",
            name="reason_code",
            field=models.CharField(
                blank=True, choices=[("damp", "Damp and mould risk")], max_length=30, verbose_name="reason code"
            ),
        ),
        migrations.AddField(
            model_name="workorder",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="reason numbers"),
        ),
        # The text stays: going back only forgets the codes.
        migrations.RunPython(code_known_reasons, migrations.RunPython.noop),
    ]
