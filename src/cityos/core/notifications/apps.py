from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import (
    ApiRouter,
    DashboardTile,
    DemoStep,
    DepartmentScope,
    MessageKind,
    NavItem,
    PeriodicJob,
    PersonalData,
    Registry,
)


class NotificationsConfig(CityAppConfig):
    """Messages to residents and staff by email, SMS, WhatsApp and voice."""

    default = True
    name = "cityos.core.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def register(self, registry: Registry) -> None:
        from cityos.core.notifications import api, conf, demo, tasks

        registry.add_department_scope(
            DepartmentScope("messages", "CITYOS_MESSAGES_DEPARTMENT", default="operations,health")
        )
        registry.add_nav(
            NavItem(
                "message-preferences", _("Message preferences"), "notifications:preferences", area="portal", order=80
            )
        )
        registry.add_nav(
            NavItem("messages", _("Messages"), "notifications:list", area="ops", order=300, roles=conf.MESSAGING_ROLES)
        )
        registry.add_tile(
            DashboardTile(
                "messages-today",
                _("Messages today"),
                "notifications:tile-today",
                order=300,
                refresh_seconds=30,
                roles=conf.MESSAGING_ROLES,
            )
        )
        registry.add_periodic_job(
            PeriodicJob(
                "notifications.requeue",
                tasks.requeue_due_messages,
                every=timedelta(minutes=1),
                description=_("Enqueue messages due for another try"),
            )
        )
        registry.add_periodic_job(
            PeriodicJob(
                "notifications.retention",
                tasks.apply_message_retention,
                every=timedelta(days=1),
                description=_("Remove message addresses and texts past the retention period"),
            )
        )
        registry.declare_personal_data(
            PersonalData(
                "notifications.Message",
                ("address", "subject", "body", "audio"),
                retention_days=conf.retention_days(),
            )
        )
        # Kept while the number is opted out: forgetting it would start texting it again.
        registry.declare_personal_data(PersonalData("notifications.OptedOutNumber", ("phone",)))
        registry.add_api_router(ApiRouter("notifications", api.router, tags=("notifications",)))
        registry.add_demo_step(DemoStep("notifications", demo.build, order=40))
        # The city's general templates (made by the demo, or by the city under these keys).
        registry.add_message_kind(MessageKind("welcome", _("Welcome message")))
        registry.add_message_kind(MessageKind("service_update", _("Service update")))
        registry.add_message_kind(MessageKind("notice", _("Notice from the city")))
