from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig


class NotificationsConfig(CityAppConfig):
    """Messages to residents and staff by email, SMS, WhatsApp and voice."""

    default = True
    name = "cityos.core.notifications"
    label = "notifications"
    verbose_name = _("Notifications")
