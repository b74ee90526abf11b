from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info

from cityos.core.accounts.models import Language
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.registry import registry

# Each language is offered in its own name, so a lost reader finds theirs.
_NATIVE_NAMES = dict(Language.choices)


def language_choices() -> list[tuple[str, str]]:
    return [
        (code, str(_NATIVE_NAMES.get(code) or get_language_info(code)["name_local"]))
        for code, _name in settings.LANGUAGES
    ]


def cityos(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "city_name": settings.OTP_TOTP_ISSUER,
        "portal_nav": registry.nav_for("portal"),
        "ops_nav": [n for n in registry.nav_for("ops") if not n.roles or holds_any_role(user, n.roles)],
        "tile_url": settings.CITYOS_TILE_URL,
        "tile_attribution": settings.CITYOS_TILE_ATTRIBUTION,
        "language_choices": language_choices(),
        # How people without a smartphone reach the city; empty values hide that line.
        "help_phone": settings.CITYOS_HELP_PHONE,
        "help_sms": settings.CITYOS_HELP_SMS,
    }
