"""The notification settings, with the defaults a laptop demo needs.

Read at call time (never at import) so tests and cities can change them with settings.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from cityos.core.registry import module_roles

# Staff roles that may compose messages to a segment and read the message list. A broadcast
# speaks for the whole city, so these roles count only in the departments that speak for it
# (CITYOS_MESSAGES_DEPARTMENT, default the operations centre's "operations" and "health", which
# informs residents in an epidemic) or with no department; district-scoped staff reach their own
# districts only (services.may_message).
MESSAGING_ROLES = module_roles("messages", "operator", "health_officer", "caseworker", "service_agent", "administrator")

DEFAULT_TRANSPORTS = {
    "email": "cityos.core.notifications.transports.EmailTransport",
    "sms": "cityos.core.notifications.transports.SmsTransport",
    "whatsapp": "cityos.core.notifications.transports.WhatsAppTransport",
    "voice": "cityos.core.notifications.transports.VoiceTransport",
}

# espeak-ng voice per language; Taiwan's Traditional Chinese is spoken as Mandarin (cmn),
# a Cantonese-speaking city sets {"zh-hant": "yue"}.
DEFAULT_VOICES = {"en": "en-us", "zh-hant": "cmn", "es": "es"}


def transports() -> dict[str, str]:
    """Channel -> dotted path of its transport class; CITYOS_NOTIFICATION_TRANSPORTS overrides."""
    return {**DEFAULT_TRANSPORTS, **getattr(settings, "CITYOS_NOTIFICATION_TRANSPORTS", {})}


def voices() -> dict[str, str]:
    return {**DEFAULT_VOICES, **getattr(settings, "CITYOS_VOICE_VOICES", {})}


def rate_limit(channel: str) -> int:
    """Messages per minute for ``channel``; 0 or missing means unlimited."""
    return int(getattr(settings, "CITYOS_RATE_LIMITS", {}).get(channel, 0))


def max_attempts() -> int:
    return int(getattr(settings, "CITYOS_MESSAGE_MAX_ATTEMPTS", 5))


def retry_base() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "CITYOS_MESSAGE_RETRY_BASE_SECONDS", 30)))


def retry_cap() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "CITYOS_MESSAGE_RETRY_MAX_SECONDS", 3600)))


def retention_days() -> int:
    return int(getattr(settings, "CITYOS_MESSAGE_RETENTION_DAYS", 90))


def gateway_timeout() -> float:
    return float(getattr(settings, "CITYOS_GATEWAY_TIMEOUT_SECONDS", 10))


def sms_max_parts() -> int:
    """Longest SMS accepted, in parts of a concatenated SMS (153 GSM or 67 UCS-2 characters each)."""
    return int(getattr(settings, "CITYOS_SMS_MAX_PARTS", 4))


# Longest text per channel other than SMS (whose limit depends on the alphabet, see limits.py).
WHATSAPP_MAX_CHARS = 4096
VOICE_MAX_CHARS = 2000
