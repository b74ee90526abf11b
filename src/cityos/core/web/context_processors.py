from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info

from cityos.core.accounts.models import Language
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.registry import NavItem, registry

# Each language is offered in its own name, so a lost reader finds theirs.
_NATIVE_NAMES = dict(Language.choices)


def language_choices() -> list[tuple[str, str]]:
    return [
        (code, str(_NATIVE_NAMES.get(code) or get_language_info(code)["name_local"]))
        for code, _name in settings.LANGUAGES
    ]


@dataclass(frozen=True)
class NavGroup:
    """A module's entries in the staff navigation, under the module's name."""

    namespace: str
    label: str
    items: list[NavItem]


def nav_groups(items: list[NavItem]) -> list[NavGroup]:
    """Entries grouped by the module (URL namespace) they belong to, in the order of each module's first entry."""
    groups: dict[str, list[NavItem]] = {}
    for item in items:
        groups.setdefault(item.url_name.split(":", 1)[0], []).append(item)
    labels = {config.label: str(config.verbose_name) for config in apps.get_app_configs()}
    return [NavGroup(namespace, labels.get(namespace, namespace), members) for namespace, members in groups.items()]


def cityos(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    ops_nav = [n for n in registry.nav_for("ops") if not n.roles or holds_any_role(user, n.roles)]
    return {
        "city_name": settings.OTP_TOTP_ISSUER,
        "portal_nav": registry.nav_for("portal"),
        "ops_nav": ops_nav,
        "ops_nav_groups": nav_groups(ops_nav),
        "tile_url": settings.CITYOS_TILE_URL,
        "tile_attribution": settings.CITYOS_TILE_ATTRIBUTION,
        "language_choices": language_choices(),
        # How people without a smartphone reach the city; empty values hide that line.
        "help_phone": settings.CITYOS_HELP_PHONE,
        "help_sms": settings.CITYOS_HELP_SMS,
    }
