"""Device tokens as Mosquitto logins (dynamic-security plugin), against a real Mosquitto.

Each test starts a private Mosquitto with the plugin, whose admin is the platform's MQTT user,
then checks what a device may do with its token: publish to its granted datastreams only, and
nothing at all once the token is revoked.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cityos.conftest import need
from cityos.core.accounts.models import User
from cityos.core.api.services import ApiTokenRevoked, revoke_token
from cityos.sensing.ingest import dynsec, services
from cityos.sensing.ingest.tests.conftest import free_port
from cityos.sensing.models import Datastream

PLUGIN = Path("/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so")
ADMIN, ADMIN_PASSWORD = "cityos-platform", "platform-secret"


@pytest.fixture
def dynsec_broker(settings: Any) -> Iterator[str]:
    """A private Mosquitto with dynamic security; CityOS set to manage its logins."""
    found = shutil.which("mosquitto") and shutil.which("mosquitto_ctrl") and PLUGIN.exists()
    need(bool(found), "Mosquitto with its dynamic-security plugin and mosquitto_ctrl")
    # Started as root, Mosquitto runs as its own user, which must read and rewrite the plugin's
    # file: a folder of its own outside pytest's private temporary folders.
    tmp_path = Path(tempfile.mkdtemp(prefix="cityos-dynsec-"))
    tmp_path.chmod(0o777)
    config = tmp_path / "dynsec.json"
    subprocess.run(
        ["mosquitto_ctrl", "dynsec", "init", str(config), ADMIN, ADMIN_PASSWORD],
        check=True,
        capture_output=True,
    )
    config.chmod(0o666)
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nplugin {PLUGIN}\nplugin_opt_config_file {config}\npersistence false\n")
    process = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    url = f"mqtt://{ADMIN}:{ADMIN_PASSWORD}@127.0.0.1:{port}"
    settings.CITYOS_MQTT_URL = url
    settings.CITYOS_MQTT_DYNSEC = "true"
    deadline = time.monotonic() + 10
    while True:
        try:
            with dynsec.Control(url, timeout=2):
                break
        except (ConnectionError, OSError, dynsec.BrokerError):
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)
    shutil.rmtree(tmp_path, ignore_errors=True)


class Device:
    """A device's MQTT 5 session with its token; remembers each publish's PUBACK reason."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.port = int(url.rsplit(":", 1)[1])
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, password)
        self.connected = threading.Event()
        self.refusal: Any = None
        self.acks: dict[int, Any] = {}
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self.refusal = reason
        self.connected.set()

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        self.acks[mid] = reason

    def connect(self) -> bool:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self.connected.wait(10), "the broker did not answer"
        return self.refusal is None

    def publish(self, topic: str) -> Any:
        """The broker's PUBACK reason for one QoS 1 observation on ``topic``."""
        info = self.client.publish(topic, b'{"result": 1.5}', qos=1)
        deadline = time.monotonic() + 10
        while info.mid not in self.acks and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.acks[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def topic(datastream: Datastream) -> str:
    return f"v1.1/Datastreams({datastream.pk})/Observations"


def test_a_device_token_publishes_only_to_its_granted_datastreams(
    dynsec_broker: str, operator: User, temperature: Datastream, door: Datastream
) -> None:
    device = services.issue_device_token(name="Gauge 4", datastream_ids=[temperature.pk], by=operator)
    gauge = Device(dynsec_broker, device.issued.token.prefix, device.issued.secret)
    assert gauge.connect()
    try:
        assert not gauge.publish(topic(temperature)).is_failure  # accepted (no subscriber here)
        assert gauge.publish(topic(door)).getName() == "Not authorized"
        assert gauge.publish("v1.1/Things").getName() == "Not authorized"
    finally:
        gauge.close()


def test_a_wrong_password_or_a_revoked_token_cannot_log_in(
    dynsec_broker: str, operator: User, temperature: Datastream
) -> None:
    device = services.issue_device_token(name="Gauge 5", datastream_ids=[temperature.pk], by=operator)
    prefix = device.issued.token.prefix
    impostor = Device(dynsec_broker, prefix, device.issued.secret + "x")
    assert not impostor.connect()
    impostor.close()
    revoke_token(device.issued.token, by=operator, reason="lost in the river")
    services.forget_revoked_device(ApiTokenRevoked(token_id=device.issued.token.pk, owner_id=operator.pk))
    revoked = Device(dynsec_broker, prefix, device.issued.secret)
    assert not revoked.connect()
    revoked.close()


def test_reconcile_drops_logins_of_revoked_tokens_and_resets_changed_grants(
    dynsec_broker: str, operator: User, temperature: Datastream, door: Datastream
) -> None:
    kept = services.issue_device_token(name="Kept", datastream_ids=[temperature.pk], by=operator)
    gone = services.issue_device_token(name="Gone", datastream_ids=[temperature.pk], by=operator)
    revoke_token(gone.issued.token, by=operator, reason="replaced")  # the broker was not told
    kept.issued.token.sensing_grants.update(datastream=door)  # grants changed behind its back
    outcome = dynsec.reconcile()
    assert outcome.removed == [gone.issued.token.prefix]
    assert outcome.updated == [dynsec.role_name(kept.issued.token.pk)]
    assert not Device(dynsec_broker, gone.issued.token.prefix, gone.issued.secret).connect()
    device = Device(dynsec_broker, kept.issued.token.prefix, kept.issued.secret)
    assert device.connect()
    try:
        assert not device.publish(topic(door)).is_failure
        assert device.publish(topic(temperature)).getName() == "Not authorized"
    finally:
        device.close()
    assert dynsec.reconcile() == dynsec.Reconciled()  # nothing left to do


def test_a_broker_that_refuses_leaves_no_token_behind(
    dynsec_broker: str, settings: Any, operator: User, temperature: Datastream
) -> None:
    settings.CITYOS_MQTT_URL = dynsec_broker.replace(ADMIN_PASSWORD, "wrong")
    with pytest.raises(dynsec.BrokerError, match="refused the connection"):
        services.issue_device_token(name="Gauge 6", datastream_ids=[temperature.pk], by=operator)
    assert not operator.api_tokens.filter(name="Gauge 6").exists()


def test_a_device_reads_the_servers_topics_but_not_what_devices_publish_on_datastreams(
    dynsec_broker: str, operator: User, temperature: Datastream, door: Datastream
) -> None:
    """A datastream's own topic may carry a home's readings straight from its device: another
    device's token may subscribe to v1.1/# but gets only what the server publishes."""
    gauge = services.issue_device_token(name="Gauge", datastream_ids=[temperature.pk], by=operator)
    nosy = services.issue_device_token(name="Nosy", datastream_ids=[door.pk], by=operator)
    publisher = Device(dynsec_broker, gauge.issued.token.prefix, gauge.issued.secret)
    listener = Device(dynsec_broker, nosy.issued.token.prefix, nosy.issued.secret)
    with dynsec.Control(dynsec_broker) as control:  # the platform publishes under v1.1/, as the docs set it up
        control.run(
            [
                {
                    "command": "createRole",
                    "rolename": "platform",
                    "acls": [{"acltype": "publishClientSend", "topic": "v1.1/#", "allow": True}],
                },
                {
                    "command": "createClient",
                    "username": "web",
                    "password": "web-secret",
                    "roles": [{"rolename": "platform"}],
                },
            ]
        )
    platform = Device(dynsec_broker, "web", "web-secret")
    received: list[str] = []
    subscribed = threading.Event()
    listener.client.on_message = lambda _c, _u, message: received.append(message.topic)
    listener.client.on_subscribe = lambda *_args: subscribed.set()
    try:
        assert publisher.connect() and listener.connect() and platform.connect()
        listener.client.subscribe("v1.1/#", qos=1)
        assert subscribed.wait(10)
        assert not publisher.publish(topic(temperature)).is_failure  # accepted, not passed on
        assert not platform.publish("v1.1/Observations").is_failure
        deadline = time.monotonic() + 5
        while "v1.1/Observations" not in received and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        assert received == ["v1.1/Observations"]
    finally:
        for device in (publisher, listener, platform):
            device.close()
