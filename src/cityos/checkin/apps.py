from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import (
    ApiRouter,
    DemoStep,
    DepartmentScope,
    MessageKind,
    NavItem,
    PeriodicJob,
    PersonalData,
    Registry,
)


class CheckinConfig(CityAppConfig):
    """Venue QR check-in without an app, and exposure alerts from a confirmed case's visits."""

    default = True
    name = "cityos.checkin"
    label = "checkin"
    verbose_name = _("Venue check-in")

    def register(self, registry: Registry) -> None:
        from cityos.checkin import conf, demo, services, tasks
        from cityos.checkin.api import router
        from cityos.checkin.events import CaseVisitsConfirmed

        registry.add_department_scope(
            DepartmentScope("checkin", "CITYOS_CHECKIN_DEPARTMENT", default="health,operations")
        )
        registry.add_department_scope(
            DepartmentScope("checkin-alerts", "CITYOS_CHECKIN_ALERTS_DEPARTMENT", default="health")
        )
        registry.add_nav(NavItem("checkin", _("My visits"), "checkin:visits", area="portal", order=40))
        registry.add_nav(
            NavItem("checkin-venues", _("Venues"), "checkin:ops-venues", area="ops", order=60, roles=conf.VENUE_ROLES)
        )
        registry.add_nav(
            NavItem(
                "checkin-alerts",
                _("Exposure alerts"),
                "checkin:ops-alerts",
                area="ops",
                order=61,
                roles=conf.ALERT_ROLES,
            )
        )
        registry.add_nav(
            NavItem(
                "checkin-activity",
                _("Check-in activity"),
                "checkin:ops-activity",
                area="ops",
                order=62,
                roles=conf.ALERT_ROLES,
            )
        )
        registry.add_api_router(ApiRouter("checkin", router, tags=("check-in",)))
        registry.add_periodic_job(
            PeriodicJob(
                "checkin.retention",
                tasks.apply_checkin_retention,
                timedelta(hours=1),
                _("Delete check-ins older than the retention period"),
            )
        )
        registry.add_demo_step(DemoStep("checkin", demo.build, order=60))
        registry.subscribe(CaseVisitsConfirmed.name, services.on_case_visits_confirmed, durable=True)
        registry.declare_personal_data(
            PersonalData(
                "checkin.CheckIn",
                ("person", "contact_encrypted", "contact_digest", "checked_in_at", "checked_out_at"),
                retention_days=conf.retention_days(),
            )
        )
        registry.declare_personal_data(
            PersonalData("checkin.ExposureMatch", ("person", "contact_encrypted", "check_in", "checked_in_at"))
        )
        registry.declare_personal_data(PersonalData("checkin.Venue", ("owner", "contact_email", "contact_phone")))
        registry.declare_personal_data(PersonalData("checkin.ExposureAlert", ("case_ref",)))
        registry.add_message_kind(MessageKind(services.TEMPLATE_EXPOSED, _("Possible exposure: visitor told")))
        registry.add_message_kind(MessageKind(services.TEMPLATE_VENUE_OWNER, _("Possible exposure: venue told")))
