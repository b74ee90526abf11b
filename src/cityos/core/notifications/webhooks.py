"""What every webhook from a message gateway needs: its token checked, its body read, and a
problem+json answer. Used by core's SMS and receipt hooks and by modules' own SMS keywords."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


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


def problem(status: int, detail: str, errors: dict[str, list[str]] | None = None, **extra: Any) -> JsonResponse:
    """An RFC 9457 problem; ``extra`` members (such as the ``reply`` a gateway texts back) are added."""
    body: dict[str, Any] = {"type": "about:blank", "status": status, "title": detail, "detail": detail}
    if errors:
        body["errors"] = [{"field": f, "message": m} for f, ms in errors.items() for m in ms]
    body.update(extra)
    return JsonResponse(body, status=status, content_type="application/problem+json")


class KeywordQuery(Protocol):
    """A parsed SMS keyword query; ``language`` is the language its keyword was written in, if any."""

    @property
    def language(self) -> str: ...


def account_language(sender: str) -> str:
    """The saved language of the account with this phone number, or ""."""
    from cityos.core.accounts.models import User
    from cityos.core.accounts.phones import normalise_phone

    try:
        number = normalise_phone(sender)
    except ValidationError:
        return ""
    user = User.objects.filter(phone=number).only("language").first()
    return user.language if user else ""


def inbound_sms_fields(request: HttpRequest) -> tuple[str, str] | JsonResponse:
    """The sender and text of a gateway's inbound SMS ({"from": phone, "text" or "body": ...}),
    or the problem to answer when the gateway is not authorised or names no sender."""
    if not gateway_authorised(request):
        return problem(401, _("Send the gateway token as a bearer token."))
    data = gateway_payload(request)
    sender = str(data.get("from") or "")
    if not sender:
        return problem(400, _("The sender is missing."), {"from": [_("Give the sender's phone number.")]})
    return sender, str(data.get("text") or data.get("body") or "")


Q = TypeVar("Q", bound=KeywordQuery)


def sms_keyword_endpoint(
    parse: Callable[[str], Q | None], answer: Callable[[Q, str, str], tuple[str, str]]
) -> Callable[[HttpRequest], JsonResponse]:
    """A gateway webhook for a module's SMS keywords: {"from": phone, "text": "RISK harbour"} in,
    {"action": ..., "reply": ...} out, the reply in the keyword's language, else the sender's
    account language, else the city's. ``answer(query, language, sender)`` gets the sender's
    number too, for a module that keeps it (e.g. to follow up)."""

    @csrf_exempt
    @require_POST
    def inbound_sms(request: HttpRequest) -> JsonResponse:
        fields = inbound_sms_fields(request)
        if isinstance(fields, JsonResponse):
            return fields
        sender, text = fields
        query = parse(text)
        if query is None:
            return JsonResponse({"action": "ignored", "reply": ""})
        language = query.language or account_language(sender) or settings.LANGUAGE_CODE
        action, reply = answer(query, language, sender)
        return JsonResponse({"action": action, "reply": reply})

    return inbound_sms
