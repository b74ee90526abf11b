from __future__ import annotations

from datetime import timedelta

from django.core import checks
from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import (
    DashboardTile,
    DemoStep,
    DepartmentScope,
    MessageKind,
    NavItem,
    PeriodicJob,
    PersonalData,
    Registry,
)


class AccountsConfig(CityAppConfig):
    """People: residents and staff, their roles, departments and districts."""

    default = True
    name = "cityos.core.accounts"
    label = "accounts"
    verbose_name = _("People and roles")

    def register(self, registry: Registry) -> None:
        from cityos.core.accounts import demo, signals, tasks
        from cityos.core.accounts.checks import check_department_scopes, check_module_roles
        from cityos.core.accounts.services import TEMPLATE_PHONE_CODE
        from cityos.core.accounts.staff_views import PEOPLE_ROLES

        registry.declare_personal_data(
            PersonalData("accounts.User", ("email", "phone", "first_name", "last_name", "district"))
        )
        registry.declare_personal_data(PersonalData("accounts.PhoneConfirmation", ("phone",)))
        registry.add_message_kind(
            MessageKind(TEMPLATE_PHONE_CODE, _("Code to confirm a new phone number"), secret=True)
        )
        registry.add_periodic_job(
            PeriodicJob("accounts.forget_unconfirmed_phones", tasks.forget_unconfirmed_phones, timedelta(hours=1))
        )
        registry.add_demo_step(DemoStep("accounts", demo.build, order=20))
        # People search counts every department's people-facing roles unless the city narrows it.
        registry.add_department_scope(DepartmentScope("people", "CITYOS_PEOPLE_DEPARTMENT", default="*"))
        registry.add_nav(
            NavItem("people", _("Residents"), "accounts:people", area="ops", order=900, roles=PEOPLE_ROLES)
        )
        registry.add_tile(
            DashboardTile("people", _("Residents"), "accounts:tile-people", order=800, refresh_seconds=60)
        )
        checks.register(check_department_scopes)
        checks.register(check_module_roles, checks.Tags.urls)
        # is_superuser follows the administrator role (accounts.signals).
        signals.connect()
