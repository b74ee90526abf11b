"""Who manages the city's places: operators of the departments that keep them, and administrators.

``CITYOS_PLACES_DEPARTMENT`` (comma-separated department codes, ``*`` for every department,
default ``operations``) names those departments; an operator with no department counts too.
"""

from __future__ import annotations

from cityos.core.accounts.models import Role
from cityos.core.registry import module_roles

# Staff who manage places (withdrawn ones included), on the pages and through the API.
PLACE_ROLES = module_roles("places", "operator", "administrator")
# Districts are drawn in the back office, by administrators (who count in every department).
DISTRICT_ROLES: tuple[str, ...] = (Role.ADMINISTRATOR,)
