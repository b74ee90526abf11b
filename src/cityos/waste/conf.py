"""Waste settings, read at call time (a Django setting of the same name, else the environment)."""

from __future__ import annotations

from functools import lru_cache

from cityos.core.conf import module_setting
from cityos.core.registry import module_roles

# Staff who plan collections and manage bins; crews see and mark their routes. Both count for
# roles of the waste department (CITYOS_WASTE_DEPARTMENT, default "waste") or of no department.
PLANNER_ROLES = module_roles("waste", "operator")
CREW_ROLES = module_roles("waste", "operator", "service_agent")
# Simulations on the results page and through the API weigh policies, not routes: short solves.
COMPARISON_SOLVER_SECONDS = 0.3
# The longest solve a page or API request may ask for: with the forecasts and saving it must end
# well within the web server's 120-second limit (`cityos serve`), or the worker is killed mid-plan.
MAX_REQUEST_SOLVE_SECONDS = 90
# Someone waits for a plan asked for by a page or the API: its solve also stops after this many
# iterations in a row without a better plan. Same routes, sooner: 60 bins 3 s instead of 30 s,
# 300 bins 13-24 s (docs/benchmarks.md); the nightly plan uses its whole time.
REQUEST_PATIENCE = 5000


def circuity() -> float:
    """Road distance over straight-line distance when no road network is configured."""
    return float(module_setting("CITYOS_WASTE_CIRCUITY", "1.3"))


def speed_kmh() -> float:
    """Average collection-vehicle speed between stops (km/h)."""
    return float(module_setting("CITYOS_WASTE_SPEED_KMH", "25"))


def road_network_path() -> str:
    """GeoJSON file of the road network (LineStrings); empty: straight line times circuity."""
    return module_setting("CITYOS_WASTE_ROAD_NETWORK", "")


def solver_seconds() -> float:
    """Time limit of the daily plan's solve."""
    return float(module_setting("CITYOS_WASTE_SOLVER_SECONDS", "30"))


def optional_threshold() -> float:
    """Bins at least this full (%) are offered to the planner as optional collections."""
    return float(module_setting("CITYOS_WASTE_OPTIONAL_FROM", "55"))


def must_risk() -> float:
    """A bin whose overflow probability before the next shift exceeds this must be collected."""
    return float(module_setting("CITYOS_WASTE_MUST_RISK", "0.3"))


def visit_metres() -> float:
    """Metres of driving a full bin's visit is worth (an optional bin's prize is fill/100 times
    it); 0: the typical marginal cost of a visit among the city's bins."""
    return float(module_setting("CITYOS_WASTE_VISIT_METRES", "0"))


@lru_cache(maxsize=4)
def _network(path: str, speed: float) -> object:
    from cityos.waste.roads import RoadNetwork

    return RoadNetwork.from_file(path, speed_kmh=speed)


def travel_model() -> object:
    """The configured travel model: the road network if one is set, else the straight line."""
    from cityos.waste.routing import StraightLine

    path = road_network_path()
    if path:
        return _network(path, speed_kmh())
    return StraightLine(circuity=circuity(), speed_kmh=speed_kmh())


def report_phone_days() -> int:
    """Days a resident's phone number is kept with a bin report (to answer by SMS)."""
    return int(module_setting("CITYOS_WASTE_REPORT_PHONE_DAYS", "30"))


def report_must_max() -> int:
    """At most this many residents' "full" reports make bins must-collect in one plan."""
    return int(module_setting("CITYOS_WASTE_REPORT_MUST_MAX", "50"))


# The hourly count of reports per client address, shared by the form, the API and Open311.
REPORT_LIMIT_SCOPE = "waste-report"


def report_limit_per_hour() -> int:
    """Reports one client may send in an hour (form, API and Open311 together): an anonymous
    address, or a signed-in person or token wherever they are. Generous, as a library or a
    carrier's NAT puts many residents behind one address; :func:`report_limit_per_bin_per_hour`
    catches a script spread over many."""
    return int(module_setting("CITYOS_WASTE_REPORT_LIMIT_PER_HOUR", "120"))


def report_limit_per_bin_per_hour() -> int:
    """Reports of one bin in an hour, from everyone together (form, API and Open311): past it the
    city knows, and more would only inflate the bin's count."""
    return int(module_setting("CITYOS_WASTE_REPORT_LIMIT_PER_BIN_PER_HOUR", "10"))
