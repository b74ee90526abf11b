from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

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


# The platform's own pages (places, people, messages, audit, API tokens) share one menu at the end
# of the staff navigation, so the modules' menus keep the top bar to one line.
PLATFORM_PACKAGE = "cityos.core."
HOME_NAMESPACE = "web"
ADMINISTRATION = "administration"


@dataclass(frozen=True)
class NavGroup:
    """Entries in the staff navigation under one name: a module's, or the platform's own pages.

    ``namespaces`` are the URL namespaces of its entries, so the group is marked as the current
    section on any page of them."""

    namespace: str
    label: str | Promise
    items: list[NavItem]
    namespaces: tuple[str, ...] = ()


def _namespace(item: NavItem) -> str:
    return item.url_name.split(":", 1)[0]


@lru_cache(maxsize=512)
def is_platform_page(url_name: str) -> bool:
    """Whether ``url_name`` is a page of the platform (a ``cityos.core`` app other than the front
    doors) rather than of a domain module."""
    if url_name.split(":", 1)[0] == HOME_NAMESPACE:
        return False
    try:
        view = resolve(reverse(url_name)).func
    except NoReverseMatch:
        return False
    return str(getattr(view, "__module__", "")).startswith(PLATFORM_PACKAGE)


def nav_groups(items: list[NavItem]) -> list[NavGroup]:
    """Entries grouped by the module (URL namespace) they belong to, in the order of each module's
    first entry; the platform's own pages follow in one "Administration" group (a single one
    stays on its own)."""
    groups: dict[str, list[NavItem]] = {}
    platform: list[NavItem] = []
    for item in items:
        if is_platform_page(item.url_name):
            platform.append(item)
        else:
            groups.setdefault(_namespace(item), []).append(item)
    labels = {config.label: str(config.verbose_name) for config in apps.get_app_configs()}
    result = [
        NavGroup(namespace, labels.get(namespace, namespace), members, (namespace,))
        for namespace, members in groups.items()
    ]
    if len(platform) == 1:
        namespace = _namespace(platform[0])
        result.append(NavGroup(namespace, labels.get(namespace, namespace), platform, (namespace,)))
    elif platform:
        namespaces = tuple(dict.fromkeys(_namespace(item) for item in platform))
        result.append(NavGroup(ADMINISTRATION, _("Administration"), platform, namespaces))
    return result


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
