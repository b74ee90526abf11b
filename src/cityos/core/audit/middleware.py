from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from cityos.core.audit.context import Actor, acting_as
from cityos.core.proxies import client_address


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, also behind the city's trusted proxies (see :mod:`cityos.core.proxies`)."""
    return client_address(request)


class AuditContextMiddleware:
    """Makes the signed-in person and their address the actor of everything this request audits."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        authenticated = bool(user is not None and user.is_authenticated)
        actor = Actor(
            user_id=user.pk if authenticated else None,  # type: ignore[union-attr]
            label=user.get_username() if authenticated else "anonymous",  # type: ignore[union-attr]
            ip=client_ip(request),
            channel="api" if request.path.startswith("/api/") else "web",
            reason=request.headers.get("X-Audit-Reason", "")[:500],
        )
        with acting_as(actor):
            return self.get_response(request)
