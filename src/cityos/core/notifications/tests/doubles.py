"""Transports for tests: they fail the way real providers do."""

from __future__ import annotations

from cityos.core.notifications.models import Message
from cityos.core.notifications.transports import PermanentError, TransientError

calls: list[int] = []
behaviour: dict[str, object] = {"fail_times": 0, "permanent": False, "bug": False}


def reset() -> None:
    calls.clear()
    behaviour.update(fail_times=0, permanent=False, bug=False)


class FlakyTransport:
    """Fails transiently the first ``fail_times`` calls (or always, permanently, or with a bug of its
    own), then sends."""

    channel = "any"

    def send(self, message: Message) -> str:
        calls.append(message.pk)
        if behaviour["permanent"]:
            raise PermanentError("550 mailbox does not exist")
        if behaviour["bug"]:
            raise ValueError("a bug in the city's transport")
        if len(calls) <= int(behaviour["fail_times"]):  # type: ignore[call-overload]
            raise TransientError("503 gateway busy")
        return f"flaky-{message.pk}"
