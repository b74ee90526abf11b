"""Settings of the health module, read from Django settings or the environment."""

from __future__ import annotations

from cityos.core.accounts.models import Role
from cityos.core.conf import module_setting
from cityos.core.registry import module_roles

# Health officers of the health department (CITYOS_HEALTH_DEPARTMENT, default "health") or of
# no department; administrators pass too.
HEALTH_ROLES = module_roles("health", Role.HEALTH_OFFICER)


def follow_up_days() -> int:
    """Length of a contact's daily follow-up and of a quarantine (WHO: 14 days)."""
    return int(module_setting("CITYOS_HEALTH_FOLLOW_UP_DAYS", "14"))


def default_geofence_metres() -> int:
    return int(module_setting("CITYOS_HEALTH_GEOFENCE_METRES", "150"))


def declaration_retention_days() -> int:
    """Days a resident's self-declaration is kept after its day (it is only useful for triage)."""
    return int(module_setting("CITYOS_HEALTH_DECLARATION_RETENTION_DAYS", "30"))


def case_retention_days() -> int:
    """Days a case, with its visits, contacts and follow-ups, is kept after it is closed."""
    return int(module_setting("CITYOS_HEALTH_CASE_RETENTION_DAYS", "365"))
