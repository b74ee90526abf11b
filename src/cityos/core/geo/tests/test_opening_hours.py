# ruff: noqa: RUF001 - summaries use the en dash
"""Opening hours: their shape is checked, "open now" is in the city's zone, and they read well."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone, translation

from cityos.core.geo.opening_hours import describe, is_open, validate_opening_hours, weekly_table

WEEKDAYS = {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
# Monday 2026-11-23
MONDAY_NOON_UTC = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)


def city_time(hour: int, minute: int = 0) -> datetime.datetime:
    """Monday 2026-11-23 at hour:minute on the city's clock (whatever TIME_ZONE is configured)."""
    return datetime.datetime(2026, 11, 23, hour, minute, tzinfo=timezone.get_default_timezone())


def test_valid_hours_are_kept_and_missing_days_become_closed_days():
    hours = validate_opening_hours({"mon": [["08:00", "12:00"], ["13:00", "24:00"]]})
    assert hours["mon"] == [["08:00", "12:00"], ["13:00", "24:00"]]
    assert hours["sun"] == [] and len(hours) == 7


def test_no_hours_means_not_published():
    assert validate_opening_hours({}) == {} and validate_opening_hours(None) == {}


@pytest.mark.parametrize(
    ("hours", "fragment"),
    [
        ("8-5", "object of days"),
        ({"monday": []}, "“monday” is not a day"),
        ({"mon": "08:00-17:00"}, "list of [open, close]"),
        ({"mon": [["08:00"]]}, "pair"),
        ({"mon": [["8:00", "17:00"]]}, "opening time “8:00”"),
        ({"mon": [["08:00", "25:00"]]}, "closing time “25:00”"),
        ({"mon": [["24:00", "24:00"]]}, "opening time “24:00”"),
        ({"mon": [["17:00", "08:00"]]}, "open before it closes"),
        ({"mon": [["08:00", "12:00"], ["11:00", "14:00"]]}, "overlap"),
    ],
)
def test_malformed_hours_are_refused_saying_what_to_fix(hours, fragment):
    with pytest.raises(ValidationError) as caught:
        validate_opening_hours(hours)
    assert any(fragment in m for m in caught.value.messages), caught.value.messages


@override_settings(TIME_ZONE="America/New_York")
def test_open_now_is_decided_in_the_citys_zone():
    # 12:00 UTC is 07:00 in New York: not yet open; 14:00 UTC is 09:00: open.
    assert is_open(WEEKDAYS, MONDAY_NOON_UTC) is False
    assert is_open(WEEKDAYS, MONDAY_NOON_UTC + datetime.timedelta(hours=2)) is True


def test_closing_time_is_exclusive_and_24_00_covers_the_last_minute():
    assert is_open({"mon": [["08:00", "12:00"]]}, city_time(12)) is False
    assert is_open({"mon": [["20:00", "24:00"]]}, city_time(23, 59)) is True


def test_open_now_is_unknown_when_hours_are_not_published():
    assert is_open({}, MONDAY_NOON_UTC) is None


def test_a_summary_groups_days_with_the_same_hours():
    hours = validate_opening_hours({**WEEKDAYS, "sat": [["10:00", "14:00"]]})
    assert describe(hours) == "Mon–Fri: 08:00–17:00 · Sat: 10:00–14:00 · Sun: closed"
    assert describe(validate_opening_hours({d: [["00:00", "24:00"]] for d in WEEKDAYS | {"sat": 0, "sun": 0}})) == (
        "Every day: open 24 hours"
    )
    assert describe({}) == "Opening hours not published"


def test_the_summary_and_table_come_in_the_readers_language():
    hours = validate_opening_hours(WEEKDAYS)
    with translation.override("es"):
        assert describe(hours).startswith("lun–vie: 08:00–17:00")
        assert "cerrado" in describe(hours)
        assert weekly_table(hours)[0] == ("lunes", "08:00–17:00")
    with translation.override("zh-hant"):
        assert describe(hours).startswith("星期一–星期五")
