# ruff: noqa: RUF001, RUF002 - time and day ranges are written with an en dash, as in print
"""Weekly opening hours: validation, "open now" in the city's zone, and a readable summary.

The stored shape is ``{"mon": [["08:00", "17:00"]], ..., "sun": []}``: each day holds zero or
more [open, close] intervals in local time. ``"24:00"`` may close a day; a night that runs past
midnight is written as two intervals (``22:00-24:00`` and next day ``00:00-02:00``). An empty
dict means the hours are not published, so "open now" is unknown rather than false.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
END_OF_DAY = "24:00"

OpeningHours = dict[str, list[list[str]]]


def validate_opening_hours(value: Any) -> OpeningHours:
    """Return the hours in their stored shape, or raise ValidationError naming what to fix."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(
            _('Opening hours must be an object of days, e.g. {"mon": [["08:00", "17:00"]]}.'), code="invalid"
        )
    errors: list[str] = []
    cleaned: OpeningHours = {}
    for day, intervals in value.items():
        if day not in DAYS:
            errors.append(_("“%(day)s” is not a day; use one of %(days)s.") % {"day": day, "days": ", ".join(DAYS)})
            continue
        if not isinstance(intervals, list | tuple):
            errors.append(_("%(day)s: give a list of [open, close] pairs.") % {"day": day})
            continue
        pairs: list[list[str]] = []
        for interval in intervals:
            pair = _check_interval(day, interval, errors)
            if pair is not None:
                pairs.append(pair)
        pairs.sort()
        for earlier, later in pairwise(pairs):
            if later[0] < earlier[1]:
                errors.append(
                    _("%(day)s: %(first)s and %(second)s overlap.")
                    % {"day": day, "first": "–".join(earlier), "second": "–".join(later)}
                )
        cleaned[day] = pairs
    if errors:
        raise ValidationError(errors, code="invalid")
    # A published week names every day; a day left out is a closed day.
    return {day: cleaned.get(day, []) for day in DAYS} if cleaned else {}


def _check_interval(day: str, interval: Any, errors: list[str]) -> list[str] | None:
    if not isinstance(interval, list | tuple) or len(interval) != 2:
        errors.append(_('%(day)s: each interval is a pair [open, close], e.g. ["08:00", "17:00"].') % {"day": day})
        return None
    opens, closes = interval
    ok = True
    if not isinstance(opens, str) or not _TIME.match(opens):
        errors.append(
            _("%(day)s: opening time “%(time)s” is not HH:MM (00:00 to 23:59).") % {"day": day, "time": opens}
        )
        ok = False
    closes_ok = isinstance(closes, str) and bool(_TIME.match(closes) or closes == END_OF_DAY)
    if not closes_ok:
        errors.append(
            _("%(day)s: closing time “%(time)s” is not HH:MM (00:01 to 24:00).") % {"day": day, "time": closes}
        )
        ok = False
    if ok and not opens < closes:
        errors.append(
            _("%(day)s: the place must open before it closes (%(opens)s is not before %(closes)s).")
            % {"day": day, "opens": opens, "closes": closes}
        )
        ok = False
    return [opens, closes] if ok else None


def city_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def is_open(hours: OpeningHours, at: datetime.datetime | None = None) -> bool | None:
    """Whether the place is open at ``at`` (default now) in the city's zone; None when unpublished."""
    if not hours:
        return None
    local = (at or timezone.now()).astimezone(city_zone())
    now = local.strftime("%H:%M")
    return any(opens <= now < closes for opens, closes in hours.get(DAYS[local.weekday()], []))


def _day_range(first: int, last: int) -> str:
    if first == last:
        return str(WEEKDAYS_ABBR[first])
    return f"{WEEKDAYS_ABBR[first]}–{WEEKDAYS_ABBR[last]}"


def _intervals_text(intervals: list[list[str]]) -> str:
    if not intervals:
        return _("closed")
    if intervals == [["00:00", END_OF_DAY]]:
        return _("open 24 hours")
    return ", ".join(f"{opens}–{closes}" for opens, closes in intervals)


def describe(hours: OpeningHours) -> str:
    """A one-line summary in the active language, e.g. "Mon–Fri 08:00–17:00 · Sat closed"."""
    if not hours:
        return _("Opening hours not published")
    week = [hours.get(day, []) for day in DAYS]
    if all(day == week[0] for day in week):
        return _("Every day: %(hours)s") % {"hours": _intervals_text(week[0])}
    groups: list[tuple[int, int]] = []
    for index in range(7):
        if groups and week[groups[-1][1]] == week[index]:
            groups[-1] = (groups[-1][0], index)
        else:
            groups.append((index, index))
    return " · ".join(
        _("%(days)s: %(hours)s") % {"days": _day_range(first, last), "hours": _intervals_text(week[first])}
        for first, last in groups
    )


def weekly_table(hours: OpeningHours) -> list[tuple[str, str]]:
    """(day name, hours) rows for a detail page, in the active language."""
    return [(str(WEEKDAYS[index]), _intervals_text(hours.get(day, []))) for index, day in enumerate(DAYS)]
