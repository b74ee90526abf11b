"""The base AppConfig of every CityOS app, core and domain alike."""

from __future__ import annotations

from django.apps import AppConfig

from cityos.core.registry import Registry, registry


class CityAppConfig(AppConfig):
    """Subclasses declare their nav items, tiles, jobs, API routers and demo data in ``register``.

    ``ready()`` calls it once, after every model is loaded, so registrations may import the
    app's own models, tasks and routers.
    """

    default_auto_field = "django.db.models.BigAutoField"
    default = False  # concrete configs set `default = True` so Django picks them, not this base

    def register(self, registry: Registry) -> None:  # pragma: no cover - default is nothing
        """Override to add this app's entries to the registry."""

    def ready(self) -> None:
        with registry.declaring(self.name):
            self.register(registry)
