"""What every webhook from a message gateway needs: its token checked, its body read, and a
problem+json answer. Used by core's SMS and receipt hooks and by modules' own SMS keywords."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse


def gateway_authorised(request: HttpRequest) -> bool:
    """The gateway sends CITYOS_GATEWAY_TOKEN as a bearer token; with no token set, nothing passes."""
    token = settings.CITYOS_GATEWAY_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


def gateway_payload(request: HttpRequest) -> dict[str, Any]:
    """A JSON object, or form fields with lower-cased names (e.g. From=...&Body=...)."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {k.lower(): v for k, v in request.POST.items()}


def problem(status: int, detail: str, errors: dict[str, list[str]] | None = None) -> JsonResponse:
    body: dict[str, Any] = {"type": "about:blank", "status": status, "title": detail, "detail": detail}
    if errors:
        body["errors"] = [{"field": f, "message": m} for f, ms in errors.items() for m in ms]
    return JsonResponse(body, status=status, content_type="application/problem+json")
