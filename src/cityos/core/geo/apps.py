from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import ApiRouter, DemoStep, DepartmentScope, NavItem, Registry


class GeoConfig(CityAppConfig):
    """Geography: the city's districts, H3 cells for aggregation, and public places."""

    default = True
    name = "cityos.core.geo"
    label = "geo"
    verbose_name = _("Geography and places")

    def register(self, registry: Registry) -> None:
        from cityos.core.geo import conf, demo
        from cityos.core.geo.api import router

        registry.add_department_scope(DepartmentScope("places", "CITYOS_PLACES_DEPARTMENT", default="operations"))

        registry.add_nav(NavItem("places", _("Places near you"), "geo:places", area="portal", order=10))
        registry.add_nav(NavItem("places", _("Places"), "geo:manage", area="ops", order=30, roles=conf.PLACE_ROLES))
        registry.add_api_router(ApiRouter("geo", router, tags=("geography",)))
        registry.add_demo_step(DemoStep("geography", demo.build, order=10))
