# The text residents get once a bin they reported full is emptied, in the three languages. Made
# once here, then the city's to edit, or to delete to stop sending it.
from django.db import migrations

KEY = "waste_report_collected"
TEXTS = (
    ("en", "Bin {{ bin }} emptied", "Bin {{ bin }} you reported (report {{ report }}) was emptied at {{ time }}. Thank you."),
    ("zh-hant", "垃圾桶{{ bin }}已清空", "您通報的垃圾桶{{ bin }}（第{{ report }}號）已於{{ time }}清空，謝謝。"),
    ("es", "Contenedor {{ bin }} vaciado", "Vaciamos el contenedor {{ bin }} de su aviso {{ report }} a las {{ time }}. Gracias."),
)


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    for language, subject, body in TEXTS:
        MessageTemplate.objects.get_or_create(
            key=KEY, channel="", language=language, defaults={"subject": subject, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("waste", "0003_report_language_open311"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
