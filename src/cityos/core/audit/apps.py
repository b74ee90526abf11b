from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import NavItem, Registry


class AuditConfig(CityAppConfig):
    """The append-only audit log of staff access to personal data and of every change."""

    default = True
    name = "cityos.core.audit"
    label = "audit"
    verbose_name = _("Audit")

    def register(self, registry: Registry) -> None:
        from cityos.core.audit import signals

        signals.connect()
        registry.add_nav(NavItem("audit", _("Audit log"), "audit:log", area="ops", order=950, roles=("administrator",)))
