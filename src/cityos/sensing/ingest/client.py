"""MQTT clients of the platform itself: connect to the configured broker and publish observations.

Other parts (simulators, the entity publisher, benchmarks) use `platform_client` and
`publish_observation`; keep their signatures stable.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson
from paho.mqtt.client import Client, MQTTMessageInfo
from paho.mqtt.enums import CallbackAPIVersion

from cityos.sensing import conf

# The embedded broker knows this user; its password is derived from SECRET_KEY (see
# platform_password), so there is no extra secret to configure for the demo.
PLATFORM_USERNAME = "cityos-platform"


def platform_password() -> str:
    """The platform's password on the embedded broker: an HMAC of Django's SECRET_KEY."""
    from django.conf import settings

    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, b"cityos-mqtt-platform", hashlib.sha256).hexdigest()


def broker_address(url: str | None = None) -> tuple[str, int, str | None, str | None, bool]:
    """(host, port, username, password, tls) from an mqtt:// or mqtts:// URL."""
    parts = urlsplit(url or conf.mqtt_url())
    tls = parts.scheme in ("mqtts", "ssl")
    port = parts.port or (8883 if tls else 1883)
    return parts.hostname or "127.0.0.1", port, parts.username, parts.password, tls


def new_client(client_id: str, *, clean_session: bool = True, url: str | None = None) -> Client:
    """A configured (not yet connected) MQTT 3.1.1 client for the platform's broker."""
    _host, _port, username, password, tls = broker_address(url)
    client = Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session)
    if username is None and conf.mqtt_embedded():
        username, password = PLATFORM_USERNAME, platform_password()
    if username is not None:
        client.username_pw_set(username, password)
    if tls:
        client.tls_set()
    # Large in-flight windows so QoS 1 publishing is not bound by round trips.
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


def connect(client: Client, *, url: str | None = None, timeout: float = 10.0) -> Client:
    """Connect, start the network loop, and wait until the broker accepted the connection."""
    host, port, *_ = broker_address(url)
    ready = threading.Event()
    failure: list[str] = []

    def on_connect(_c: Client, _u: Any, _f: Any, reason: Any, _p: Any = None) -> None:
        if getattr(reason, "is_failure", False):
            failure.append(str(reason))
        ready.set()

    previous = client.on_connect
    client.on_connect = on_connect
    client.connect(host, port, keepalive=30)
    client.loop_start()
    if not ready.wait(timeout):
        client.loop_stop()
        raise ConnectionError(f"MQTT broker {host}:{port} did not answer in {timeout:.0f} s")
    client.on_connect = previous
    if failure:
        client.loop_stop()
        client.disconnect()
        raise ConnectionError(f"MQTT broker {host}:{port} refused the connection: {failure[0]}")
    return client


def platform_client(client_id: str, *, url: str | None = None) -> Client:
    """A client connected (network loop running) to conf.mqtt_url() as the platform itself."""
    return connect(new_client(client_id, url=url), url=url)


def observations_topic(datastream_id: int) -> str:
    return f"v1.1/Datastreams({datastream_id})/Observations"


def publish_observation(client: Client, datastream_id: int, body: dict[str, Any], qos: int = 1) -> MQTTMessageInfo:
    """Publish one SensorThings Observation body (result, phenomenonTime, ...) to its Datastream."""
    return client.publish(observations_topic(datastream_id), orjson.dumps(body), qos=qos)
