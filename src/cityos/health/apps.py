from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import (
    ApiRouter,
    DashboardTile,
    DemoStep,
    DepartmentScope,
    NavItem,
    PeriodicJob,
    PersonalData,
    Registry,
)


class HealthConfig(CityAppConfig):
    """Cases, contacts and follow-up; self-declarations; quarantine with a home geofence."""

    default = True
    name = "cityos.health"
    label = "health"
    verbose_name = _("Public health")

    def register(self, registry: Registry) -> None:
        from cityos.health import api, conf, demo, tasks

        registry.add_department_scope(DepartmentScope("health", "CITYOS_HEALTH_DEPARTMENT", default="health"))
        roles = conf.HEALTH_ROLES
        registry.add_nav(NavItem("my-health", _("My health"), "health:me", area="portal", order=60))
        for key, label, url_name, order in (
            ("health-cases", _("Cases"), "health:cases", 400),
            ("health-contacts", _("Contacts"), "health:contacts", 401),
            ("health-follow-ups", _("Follow-ups"), "health:follow-ups", 402),
            ("health-declarations", _("Declarations"), "health:declarations", 403),
            ("health-quarantines", _("Quarantines"), "health:quarantines", 404),
        ):
            registry.add_nav(NavItem(key, label, url_name, area="ops", order=order, roles=roles))
        registry.add_tile(DashboardTile("health", _("Public health"), "health:tile", order=400, roles=roles))
        registry.add_periodic_job(
            PeriodicJob(
                "health.missed_check_ins",
                tasks.raise_missed_check_ins,
                every=timedelta(hours=1),
                description=_("Raise a task for each missed quarantine check-in"),
            )
        )
        registry.add_periodic_job(
            PeriodicJob(
                "health.purge_quarantine_locations",
                tasks.purge_quarantine_locations,
                every=timedelta(hours=1),
                description=_("Delete home locations of ended quarantines"),
            )
        )
        registry.add_periodic_job(
            PeriodicJob(
                "health.purge_expired_records",
                tasks.purge_expired_records,
                every=timedelta(days=1),
                description=_("Delete cases, contacts, follow-ups and declarations past their retention period"),
            )
        )
        personal: tuple[tuple[str, tuple[str, ...]], ...] = (
            ("health.Case", ("name", "contact_details", "lab_result", "onset_date", "interview_notes")),
            ("health.CaseVisit", ("venue_code", "place", "start", "end")),
            ("health.Contact", ("name", "contact_details", "last_exposure")),
            ("health.FollowUp", ("status", "symptoms", "notes")),
            ("health.Declaration", ("symptoms", "travelled", "contact_with_case", "flag_reason")),
            ("health.Quarantine", ("home_lat", "home_lon", "radius_m", "start_date", "end_date")),
        )
        for model_label, fields in personal:
            registry.declare_personal_data(PersonalData(model_label, fields))
        registry.add_api_router(ApiRouter("health", api.router, tags=("health",)))
        registry.add_demo_step(DemoStep("health", demo.build, order=70))
