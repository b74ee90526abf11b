"""Settings of the SensorThings API (Django settings or the environment; see docs/modules/sensing.md)."""

from __future__ import annotations

from cityos.core.conf import module_flag, module_setting


def public_reads() -> bool:
    """Reads are open to anyone unless CITYOS_STA_PUBLIC_READ is false."""
    return module_flag("CITYOS_STA_PUBLIC_READ", True)


def default_top() -> int:
    return int(module_setting("CITYOS_STA_DEFAULT_TOP", "100"))


def max_top() -> int:
    """Server-driven paging: no page holds more entities than this."""
    return int(module_setting("CITYOS_STA_MAX_TOP", "10000"))


def mqtt_url() -> str:
    """The MQTT broker devices publish to. Empty: the embedded broker that `cityos serve --jobs`
    (and so `make demo`) starts on EMBEDDED_MQTT_URL; in production and CI, Mosquitto."""
    return str(module_setting("CITYOS_MQTT_URL", "")) or EMBEDDED_MQTT_URL


def mqtt_embedded() -> bool:
    return not module_setting("CITYOS_MQTT_URL", "")


# Not 1883, so the demo's own broker never collides with a Mosquitto already on the machine.
EMBEDDED_MQTT_URL = "mqtt://127.0.0.1:1884"
