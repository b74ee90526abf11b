"""Which domain apps this installation runs.

A domain app is a package directly under ``cityos/`` with an ``apps.py`` (``core`` and
``devtools`` aside). Settings, URLs and the import contracts all read this one list, so adding a
module is adding its package: nothing in the core or the project files changes. A city turns a
module off with ``CITYOS_DISABLED_APPS=sensing,waste``.

This module imports nothing from Django: settings use it before Django is set up.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
NOT_DOMAINS = frozenset({"core", "devtools"})


def disabled_apps() -> frozenset[str]:
    return frozenset(
        a.strip().removeprefix("cityos.") for a in os.environ.get("CITYOS_DISABLED_APPS", "").split(",") if a.strip()
    )


def domain_apps(*, include_disabled: bool = False) -> list[str]:
    """Dotted names of the domain apps, e.g. ``["cityos.epi", "cityos.health"]``, sorted."""
    skip = NOT_DOMAINS if include_disabled else NOT_DOMAINS | disabled_apps()
    return sorted(
        f"cityos.{path.name}"
        for path in PACKAGE_ROOT.iterdir()
        if path.is_dir() and path.name not in skip and (path / "apps.py").exists()
    )
