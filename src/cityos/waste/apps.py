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
    Open311Provider,
    PeriodicJob,
    PersonalData,
    Registry,
)


class WasteConfig(CityAppConfig):
    """Smart waste collection: fill forecasts from bin sensors and optimised daily routes."""

    default = True
    name = "cityos.waste"
    label = "waste"
    verbose_name = _("Waste collection")

    def register(self, registry: Registry) -> None:
        from cityos.waste import conf, demo, open311, services, tasks
        from cityos.waste.api import router

        registry.add_department_scope(DepartmentScope("waste", "CITYOS_WASTE_DEPARTMENT", default="waste"))
        registry.add_nav(
            NavItem("waste-plans", _("Waste collection"), "waste:plans", area="ops", order=70, roles=conf.CREW_ROLES)
        )
        registry.add_nav(NavItem("waste-bins", _("Bins"), "waste:bins", area="ops", order=71, roles=conf.PLANNER_ROLES))
        registry.add_nav(
            NavItem(
                "waste-results",
                _("Collection results"),
                "waste:results",
                area="ops",
                order=72,
                roles=conf.PLANNER_ROLES,
            )
        )
        registry.add_nav(
            NavItem("waste-reports", _("Bin reports"), "waste:reports", area="ops", order=73, roles=conf.PLANNER_ROLES)
        )
        # Public: residents report a full or damaged bin (also from the QR sticker on the bin).
        registry.add_nav(
            NavItem("waste-report", _("Report a full or damaged bin"), "waste:report", area="portal", order=45)
        )
        registry.declare_personal_data(PersonalData("waste.BinReport", ("phone", "note", "photo", "media_url")))
        registry.declare_personal_data(PersonalData("waste.ReportFollower", ("phone",)))
        # A crew's photo of a bin it could not collect may show a number plate or a person.
        registry.declare_personal_data(PersonalData("waste.Stop", ("missed_photo",)))
        registry.add_api_router(ApiRouter("waste", router, tags=("waste",)))
        registry.add_open311_provider(
            Open311Provider(
                "bin",
                open311.SERVICES,
                open311.submit,
                open311.find,
                conf.REPORT_LIMIT_SCOPE,
                conf.report_limit_per_hour,
            )
        )
        registry.add_periodic_job(
            PeriodicJob(
                "waste.forecasts", tasks.refresh_waste_forecasts, timedelta(hours=1), _("Refresh bin fill forecasts")
            )
        )
        registry.add_periodic_job(
            PeriodicJob(
                "waste.daily_plan",
                tasks.plan_tomorrow,
                timedelta(hours=1),
                _("Plan tomorrow's waste collection once the evening comes"),
            )
        )
        registry.add_periodic_job(
            PeriodicJob(
                "waste.report_phones",
                tasks.clear_old_report_phones,
                timedelta(days=1),
                _("Remove residents' phone numbers and old photos from bin reports and stops"),
            )
        )
        registry.add_tile(
            DashboardTile(
                "waste", _("Waste collection"), "waste:tile", order=340, refresh_seconds=60, roles=conf.CREW_ROLES
            )
        )
        registry.add_demo_step(DemoStep("waste", demo.build, order=350))
        registry.add_message_kind(MessageKind(services.TEMPLATE_REPORT_COLLECTED, _("Bin emptied: resident told")))
