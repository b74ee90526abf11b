"""Settings of the rules engine and the operations centre (Django settings or the environment)."""

from __future__ import annotations

from cityos.core.conf import module_setting


def rules_max_age_minutes() -> int:
    """Observations older than this when they arrive (backfill, replays) do not open or close alerts."""
    return int(module_setting("CITYOS_SENSING_RULES_MAX_AGE_MINUTES", "60"))


def rule_index_ttl_seconds() -> float:
    """How long a process trusts its cached rule index before rebuilding it anyway."""
    return float(module_setting("CITYOS_SENSING_RULE_INDEX_TTL", "60"))


def low_battery_percent() -> float:
    """Below this battery level a device shows as "low battery" on the map and the health list."""
    return float(module_setting("CITYOS_SENSING_LOW_BATTERY", "15"))


def silent_after_minutes() -> int:
    """A thing not heard from for this long shows as "silent" on the map, unless a silence rule
    on one of its datastreams says sooner. A day and an hour: battery devices report at least twice
    a day even when nothing happens (bins, traps, idle parking bays)."""
    return int(module_setting("CITYOS_SENSING_SILENT_AFTER_MINUTES", "1500"))


def stream_seconds() -> int:
    """How long one server-sent-events response lasts before the browser reconnects."""
    return int(module_setting("CITYOS_SENSING_SSE_SECONDS", "60"))


def stream_poll_seconds() -> float:
    return float(module_setting("CITYOS_SENSING_SSE_POLL", "2"))
