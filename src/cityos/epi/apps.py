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
    Registry,
)


class EpiConfig(CityAppConfig):
    """Epidemic intelligence: daily reports, Rt (Cori et al. 2013, as EpiEstim computes it),
    forecasts, hospital capacity, community risk and the hourly public dashboard."""

    default = True
    name = "cityos.epi"
    label = "epi"
    verbose_name = _("Epidemic intelligence")

    def register(self, registry: Registry) -> None:
        from cityos.core.events import subscribe
        from cityos.epi import conf, demo, subscribers, tasks
        from cityos.epi.api import router
        from cityos.health.events import CaseConfirmed

        registry.add_department_scope(DepartmentScope("epi", "CITYOS_EPI_DEPARTMENT", default="health"))
        # Cases confirmed by the health module are counted per district and day, after commit.
        subscribe(CaseConfirmed)(subscribers.count_confirmed_case)

        registry.add_api_router(ApiRouter("epi", router, tags=("epidemic intelligence",)))
        registry.add_nav(NavItem("epi", _("Epidemic dashboard"), "epi:dashboard", area="portal", order=40))
        registry.add_nav(NavItem("epi", _("Epidemic data"), "epi:manage", area="ops", order=60, roles=conf.WRITE_ROLES))
        registry.add_nav(
            NavItem("epi-reports", _("Stored reports"), "epi:reports", area="ops", order=61, roles=conf.WRITE_ROLES)
        )
        registry.add_tile(DashboardTile("epi", _("Epidemic"), "epi:tile", order=60, refresh_seconds=300))
        registry.add_periodic_job(
            PeriodicJob(
                "epi.refresh_dashboard",
                tasks.refresh_dashboard,
                every=timedelta(hours=1),
                description=_("Recompute Rt, forecasts, community risk and hospital capacity"),
            )
        )
        registry.add_demo_step(DemoStep("epidemic", demo.build, order=60))
        registry.add_message_kind(MessageKind(conf.CAPACITY_ALERT_TEMPLATE, _("Hospital capacity alert")))
