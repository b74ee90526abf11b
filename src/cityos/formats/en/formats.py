"""English: weekday, day, month (as the pages have always shown it)."""

WEEKDAY_MONTH_DAY_FORMAT = "D j M"  # Fri 27 Nov
WEEKDAY_DATE_FORMAT = "D j M Y"  # Fri 27 Nov 2026
LONG_WEEKDAY_DATE_FORMAT = "l j F Y"  # Friday 27 November 2026
SHORT_MONTH_DATE_FORMAT = "j M Y"  # 27 Nov 2026
