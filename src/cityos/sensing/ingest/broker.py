"""The embedded MQTT broker (amqtt) of the demo, with CityOS credentials and publish grants.

`cityos serve --jobs` starts it on 127.0.0.1:1884 when CITYOS_MQTT_URL is empty (see
:func:`start_services`). Clients log in with any username and an API token as password, or as
the platform itself (client.PLATFORM_USERNAME). A token may publish observations only on the
topics of datastreams its owner may write to (a private Thing's only when their role covers it),
and, when it has publish grants, only to those; never on v1.1/CreateObservations. Nobody but
the platform subscribes to, or receives, what devices publish on a private Thing's datastreams
(a home's readings). In production Mosquitto does this with password and ACL files (see the docs).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session
from django.db import close_old_connections, connections

from cityos.sensing import conf as sensing_conf
from cityos.sensing.ingest import client as mqtt_client
from cityos.sensing.ingest import conf
from cityos.sensing.ingest.store import DATASTREAM_TOPIC

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """Who a broker session is: the platform, or a token's owner with its grants."""

    platform: bool = False
    token_id: int | None = None
    granted: frozenset[int] | None = None  # None: no grants, the owner's departments decide
    writable: frozenset[int] = field(default_factory=frozenset)  # datastreams the owner may write


def principal_for(username: str | None, password: str | None) -> Principal | None:
    """The principal these credentials name, or None when they are not valid."""
    if not password:
        return None
    if username == mqtt_client.PLATFORM_USERNAME:
        if hmac.compare_digest(password, mqtt_client.platform_password()):
            return Principal(platform=True)
        return None
    from cityos.core.api.selectors import token_for_secret
    from cityos.sensing.models import Datastream, PublishGrant
    from cityos.sensing.services import can_write
    from cityos.sensing.sta.privacy import Visibility

    try:
        token = token_for_secret(password)
        if token is None or not token.is_active:
            return None
        granted = frozenset(PublishGrant.objects.filter(token=token).values_list("datastream_id", flat=True))
        # A private Thing's datastreams the owner may not see are not theirs to publish to, as
        # over HTTP (where they do not exist for them), even in their own department.
        streams = Visibility.of(token.owner).restrict("Datastream", Datastream.objects.all())
        writable = frozenset(
            pk
            for pk, department_id in streams.values_list("pk", "thing__department_id")
            if can_write(token.owner, department_id)
        )
        return Principal(token_id=token.pk, granted=granted or None, writable=writable)
    finally:
        close_old_connections()


def _principal_in_pool(username: str | None, password: str | None) -> Principal | None:
    """principal_for on a pool thread, which then holds no database connection while idle."""
    try:
        return principal_for(username, password)
    finally:
        connections.close_all()


def may_publish(principal: Principal, topic: str) -> bool:
    """Whether ``principal`` may publish on ``topic`` (observations only, for tokens)."""
    if principal.platform:
        return True
    match = DATASTREAM_TOPIC.match(topic)
    if match is not None:
        datastream_id = int(match.group(1))
        # A grant counts while its owner may still write there (as over HTTP).
        return datastream_id in principal.writable and (principal.granted is None or datastream_id in principal.granted)
    # A dataArray body names its datastreams inside, where the broker cannot look, and the worker
    # stores what reaches it as the platform's: from a token it could write to any datastream,
    # a home's too. Tokens send dataArrays over HTTP (POST /CreateObservations), checked per row.
    return False


PRIVATE_CHECK_SECONDS = 60.0  # how long the broker trusts what it read of a datastream's privacy


def _private_in_pool(datastream_id: int) -> bool:
    from cityos.sensing.models import Datastream

    try:
        return Datastream.objects.filter(pk=datastream_id, thing__private=True).exists()
    finally:
        connections.close_all()


