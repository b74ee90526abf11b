"""The project's own date formats per language (``FORMAT_MODULE_PATH``), next to Django's.

Each language's ``formats`` module defines the same names, so a template asks for a format by
name (``{{ day|date:"WEEKDAY_MONTH_DAY_FORMAT" }}``) and each reader gets their language's
order: "Fri 27 Nov", "11月27日 星期五", "vie 27 nov". A name missing from a language would be
read as a format string itself, so every module defines every name (a test checks it).
"""
