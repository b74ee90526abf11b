from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import ApiRouter, NavItem, Registry


class ApiConfig(CityAppConfig):
    """The JSON API: /api/v1, machine tokens, problem+json errors, pagination, rate limits."""

    default = True
    name = "cityos.core.api"
    label = "api"
    verbose_name = _("API")

    def register(self, registry: Registry) -> None:
        from cityos.core.api.routers import accounts, meta

        registry.add_api_router(ApiRouter("accounts", accounts.router))
        registry.add_api_router(ApiRouter("meta", meta.router))
        registry.add_nav(NavItem("api-tokens", _("API tokens"), "tokens:list", area="ops", order=960))
