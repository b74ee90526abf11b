"""Module settings: one way for every app to read its own configuration.

A module's setting comes from Django settings when the project defines it (tests override it
there), else from the environment variable of the same name, else its default. So a city sets
``CITYOS_EPI_SI_MEAN=5.2`` in the environment without anyone editing settings.py.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def module_setting(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, default)
    return str(value)


def module_flag(name: str, default: bool) -> bool:
    return module_setting(name, "true" if default else "false").strip().lower() in {"1", "true", "yes", "on"}


def module_codes(name: str, default: str) -> frozenset[str]:
    """A setting that lists codes: comma-separated, or (in Django settings) a list or tuple.

    Unlike :func:`module_setting`, a setting that is present but empty ("", " ", ",", ``[]``)
    names no codes rather than falling back to ``default``: these lists grant access, so a blanked
    value must shut the door, not open it.
    """
    value: object = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        raise ImproperlyConfigured(f"{name} must list codes (comma-separated or a list), not {type(value).__name__}.")
    return frozenset(code.strip() for item in items for code in str(item).split(",") if code.strip())
