from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityos.core.domain import CityAppConfig


class ApiConfig(CityAppConfig):
    """The JSON API: /api/v1, machine tokens, problem+json errors, pagination, rate limits."""

    default = True
    name = "cityos.core.api"
    label = "api"
    verbose_name = _("API")
