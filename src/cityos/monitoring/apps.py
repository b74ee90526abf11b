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


class MonitoringConfig(CityAppConfig):
    """City services on top of the sensor data: parking availability, water and air quality,
    damp and mould in council homes (with maintenance work orders), and predator traps."""

    default = True
    name = "cityos.monitoring"
    label = "monitoring"
    verbose_name = _("City monitoring")

    def register(self, registry: Registry) -> None:
        from cityos.monitoring import api, conf, demo, selectors, tasks
        from cityos.sensing import services as sensing

        registry.add_department_scope(
            DepartmentScope("monitoring", "CITYOS_MONITORING_DEPARTMENT", default="environment,housing,social")
        )
        # A home's sensor reads the rooms people live in: the SensorThings API shows its Thing,
        # place and readings only to the staff whose sensing role covers it, and audits them.
        sensing.declare_private_kind(selectors.HOME_KIND)

        for key, label, url_name, order in (
            ("monitoring-parking", _("Parking"), "monitoring:parking", 80),
            ("monitoring-water", _("Water quality"), "monitoring:water", 81),
            ("monitoring-air", _("Air quality"), "monitoring:air", 82),
            ("monitoring-traps", _("Predator traps"), "monitoring:traps", 83),
        ):
            registry.add_nav(NavItem(key, label, url_name, area="portal", order=order))
        registry.add_nav(
            NavItem(
                "monitoring-damp",
                _("Damp and mould"),
                "monitoring:homes",
                area="ops",
                order=330,
                roles=conf.HOUSING_ROLES,
            )
        )
        registry.add_nav(
            NavItem(
                "monitoring-work-orders",
                _("Work orders"),
                "monitoring:work-orders",
                area="ops",
                order=331,
                roles=conf.HOUSING_ROLES,
            )
        )
        registry.add_nav(
            NavItem(
                "monitoring-traps",
                _("Trap catches"),
                "monitoring:trap-events",
                area="ops",
                order=332,
                roles=conf.TRAP_ROLES,
            )
        )
        registry.add_tile(
            DashboardTile("monitoring", _("City monitoring"), "monitoring:tile", order=330, refresh_seconds=60)
        )
        registry.add_periodic_job(
            PeriodicJob(
                "monitoring.damp_check",
                tasks.damp_check,
                every=timedelta(hours=6),
                description=_("Assess damp and mould risk in council homes and open work orders"),
            )
        )
        # A home's reference and address point at the tenants who live there.
        registry.declare_personal_data(PersonalData("monitoring.HomeRisk", ("home_ref", "address")))
        registry.declare_personal_data(PersonalData("monitoring.WorkOrder", ("home_ref", "address", "note")))
        registry.add_api_router(ApiRouter("monitoring", api.router, tags=("monitoring",)))
        registry.add_demo_step(DemoStep("monitoring", demo.build, order=330))