class PrivateStreams:
    """Whether a datastream belongs to a private Thing, read again at most once a minute each."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[bool, float]] = {}

    async def private(self, topic: str) -> bool:
        match = DATASTREAM_TOPIC.match(topic)
        if match is None:
            return False
        datastream_id = int(match.group(1))
        known = self._known.get(datastream_id)
        if known is not None and time.monotonic() - known[1] < PRIVATE_CHECK_SECONDS:
            return known[0]
        private = await asyncio.to_thread(_private_in_pool, datastream_id)
        self._known[datastream_id] = (private, time.monotonic())
        return private


private_streams = PrivateStreams()


class CityAuthPlugin(BaseAuthPlugin):
    """Logs clients in with an API token (as password) or the platform's credentials."""

    @dataclass
    class Config:
        pass

    async def authenticate(self, *, session: Session) -> bool | None:
        principal = await asyncio.to_thread(_principal_in_pool, session.username, session.password)
        session.cityos_principal = principal  # type: ignore[attr-defined]
        return principal is not None


class CityTopicPlugin(BaseTopicPlugin):
    """Enforces publish rights and grants; anyone logged in may subscribe to the v1.1 topics,
    but only the platform to a private Thing's datastream or receive what is published there."""

    @dataclass
    class Config:
        pass

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool | None:
        principal: Principal | None = getattr(session, "cityos_principal", None)
        if principal is None or topic is None:
            return False
        if action == Action.PUBLISH:
            return may_publish(principal, topic)
        if principal.platform:
            return True
        return topic.startswith("v1.1/") and not await private_streams.private(topic)


def broker_config(host: str, port: int) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "timeout_disconnect_delay": 0,
        "plugins": {
            f"{__name__}.CityAuthPlugin": {},
            f"{__name__}.CityTopicPlugin": {},
        },
    }


class EmbeddedBroker:
    """An amqtt broker running its own event loop in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1884) -> None:
        self.host, self.port = host, port
        self.started = threading.Event()
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Broker | None = None
        self._thread = threading.Thread(target=self._run, name="cityos-mqtt-broker", daemon=True)

    def start(self, timeout: float = 15.0) -> EmbeddedBroker:
        self._thread.start()
        if not self.started.wait(timeout):
            raise RuntimeError(f"the embedded MQTT broker did not start on {self.host}:{self.port}")
        if self.error is not None:
            raise RuntimeError(f"the embedded MQTT broker could not start: {self.error}") from self.error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._broker = Broker(broker_config(self.host, self.port), loop=loop)
            loop.run_until_complete(self._broker.start())
        except BaseException as error:  # reported to start()
            self.error = error
            self.started.set()
            return
        self.started.set()
        loop.run_forever()

    def stop(self) -> None:
        if self._loop is None or self._broker is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


_started: dict[str, Any] = {}


def start_services() -> None:
    """Background service (see core's registry): the embedded broker and an ingest worker.

    With the embedded broker (CITYOS_MQTT_URL empty) this process runs it and a worker; with an
    external broker a worker only when CITYOS_INGEST_IN_PROCESS is true (production runs
    `cityos sensing_ingest` processes instead). Runs once per process.
    """
    if _started:
        return
    if sensing_conf.mqtt_embedded():
        parts = urlsplit(sensing_conf.EMBEDDED_MQTT_URL)
        try:
            _started["broker"] = EmbeddedBroker(parts.hostname or "127.0.0.1", parts.port or 1884).start()
        except RuntimeError:
            # Another process of this machine (`serve --jobs` beside a `cityos worker`) runs the
            # broker and its worker; a second worker with the same session would fight over it.
            logger.warning("embedded MQTT broker not started here: another process runs it", exc_info=True)
            return
    if conf.ingest_in_process():
        import os

        from cityos.sensing.ingest.worker import IngestWorker

        worker = IngestWorker(f"in-process-{os.getpid()}" if not sensing_conf.mqtt_embedded() else "embedded")
        thread = threading.Thread(target=worker.run, name="cityos-mqtt-ingest", daemon=True)
        thread.start()
        _started["worker"] = worker
