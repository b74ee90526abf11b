"""Settings of the health module, read from Django settings or the environment."""

from __future__ import annotations

from cityos.core.accounts.models import Role
from cityos.core.conf import module_setting

HEALTH_ROLES: tuple[str, ...] = (Role.HEALTH_OFFICER,)


def follow_up_days() -> int:
    """Length of a contact's daily follow-up and of a quarantine (WHO: 14 days)."""
    return int(module_setting("CITYOS_HEALTH_FOLLOW_UP_DAYS", "14"))


def default_geofence_metres() -> int:
    return int(module_setting("CITYOS_HEALTH_GEOFENCE_METRES", "150"))
