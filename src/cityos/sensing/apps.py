from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import ApiRouter, DemoStep, Registry


class SensingConfig(CityAppConfig):
    """Sensors and their observations: the OGC SensorThings API v1.1 at /sta/v1.1."""

    default = True
    name = "cityos.sensing"
    label = "sensing"
    verbose_name = _("Sensing")

    def register(self, registry: Registry) -> None:
        from cityos.sensing.api import router
        from cityos.sensing.demo import build
        from cityos.sensing.ingest import registration as ingest
        from cityos.sensing.ops import registration as ops
        from cityos.sensing.simulators import registration as simulators
        from cityos.sensing.timeseries import registration as timeseries

        registry.add_api_router(ApiRouter("sensing", router, tags=("sensing",)))
        registry.add_demo_step(DemoStep("sensing", build, order=300))
        for part in (ingest, timeseries, ops, simulators):
            part.register(registry)
