"""The phone line for residents without a smartphone: call the city's number and hear the
community risk, spoken in the caller's language.

The voice gateway posts each step of a call to ``/epi/hooks/voice/`` with the gateway token
(as the SMS gateway does): ``{"from": phone, "digits": "", "language": ""}``. The answer is
TwiML-style markup (``<Response>`` with ``<Play>``, ``<Say>``, ``<Gather>``) that most voice
gateways read or translate. The speech is made by the core's espeak-ng synthesis and kept as a
media file named by a hash of its text, so the hourly figures are synthesised once per language,
not on every call.

- A caller whose phone belongs to a resident account with a district hears that district's
  figures in the account's language, then the menu.
- Everyone else hears the city's Rt and the menu: "press the number of your district".
- The language is the account's, else the one the gateway names (one number per language),
  else the city's default.
"""

from __future__ import annotations

import hashlib
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from cityos.core.accounts.models import Language, User
from cityos.core.accounts.phones import normalise_phone
from cityos.core.geo import selectors as geo_selectors
from cityos.core.notifications.rendering import join_sentences
from cityos.core.notifications.transports import PermanentError, TransientError, synthesise_speech
from cityos.core.notifications.webhooks import gateway_authorised, gateway_payload, problem
from cityos.epi import conf, selectors
from cityos.epi.sms import _district_reply, _rt_text

# BCP 47 tags for <Say> (the gateway's own text-to-speech, used only if audio cannot be made).
SAY_LANGUAGES = {"en": "en-US", "zh-hant": "zh-TW", "es": "es-ES"}
MAX_DIGITS = 2


def _caller(sender: str) -> User | None:
    try:
        number = normalise_phone(sender)
    except ValidationError:
        return None
    return User.objects.filter(phone=number).select_related("district").first()


def _language(caller: User | None, asked: str) -> str:
    if caller is not None and caller.language in Language.values:
        return caller.language
    return asked if asked in Language.values else settings.LANGUAGE_CODE


def _menu(rows: list[dict[str, Any]], language: str) -> str:
    choices = [
        _("For %(district)s, press %(number)d.")
        % {"district": geo_selectors.localized_name(r["name"], r.get("names") or {}, language), "number": n}
        for n, r in enumerate(rows, start=1)
    ]
    return join_sentences(*choices)


def spoken_answer(caller: User | None, digits: str, language: str) -> tuple[str, str, bool]:
    """(action, text to speak, whether to offer the menu) for one step of a call."""
    snapshot = selectors.snapshot()
    with translation.override(language):
        if snapshot is None:
            return "no_figures", _("There are no figures yet. Please call again later."), False
        data = snapshot.data
        rows: list[dict[str, Any]] = sorted(data.get("districts", []), key=lambda r: r["name"])
        threshold = conf.small_count_threshold()
        if digits:
            if digits.isdigit() and 1 <= int(digits) <= len(rows):
                row = rows[int(digits) - 1]
                return "risk_district", _district_reply(row, data.get("as_of", ""), language, threshold), True
            return (
                "unknown_district",
                join_sentences(_("That is not a district's number."), _menu(rows, language)),
                True,
            )
        rt = data.get("rt") or {}
        parts = [_("Community risk from the city's health department.")]
        home = caller.district.code if caller is not None and caller.district is not None else None
        mine = next((r for r in rows if home is not None and r["code"] == home), None)
        if mine is not None:
            parts.append(_district_reply(mine, data.get("as_of", ""), language, threshold))
            action = "risk_own_district"
        else:
            parts.append(
                _("City on %(date)s: %(rt)s.")
                % {"date": data.get("as_of", ""), "rt": _rt_text(rt.get("mean"), rt.get("lower"), rt.get("upper"))}
            )
            action = "risk_city"
        parts.append(_menu(rows, language))
        return action, join_sentences(*parts), True


def speech_url(text: str, language: str) -> str:
    """The URL of ``text`` spoken in ``language``; synthesised once, then served from storage."""
    name = f"epi/voice/{hashlib.sha256(f'{language}:{text}'.encode()).hexdigest()[:32]}.wav"
    if not default_storage.exists(name):
        path = synthesise_speech(text, language)
        try:
            with path.open("rb") as audio:
                name = default_storage.save(name, File(audio))
        finally:
            path.unlink(missing_ok=True)
    return str(settings.CITYOS_BASE_URL).rstrip("/") + default_storage.url(name)


def markup(text: str, language: str, *, gather: bool) -> str:
    """TwiML-style: play the synthesised speech (or have the gateway say the text), then wait for
    a district number when there is a menu."""
    try:
        speech = f"<Play>{escape(speech_url(text, language))}</Play>"
    except (PermanentError, TransientError):
        speech = f"<Say language={quoteattr(SAY_LANGUAGES.get(language, 'en-US'))}>{escape(text)}</Say>"
    if gather:
        action = str(settings.CITYOS_BASE_URL).rstrip("/") + reverse("epi:inbound-voice")
        speech = (
            f'<Gather input="dtmf" numDigits="{MAX_DIGITS}" timeout="6" action={quoteattr(action)} method="POST">'
            f"{speech}</Gather>"
        )
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{speech}<Hangup/></Response>'


@csrf_exempt
@require_POST
def inbound_voice(request: HttpRequest) -> HttpResponse:
    """One step of a call: {"from", "digits", "language"} in, TwiML-style markup out."""
    if not gateway_authorised(request):
        return problem(401, _("Send the gateway token as a bearer token."))
    data = gateway_payload(request)
    sender = str(data.get("from") or data.get("From") or "")
    if not sender:
        return problem(400, _("The caller is missing."), {"from": [_("Give the caller's phone number.")]})
    digits = str(data.get("digits") or data.get("Digits") or "").strip()[:MAX_DIGITS]
    caller = _caller(sender)
    language = _language(caller, str(data.get("language") or ""))
    action, text, gather = spoken_answer(caller, digits, language)
    response = HttpResponse(markup(text, language, gather=gather), content_type="application/xml; charset=utf-8")
    response["X-CityOS-Action"] = action
    response["Content-Language"] = language  # what the call speaks, not the request's language
    return response
