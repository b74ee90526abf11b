from __future__ import annotations

import factory

from cityos.core.accounts.models import Language
from cityos.core.notifications.models import MessageTemplate


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    key = "welcome"
    channel = ""
    language = Language.ENGLISH
    subject = "Welcome, {{ person.first_name }}"
    body = "Hello {{ person.first_name }}, welcome to the city."
