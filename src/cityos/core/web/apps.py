from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import DashboardTile, NavItem, PeriodicJob, Registry


class WebConfig(CityAppConfig):
    """The two front doors (residents' portal, staff operations centre) and operations."""

    default = True
    name = "cityos.core.web"
    label = "web"
    verbose_name = _("Front doors")

    def register(self, registry: Registry) -> None:
        registry.add_nav(NavItem("home", _("Home"), "web:home", area="portal", order=0))
        registry.add_nav(NavItem("ops", _("Operations centre"), "web:ops", area="ops", order=0))
        registry.add_tile(DashboardTile("jobs", _("Jobs"), "web:tile-jobs", order=900, refresh_seconds=15))
        from cityos.core.web import tasks

        daily = timedelta(days=1)
        registry.add_periodic_job(PeriodicJob("web.purge_expired_sessions", tasks.purge_expired_sessions, daily))
        registry.add_periodic_job(PeriodicJob("web.purge_old_sign_in_records", tasks.purge_old_sign_in_records, daily))
        registry.add_periodic_job(PeriodicJob("web.prune_finished_jobs", tasks.prune_finished_jobs, daily))
