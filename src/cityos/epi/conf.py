"""The epi settings, read at call time so tests and cities can change them.

- ``CITYOS_EPI_SI_MEAN`` / ``CITYOS_EPI_SI_SD``: the serial interval (days) the hourly job
  discretises as EpiEstim's ``parametric_si`` does (defaults 4.7 and 2.9, SARS-CoV-2 estimates).
- ``CITYOS_EPI_WINDOW``: days in each Rt window (default 7).
- ``CITYOS_EPI_HISTORY_DAYS``: days of history the job reads for Rt and forecasts (default 180).
- ``CITYOS_EPI_FORECAST_SAMPLES``: trajectories per forecast (default 1000).
- ``CITYOS_SMALL_COUNT_THRESHOLD`` (core): public counts below it are suppressed (default 5).
"""

from __future__ import annotations

from cityos.core.conf import module_setting
from cityos.core.registry import module_roles

# Who enters case counts, lab results and hospital reports (administrators always pass): health
# officers of the health department (CITYOS_EPI_DEPARTMENT, default "health") or of none.
WRITE_ROLES = module_roles("epi", "health_officer")
CAPACITY_ALERT_TEMPLATE = "epi_capacity_alert"


def si_mean() -> float:
    return float(module_setting("CITYOS_EPI_SI_MEAN", "4.7"))


def si_sd() -> float:
    return float(module_setting("CITYOS_EPI_SI_SD", "2.9"))


def window() -> int:
    return int(module_setting("CITYOS_EPI_WINDOW", "7"))


def history_days() -> int:
    return int(module_setting("CITYOS_EPI_HISTORY_DAYS", "180"))


def forecast_samples() -> int:
    return int(module_setting("CITYOS_EPI_FORECAST_SAMPLES", "1000"))


def small_count_threshold() -> int:
    return int(module_setting("CITYOS_SMALL_COUNT_THRESHOLD", "5"))
