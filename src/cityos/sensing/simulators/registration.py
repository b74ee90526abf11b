"""What this part of the sensing app adds to core's registry (called from SensingConfig.register)."""

from __future__ import annotations

from cityos.core.registry import Registry


def register(registry: Registry) -> None:
    """Nav items, tiles, periodic jobs and demo steps of this part."""
