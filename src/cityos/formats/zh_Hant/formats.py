"""Traditional Chinese: year, month, day, then the weekday."""

WEEKDAY_MONTH_DAY_FORMAT = "n月j日 D"  # 11月27日 星期五
WEEKDAY_DATE_FORMAT = "Y年n月j日 D"  # 2026年11月27日 星期五
LONG_WEEKDAY_DATE_FORMAT = "Y年n月j日 l"  # 2026年11月27日 星期五
SHORT_MONTH_DATE_FORMAT = "Y年n月j日"  # 2026年11月27日
