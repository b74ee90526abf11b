"""Module settings: one way for every app to read its own configuration.

A module's setting comes from Django settings when the project defines it (tests override it
there), else from the environment variable of the same name, else its default. So a city sets
``CITYOS_EPI_SI_MEAN=5.2`` in the environment without anyone editing settings.py.
"""

from __future__ import annotations

import os

from django.conf import settings


def module_setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, default)
    return str(value)


def module_flag(name: str, default: bool) -> bool:
    return module_setting(name, "true" if default else "false").strip().lower() in {"1", "true", "yes", "on"}
