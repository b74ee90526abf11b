"""The worker's lean MQTT read path: the same topic, payload and packet id as paho's own."""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as mqtt
import pytest

from cityos.sensing.ingest.worker import PUBACK, BufferedClient


def _publish_packet(topic: str, payload: bytes, mid: int, *, properties: bytes) -> bytearray:
    name = topic.encode()
    return bytearray(len(name).to_bytes(2, "big") + name + mid.to_bytes(2, "big") + properties + payload)


@pytest.mark.parametrize(
    ("protocol", "properties"),
    [
        (mqtt.MQTTv311, b""),
        (mqtt.MQTTv5, b"\x00"),
        # Properties the broker may add (message expiry, user property): skipped, not taken as payload.
        (mqtt.MQTTv5, b"\x0e\x02\x00\x00\x00\x3c\x26\x00\x01k\x00\x03val"),
    ],
)
def test_fast_path_reads_topic_payload_and_packet_id(protocol: int, properties: bytes) -> None:
    client = BufferedClient(mqtt.CallbackAPIVersion.VERSION2, protocol=protocol, manual_ack=True)
    seen: list[tuple[Any, ...]] = []
    client.fast_message = lambda *args: seen.append(args)
    payload = b'{"result": 21.5, "phenomenonTime": "2024-01-01T00:00:00Z"}'
    client._in_packet["command"] = 0x32  # PUBLISH, QoS 1
    client._in_packet["packet"] = _publish_packet(
        "v1.1/Datastreams(7)/Observations", payload, 513, properties=properties
    )
    assert client._handle_publish() == mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS
    assert seen == [("v1.1/Datastreams(7)/Observations", payload, 513, 1)]
    assert type(seen[0][1]) is bytes


def test_qos2_and_bad_topics_take_pahos_path() -> None:
    client = BufferedClient(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311, manual_ack=True)
    fast: list[Any] = []
    slow: list[mqtt.MQTTMessage] = []
    client.fast_message = lambda *args: fast.append(args)
    client.on_message = lambda _c, _u, message: slow.append(message)
    client._in_packet["command"] = 0x30  # QoS 0, topic not UTF-8
    client._in_packet["packet"] = bytearray(b"\x00\x02\xff\xfeok")
    client._handle_publish()
    assert fast == [] and len(slow) == 1 and slow[0].payload == b"ok"


def test_acks_go_out_as_one_write() -> None:
    client = BufferedClient(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    client.ack_all([1, 2, 65535])
    (packet,) = client._out_packet
    assert packet["packet"] == PUBACK.pack(0x40, 2, 1) + PUBACK.pack(0x40, 2, 2) + b"\x40\x02\xff\xff"
    client.ack_all([])
    assert len(client._out_packet) == 1
