"""Device tokens as Mosquitto logins: the broker's dynamic-security plugin kept in step with grants.

With ``CITYOS_MQTT_DYNSEC=true`` (and Mosquitto's ``mosquitto_dynamic_security`` plugin loaded,
the platform's MQTT user holding its admin role), each device token with publish grants is a
Mosquitto client: username the token's prefix, password the token itself, and a role
``cityos-token-<id>`` that may publish only to ``v1.1/Datastreams(<id>)/Observations`` of its
grants and read the server's ``v1.1/`` topics (not what other devices publish on datastreams' own
topics, which may be a private home's readings). So Mosquitto refuses what the token may not do, as
the embedded broker does, without hand-written ACL files.

- Issuing a token creates its client inside the issuing transaction: if the broker refuses,
  nothing is saved and the operator is told why (the password exists only at that moment).
- Revoking a token deletes its client (an event handler, retried by the event queue).
- :func:`reconcile`, a periodic job, deletes clients of tokens revoked, expired or gone, and
  sets each role's ACLs to the token's current grants.

Commands go to ``$CONTROL/dynamic-security/v1`` and answers come back on its ``/response`` topic
(Mosquitto's documented control API; ``mosquitto_ctrl`` speaks the same).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.utils import timezone
from paho.mqtt.client import Client

from cityos.core.api.models import ApiToken
from cityos.core.conf import module_flag
from cityos.sensing.ingest import client as mqtt_client
from cityos.sensing.models import PublishGrant

logger = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = CONTROL_TOPIC + "/response"
ROLE_PREFIX = "cityos-token-"


def enabled() -> bool:
    """Whether CityOS manages device logins on Mosquitto (CITYOS_MQTT_DYNSEC)."""
    return module_flag("CITYOS_MQTT_DYNSEC", default=False)


class BrokerError(Exception):
    """The broker refused a command, or did not answer."""


def role_name(token_id: int) -> str:
    return f"{ROLE_PREFIX}{token_id}"


ACL_KEYS = ("acltype", "topic", "allow", "priority")


def role_acls(datastream_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Publish to the granted datastreams' observation topics; read the server's v1.1/ topics.

    Not what devices publish on datastreams' own topics (``v1.1/Datastreams(<id>)/Observations``):
    that may be a home's readings (a private Thing's). The server's own topics
    (``v1.1/Observations``, ``v1.1/Things``...) leave private Things out.
    """
    acls: list[dict[str, Any]] = [
        {"acltype": "publishClientSend", "topic": f"v1.1/Datastreams({pk})/Observations", "allow": True, "priority": 0}
        for pk in sorted(set(datastream_ids))
    ]
    acls.append({"acltype": "subscribePattern", "topic": "v1.1/#", "allow": True, "priority": 0})
    acls.append({"acltype": "publishClientReceive", "topic": "v1.1/#", "allow": True, "priority": 0})
    # Checked first (a higher priority): no delivery from any datastream's topic.
    acls.append({"acltype": "publishClientReceive", "topic": "v1.1/+/Observations", "allow": False, "priority": 1})
    return acls


