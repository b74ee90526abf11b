"""Settings of the health module, read from Django settings or the environment."""

from __future__ import annotations

import os

from django.conf import settings

from cityos.core.accounts.models import Role

HEALTH_ROLES: tuple[str, ...] = (Role.HEALTH_OFFICER,)


def _setting(name: str, default: str) -> str:
    return str(getattr(settings, name, os.environ.get(name, default)))


def follow_up_days() -> int:
    """Length of a contact's daily follow-up and of a quarantine (WHO: 14 days)."""
    return int(_setting("CITYOS_HEALTH_FOLLOW_UP_DAYS", "14"))


def default_geofence_metres() -> int:
    return int(_setting("CITYOS_HEALTH_GEOFENCE_METRES", "150"))
