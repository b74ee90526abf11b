"""Settings of the monitoring services, read at call time so tests and cities can change them.

- ``CITYOS_MONITORING_PARKING_STALE_MINUTES``: a bay not heard from (any reading: a change of
  state or its heartbeat) for longer than this counts as unknown, not free or occupied
  (default 780: bay sensors report changes, and the demo's send a heartbeat every 12 hours).
- ``CITYOS_MONITORING_STALE_MINUTES``: a water- or air-quality reading older than this is shown
  as out of date and left out of the district's status (default 180).
- ``CITYOS_MONITORING_DAMP_DAYS``: days of temperature and humidity a home's damp risk is
  computed from (default 7).
- ``CITYOS_MONITORING_DAMP_RH``: relative humidity (%) at or above which an hour counts as
  humid (default 70, BS 5250's threshold for sustained mould risk).
- ``CITYOS_MONITORING_DAMP_DEW_MARGIN``: an hour whose dew point is within this many °C of the
  air temperature counts as a condensation hour (default 3).
- ``CITYOS_MONITORING_DAMP_THRESHOLD``: risk score (0-100) from which a home is at risk and
  gets a maintenance work order (default 50).
- ``CITYOS_MONITORING_TRAP_DAYS``: days of catches shown on the public trap map (default 30).
"""

from __future__ import annotations

from cityos.core.conf import module_setting
from cityos.core.registry import module_roles

# Both lists count for roles of the departments whose staff work with homes and traps
# (CITYOS_MONITORING_DEPARTMENT, default "environment,housing,social") or of no department.
# Housing staff who see tenants' homes and their work orders (administrators always pass).
HOUSING_ROLES = module_roles("monitoring", "caseworker")
# Staff who manage predator-trap data and exports.
TRAP_ROLES = module_roles("monitoring", "operator", "caseworker")


def parking_stale_minutes() -> int:
    return int(module_setting("CITYOS_MONITORING_PARKING_STALE_MINUTES", "780"))


def stale_minutes() -> int:
    return int(module_setting("CITYOS_MONITORING_STALE_MINUTES", "180"))


def damp_days() -> int:
    return int(module_setting("CITYOS_MONITORING_DAMP_DAYS", "7"))


def damp_rh() -> float:
    return float(module_setting("CITYOS_MONITORING_DAMP_RH", "70"))


def damp_dew_margin() -> float:
    return float(module_setting("CITYOS_MONITORING_DAMP_DEW_MARGIN", "3"))


def damp_threshold() -> int:
    return int(module_setting("CITYOS_MONITORING_DAMP_THRESHOLD", "50"))


def trap_days() -> int:
    return int(module_setting("CITYOS_MONITORING_TRAP_DAYS", "30"))
