"""How many bin reports an hour: per client (``conf.report_limit_per_hour``, counted by the
platform's :mod:`cityos.core.ratelimit`) and per bin from everyone together
(``conf.report_limit_per_bin_per_hour``), the same on the web form, the API and Open311."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cityos.core.ratelimit import over_target_limit
from cityos.waste import conf, refs


def bin_targets(ref: str) -> list[str]:
    """What a report of ``ref`` is counted against: the bin, however its reference was typed."""
    return [f"bin:{refs.canonical(ref)}"] if refs.canonical(ref) else []


def bin_reported_enough(ref: str) -> bool:
    """Counts one report of bin ``ref``; True once the bin is past its hourly limit."""
    return over_target_limit(conf.REPORT_LIMIT_SCOPE, bin_targets(ref), conf.report_limit_per_bin_per_hour())


def reported_enough_message() -> str:
    return _("This bin was reported many times in the past hour, so the city already knows. Thank you!")
