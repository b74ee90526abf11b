"""Departments get translated names, like districts; the demo city's departments get theirs.

Only a department whose code and English name are the demo's, and that has no translated names
yet, is filled in: a city's own departments are left for its administrators to name.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

# A snapshot of the demo's departments (core and sensor network) at the time of this migration.
DEMO_NAMES: dict[str, tuple[str, dict[str, str]]] = {
    "operations": ("City Operations", {"zh-hant": "城市營運處", "es": "Operaciones Municipales"}),
    "health": ("Public Health", {"zh-hant": "公共衛生處", "es": "Salud Pública"}),
    "social": ("Social Services", {"zh-hant": "社會服務處", "es": "Servicios Sociales"}),
    "service-desk": ("Resident Services", {"zh-hant": "市民服務處", "es": "Atención Ciudadana"}),
    "data": ("Open Data Office", {"zh-hant": "開放資料辦公室", "es": "Oficina de Datos Abiertos"}),
    "it": ("Digital Services", {"zh-hant": "數位服務處", "es": "Servicios Digitales"}),
    "water": ("Water Services", {"zh-hant": "水務處", "es": "Servicios de Agua"}),
    "environment": ("Environment", {"zh-hant": "環境保護處", "es": "Medio Ambiente"}),
    "transport": ("Transport", {"zh-hant": "交通處", "es": "Transporte"}),
    "housing": ("Housing", {"zh-hant": "住宅處", "es": "Vivienda"}),
    "waste": ("Waste and Recycling", {"zh-hant": "廢棄物與回收處", "es": "Residuos y Reciclaje"}),
}


def name_demo_departments(apps: Any, schema_editor: Any) -> None:
    Department = apps.get_model("accounts", "Department")
    for department in Department.objects.filter(code__in=DEMO_NAMES):
        name, names = DEMO_NAMES[department.code]
        if department.name == name and not department.names:
            department.names = names
            department.save(update_fields=["names"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="department",
            name="names",
            field=models.JSONField(blank=True, default=dict, verbose_name="translated names"),
        ),
        migrations.RunPython(name_demo_departments, migrations.RunPython.noop),
    ]