@dataclass
class Control:
    """A short-lived admin connection that sends commands and waits for their answers."""

    url: str | None = None
    timeout: float = 10.0
    _client: Client | None = None
    _answers: list[dict[str, Any]] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def __enter__(self) -> Control:
        client = mqtt_client.new_client(f"cityos-dynsec-{uuid.uuid4().hex[:8]}", url=self.url)
        client.on_message = self._on_message
        subscribed = threading.Event()
        client.on_subscribe = lambda *_args: subscribed.set()
        mqtt_client.connect(client, url=self.url, timeout=self.timeout)
        client.subscribe(RESPONSE_TOPIC, qos=1)
        if not subscribed.wait(self.timeout):
            raise BrokerError("The MQTT broker did not confirm the dynamic-security response topic.")
        self._client = client
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()

    def _on_message(self, _client: Client, _userdata: Any, message: Any) -> None:
        try:
            answers = orjson.loads(message.payload).get("responses", [])
        except (orjson.JSONDecodeError, AttributeError):
            return
        with self._arrived:
            self._answers.extend(answers)
            self._arrived.notify_all()

    def run(self, commands: list[dict[str, Any]], *, tolerate: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Sends ``commands`` in one message; returns one answer each, in order.

        An answer with an error raises :class:`BrokerError`, unless its text contains one of
        ``tolerate`` (e.g. "not found" when deleting what is already gone).
        """
        assert self._client is not None, "use Control as a context manager"
        if not commands:
            return []
        tolerated = tuple(tolerate)
        with self._arrived:
            self._answers.clear()
            self._client.publish(CONTROL_TOPIC, orjson.dumps({"commands": commands}), qos=1)
            if not self._arrived.wait_for(lambda: len(self._answers) >= len(commands), self.timeout):
                raise BrokerError(
                    "The MQTT broker did not answer the dynamic-security commands: is the plugin loaded "
                    "and the platform's user its admin?"
                )
            answers = self._answers[: len(commands)]
        for command, answer in zip(commands, answers, strict=True):
            error = answer.get("error")
            if error and not any(text in str(error) for text in tolerated):
                raise BrokerError(f"The MQTT broker refused {command['command']}: {error}")
        return answers


def _grants(token_ids: Iterable[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for token_id, datastream_id in PublishGrant.objects.filter(token_id__in=list(token_ids)).values_list(
        "token_id", "datastream_id"
    ):
        out.setdefault(token_id, set()).add(datastream_id)
    return out


def add_device(token: ApiToken, secret: str, datastream_ids: Iterable[int], *, url: str | None = None) -> None:
    """Creates the token's Mosquitto client and role (replacing any left from before)."""
    role = role_name(token.pk)
    with Control(url) as control:
        control.run(
            [{"command": "deleteClient", "username": token.prefix}, {"command": "deleteRole", "rolename": role}],
            tolerate=("not found",),
        )
        control.run(
            [
                {"command": "createRole", "rolename": role, "acls": role_acls(datastream_ids)},
                {
                    "command": "createClient",
                    "username": token.prefix,
                    "password": secret,
                    "textname": token.name[:100],
                    "roles": [{"rolename": role}],
                },
            ]
        )


def remove_device(token_id: int, username: str, *, url: str | None = None) -> None:
    with Control(url) as control:
        control.run(
            [
                {"command": "deleteClient", "username": username},
                {"command": "deleteRole", "rolename": role_name(token_id)},
            ],
            tolerate=("not found",),
        )


@dataclass
class Reconciled:
    removed: list[str] = field(default_factory=list)  # usernames
    updated: list[str] = field(default_factory=list)  # roles whose ACLs were set again


def reconcile(*, url: str | None = None) -> Reconciled:
    """Makes the broker's token clients and roles match the active tokens and their grants."""
    outcome = Reconciled()
    now = timezone.now()
    with Control(url) as control:
        roles_answer, clients_answer = control.run(
            [{"command": "listRoles", "verbose": True}, {"command": "listClients", "verbose": True}]
        )
        roles = {
            str(r["rolename"]): r
            for r in roles_answer.get("data", {}).get("roles", [])
            if str(r.get("rolename", "")).removeprefix(ROLE_PREFIX).isdigit() and r["rolename"].startswith(ROLE_PREFIX)
        }
        members: dict[str, list[str]] = {}  # role -> usernames
        for client in clients_answer.get("data", {}).get("clients", []):
            for held in client.get("roles", []):
                members.setdefault(str(held.get("rolename")), []).append(str(client.get("username")))
        tokens = ApiToken.objects.in_bulk([int(name.removeprefix(ROLE_PREFIX)) for name in roles])
        grants = _grants(tokens)
        commands: list[dict[str, Any]] = []
        for name, role in sorted(roles.items()):
            token = tokens.get(int(name.removeprefix(ROLE_PREFIX)))
            active = (
                token is not None
                and token.revoked_at is None
                and (token.expires_at is None or token.expires_at > now)
                and token.pk in grants
            )
            if token is None or not active:
                for username in members.get(name, []):
                    commands.append({"command": "deleteClient", "username": username})
                    outcome.removed.append(username)
                commands.append({"command": "deleteRole", "rolename": name})
                continue
            wanted = role_acls(grants[token.pk])
            have = [{k: acl.get(k, 0 if k == "priority" else None) for k in ACL_KEYS} for acl in role.get("acls", [])]
            if sorted(have, key=orjson.dumps) != sorted(wanted, key=orjson.dumps):
                commands.extend(
                    {"command": "removeRoleACL", "rolename": name, "acltype": acl["acltype"], "topic": acl["topic"]}
                    for acl in have
                )
                commands.extend({"command": "addRoleACL", "rolename": name, **acl} for acl in wanted)
                outcome.updated.append(name)
        control.run(commands, tolerate=("not found",))
    return outcome
