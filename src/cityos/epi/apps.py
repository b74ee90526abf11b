from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import ApiRouter, Registry


class EpiConfig(CityAppConfig):
    """Epidemic intelligence: Rt by the method of Cori et al. (2013), as EpiEstim computes it."""

    default = True
    name = "cityos.epi"
    label = "epi"
    verbose_name = _("Epidemic intelligence")

    def register(self, registry: Registry) -> None:
        from cityos.epi.api import router

        registry.add_api_router(ApiRouter("epi", router, tags=("epidemic intelligence",)))
