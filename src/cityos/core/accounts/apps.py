from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import DashboardTile, DemoStep, NavItem, PersonalData, Registry


class AccountsConfig(CityAppConfig):
    """People: residents and staff, their roles, departments and districts."""

    default = True
    name = "cityos.core.accounts"
    label = "accounts"
    verbose_name = _("People and roles")

    def register(self, registry: Registry) -> None:
        from cityos.core.accounts import demo

        registry.declare_personal_data(
            PersonalData("accounts.User", ("email", "phone", "first_name", "last_name", "district"))
        )
        registry.add_demo_step(DemoStep("accounts", demo.build, order=20))
        staff_roles = ("service_agent", "caseworker", "health_officer")
        registry.add_nav(NavItem("people", _("Residents"), "accounts:people", area="ops", order=900, roles=staff_roles))
        registry.add_tile(
            DashboardTile("people", _("Residents"), "accounts:tile-people", order=800, refresh_seconds=60)
        )
