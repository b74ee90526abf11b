"""Settings of MQTT ingest (Django settings or the environment; see /docs ingest section)."""

from __future__ import annotations

from django.conf import settings

from cityos.core.conf import module_flag, module_setting
from cityos.sensing import conf


def share_group() -> str:
    """The MQTT shared-subscription group of ingest workers; empty: a plain subscription.

    The embedded broker (amqtt) has no shared subscriptions: workers on it ignore this.
    """
    return module_setting("CITYOS_MQTT_SHARE_GROUP", "cityos-ingest").strip()


def batch_size() -> int:
    """Most messages stored in one transaction."""
    return max(1, int(module_setting("CITYOS_INGEST_BATCH_SIZE", "2000")))


def batch_wait() -> float:
    """Seconds a batch waits for more messages after its first one arrived."""
    return max(0.0, int(module_setting("CITYOS_INGEST_BATCH_MS", "50")) / 1000)


def receive_maximum() -> int:
    """Unacknowledged QoS 1 messages the broker may send a worker at once (MQTT 5 Receive Maximum)."""
    return min(65535, max(batch_size() * 4, int(module_setting("CITYOS_INGEST_RECEIVE_MAXIMUM", "65535"))))


def session_expiry() -> int:
    """Seconds the broker keeps a stopped worker's session and queued messages."""
    return int(module_setting("CITYOS_INGEST_SESSION_EXPIRY", str(7 * 24 * 3600)))


def receipt_hours() -> float:
    """How long message fingerprints are kept: identical messages within it count as one."""
    return float(module_setting("CITYOS_INGEST_RECEIPT_HOURS", "24"))


def publish_entities() -> bool:
    """Publish new entities on the standard SensorThings topics (off by default under tests)."""
    return module_flag("CITYOS_MQTT_PUBLISH_ENTITIES", not getattr(settings, "TESTING", False))


def ingest_in_process() -> bool:
    """Run an ingest worker inside `cityos serve --jobs` / `cityos worker` (default: with the embedded broker)."""
    return module_flag("CITYOS_INGEST_IN_PROCESS", conf.mqtt_embedded())
