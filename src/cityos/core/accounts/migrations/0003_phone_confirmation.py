# A new phone number waits for the code texted to it before the account uses it.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_department_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="PhoneConfirmation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("phone", models.CharField(max_length=20, verbose_name="phone number")),
                ("code_hash", models.CharField(max_length=64)),
                ("sent_at", models.DateTimeField(verbose_name="code sent at")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="wrong codes entered")),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="phone_confirmation",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "phone number to confirm",
                "verbose_name_plural": "phone numbers to confirm",
            },
        ),
    ]
