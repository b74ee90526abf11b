"""Spanish: weekday, day, month, with lower-case abbreviations."""

WEEKDAY_MONTH_DAY_FORMAT = "D j b"  # vie 27 nov
WEEKDAY_DATE_FORMAT = "D j b Y"  # vie 27 nov 2026
LONG_WEEKDAY_DATE_FORMAT = r"l j \d\e F \d\e Y"  # viernes 27 de noviembre de 2026
SHORT_MONTH_DATE_FORMAT = "j b Y"  # 27 nov 2026
