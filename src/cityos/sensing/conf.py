"""Settings of the SensorThings API, read from the environment (see docs/modules/sensing.md)."""

from __future__ import annotations

import os


def public_reads() -> bool:
    """Reads are open to anyone unless CITYOS_STA_PUBLIC_READ is false."""
    return os.environ.get("CITYOS_STA_PUBLIC_READ", "true").strip().lower() not in {"0", "false", "no", "off"}


def default_top() -> int:
    return int(os.environ.get("CITYOS_STA_DEFAULT_TOP", "100"))


def max_top() -> int:
    """Server-driven paging: no page holds more entities than this."""
    return int(os.environ.get("CITYOS_STA_MAX_TOP", "10000"))
