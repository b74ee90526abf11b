"""Transports: one interface, one class per way of reaching a person.

``send(message)`` hands the message to a provider and returns the provider's id for it. It
raises :class:`TransientError` when trying again later may work (timeouts, 5xx, a full
mailbox server) and :class:`PermanentError` when it will not (a refused address, 4xx).

A city plugs in its own provider by naming a class per channel in the setting
``CITYOS_NOTIFICATION_TRANSPORTS`` (e.g. ``{"sms": "mycity.sms.CarrierTransport"}``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import smtplib
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import make_msgid
from django.utils import timezone
from django.utils.module_loading import import_string

from cityos.core.notifications import conf

if TYPE_CHECKING:
    from cityos.core.notifications.models import Message


class TransportError(Exception):
    """A message could not be handed over."""


class TransientError(TransportError):
    """Try again later."""


class PermanentError(TransportError):
    """Do not try again."""


class Transport(Protocol):
    channel: str

    def send(self, message: Message) -> str: ...


def transport_for(channel: str) -> Transport:
    path = conf.transports().get(channel)
    if path is None:
        raise PermanentError(f"No transport is configured for the channel {channel!r}.")
    transport: Transport = import_string(path)()
    return transport


def content_language(language: str) -> str:
    """BCP 47 form of a Django language code: zh-hant -> zh-Hant."""
    head, _, script = language.partition("-")
    return f"{head}-{script.title()}" if len(script) == 4 else language


# --- Email -------------------------------------------------------------------------------


class EmailTransport:
    """Email through Django's email backend: real SMTP when CITYOS_SMTP_URL is set."""

    channel = "email"

    def send(self, message: Message) -> str:
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "cityos.invalid"
        message_id = make_msgid(domain=domain)
        email = EmailMessage(
            subject=message.subject or (message.body.splitlines()[0][:78] if message.body else ""),
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={
                "Message-ID": message_id,
                "Content-Language": content_language(message.language),
                "X-CityOS-Message": str(message.pk),
            },
            connection=get_connection(fail_silently=False),
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentError(f"The mail server refused the address: {codes}") from error
            raise TransientError(f"The mail server deferred the address: {codes}") from error
        except smtplib.SMTPResponseException as error:
            text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            if error.smtp_code >= 500:
                raise PermanentError(text) from error
            raise TransientError(text) from error
        except (smtplib.SMTPException, OSError) as error:  # disconnects, refused connections, timeouts
            raise TransientError(f"{error.__class__.__name__}: {error}") from error
        return message_id.strip("<>")


# --- The outbox: where messages go when no gateway is configured -------------------------


class OutboxTransport:
    """Appends each message to var/outbox/<channel>.jsonl, so a demo shows what was sent."""

    channel = "outbox"

    def __init__(self, channel: str = "outbox") -> None:
        self.channel = channel

    @staticmethod
    def directory() -> Path:
        return Path(settings.VAR_DIR) / "outbox"

    def send(self, message: Message, **extra: Any) -> str:
        provider_id = f"outbox-{uuid.uuid4().hex}"
        record = {
            "id": provider_id,
            "at": timezone.now().isoformat(),
            "channel": message.channel,
            "to": message.address,
            "language": message.language,
            "subject": message.subject,
            "body": message.body,
            "reference": str(message.pk),
            **extra,
        }
        directory = self.directory()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with (directory / f"{message.channel}.jsonl").open("a", encoding="utf-8") as outbox:
                # Workers in several processes append to the same file: one line at a time.
                fcntl.flock(outbox, fcntl.LOCK_EX)
                outbox.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as error:
            raise TransientError(f"Could not write the outbox: {error}") from error
        return provider_id


# --- HTTP gateways (SMS, WhatsApp, voice calls) -------------------------------------------


def post_json(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST ``payload`` to a gateway; 5xx, 429 and timeouts are transient, other 4xx permanent."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.CITYOS_GATEWAY_TOKEN:
        headers["Authorization"] = f"Bearer {settings.CITYOS_GATEWAY_TOKEN}"
    request = Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")  # noqa: S310
    try:
        with urlopen(request, timeout=conf.gateway_timeout()) as response:  # noqa: S310 - configured URL
            raw = response.read()
    except HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        text = f"The gateway answered {error.code}: {detail}"
        if error.code >= 500 or error.code == 429:
            raise TransientError(text) from error
        raise PermanentError(text) from error
    except (URLError, TimeoutError, OSError) as error:
        raise TransientError(f"The gateway could not be reached: {error}") from error
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    return answer if isinstance(answer, dict) else {}


class HttpGatewayTransport:
    """A JSON POST of {to, body, language, reference} to the channel's gateway, or the outbox
    when the city has not configured one."""

    channel: ClassVar[str] = ""
    url_setting: ClassVar[str] = ""

    def url(self) -> str:
        return str(getattr(settings, self.url_setting, "") or "")

    def payload(self, message: Message) -> dict[str, Any]:
        return {
            "to": message.address,
            "body": message.body,
            "language": message.language,
            "reference": str(message.pk),
            "channel": self.channel,
        }

    def send(self, message: Message) -> str:
        url = self.url()
        if not url:
            return OutboxTransport(self.channel).send(message)
        answer = post_json(url, self.payload(message))
        return str(answer.get("id") or answer.get("message_id") or "")


class SmsTransport(HttpGatewayTransport):
    channel = "sms"
    url_setting = "CITYOS_SMS_GATEWAY_URL"


class WhatsAppTransport(HttpGatewayTransport):
    channel = "whatsapp"
    url_setting = "CITYOS_WHATSAPP_GATEWAY_URL"


# --- Voice: speech audio for a phone line -----------------------------------------------


def synthesise_speech(text: str, language: str) -> Path:
    """Speak ``text`` into a WAV file with espeak-ng; the caller deletes the file."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise PermanentError("espeak-ng is not installed, so no speech can be made (apt-get install espeak-ng).")
    voice = conf.voices().get(language) or conf.voices()["en"]
    handle, name = tempfile.mkstemp(suffix=".wav", prefix="cityos-voice-")
    os.close(handle)
    path = Path(name)
    try:
        subprocess.run(  # noqa: S603 - fixed binary, text goes in on stdin
            [binary, "-v", voice, "-s", "150", "-w", str(path), "--stdin"],
            input=text.encode(),
            capture_output=True,
            timeout=120,
            check=True,
        )
    except subprocess.CalledProcessError as error:
        path.unlink(missing_ok=True)
        raise PermanentError(f"espeak-ng failed: {error.stderr.decode(errors='replace')[:300]}") from error
    except subprocess.TimeoutExpired as error:
        path.unlink(missing_ok=True)
        raise TransientError("espeak-ng took too long") from error
    return path


class VoiceTransport:
    """Makes the speech audio (WAV), stores it as a media file and asks the voice gateway to
    call the person and play it; without a gateway the call request goes to the outbox."""

    channel = "voice"

    def send(self, message: Message) -> str:
        if not message.audio:
            text = "\n".join(part for part in (message.subject, message.body) if part)
            path = synthesise_speech(text, message.language)
            try:
                with path.open("rb") as audio:
                    stored = default_storage.save(f"notifications/voice/{uuid.uuid4().hex}.wav", File(audio))
            finally:
                path.unlink(missing_ok=True)
            message.audio.name = stored  # kept by the delivery job when it saves the message
        audio_url = urljoin(settings.CITYOS_BASE_URL, default_storage.url(message.audio.name))
        url = str(settings.CITYOS_VOICE_GATEWAY_URL or "")
        if not url:
            return OutboxTransport(self.channel).send(message, audio_url=audio_url)
        answer = post_json(
            url,
            {
                "to": message.address,
                "audio_url": audio_url,
                "text": message.body,
                "language": message.language,
                "reference": str(message.pk),
            },
        )
        return str(answer.get("id") or answer.get("call_id") or "")
