from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig
from cityos.core.registry import DemoStep, Registry


class SensingConfig(CityAppConfig):
    """Sensors and their observations: the OGC SensorThings API v1.1 at /sta/v1.1."""

    default = True
    name = "cityos.sensing"
    label = "sensing"
    verbose_name = _("Sensing")

    def register(self, registry: Registry) -> None:
        from cityos.sensing.demo import build

        registry.add_demo_step(DemoStep("sensing", build, order=300))
