from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import DashboardTile, NavItem, Registry


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
