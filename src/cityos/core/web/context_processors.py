from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cityos.core.registry import registry


def cityos(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    roles: set[str] = set()
    if user is not None and user.is_authenticated and user.is_staff:
        roles = user.role_names()  # type: ignore[union-attr]

    def visible(required: tuple[str, ...]) -> bool:
        return not required or bool(roles & set(required)) or "administrator" in roles

    return {
        "city_name": settings.OTP_TOTP_ISSUER,
        "portal_nav": registry.nav_for("portal"),
        "ops_nav": [n for n in registry.nav_for("ops") if visible(n.roles)],
        "tile_url": settings.CITYOS_TILE_URL,
        "tile_attribution": settings.CITYOS_TILE_ATTRIBUTION,
    }
