"""Sending messages to people and segments, delivering them, and residents' preferences.

Every write goes through here. A send validates everything first, then writes the messages in
one transaction; delivery jobs are enqueued only once it commits.
"""
# ruff: noqa: RUF001 - Chinese replies use full-width punctuation

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityos.core.accounts.models import Language, Role, User
from cityos.core.accounts.permissions import districts_in_scope, holds_any_role
from cityos.core.accounts.phones import normalise_phone
from cityos.core.events import Event, publish
from cityos.core.geo.models import District
from cityos.core.notifications import conf, ratelimit
from cityos.core.notifications.models import (
    PHONE_CHANNELS,
    Audience,
    Broadcast,
    Channel,
    ChannelPreference,
    Message,
    MessageState,
    MessageTemplate,
    OptedOutNumber,
    SuppressionReason,
)
from cityos.core.notifications.rendering import length_problem, render_text
from cityos.core.notifications.selectors import (
    Preference,
    Segment,
    address_for,
    preference_of,
    preferences_of,
    segment_members,
)
from cityos.core.notifications.transports import PermanentError, TransientError, transport_for
from cityos.core.registry import ScopedRoles, registry, role_names

logger = logging.getLogger(__name__)

CONTEXT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
CONTEXT_MAX_KEYS = 20
CONTEXT_MAX_VALUE = 2000
# A message left in `sending` this long belongs to a worker that died mid-send.
STUCK_SENDING = timedelta(minutes=15)
# The sweeper leaves a due message this long to the job already scheduled for it.
SWEEP_GRACE = timedelta(minutes=2)


# --- Events ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BroadcastSent(Event):
    name = "notifications.broadcast_sent"
    broadcast_id: int
    recipient_count: int
    suppressed_count: int


@dataclass(frozen=True, kw_only=True)
class MessageFailed(Event):
    name = "notifications.message_failed"
    message_id: int
    channel: str
    error: str


@dataclass(frozen=True, kw_only=True)
class PreferencesChanged(Event):
    name = "notifications.preferences_changed"
    user_id: int
    opted_out: bool


# --- Validation --------------------------------------------------------------------------


def _clean_channels(channels: Iterable[str] | None) -> list[str]:
    if channels is None:
        return []
    if isinstance(channels, str):
        channels = [channels]
    cleaned: list[str] = []
    for channel in channels:
        if channel not in Channel.values:
            raise ValidationError(
                {
                    "channels": _("Unknown channel “%(channel)s”. Choose from: %(known)s.")
                    % {"channel": channel, "known": ", ".join(Channel.values)}
                },
                code="unknown_channel",
            )
        if channel not in cleaned:
            cleaned.append(channel)
    return cleaned


def _clean_context(context: Mapping[str, Any] | None, *, stored: bool) -> dict[str, Any]:
    """Context is free for code that sends; a broadcast stores it, so it must be small and plain."""
    if context is None:
        return {}
    if not isinstance(context, Mapping):
        raise ValidationError({"context": _("Details must be a set of names and values.")}, code="invalid")
    if not stored:
        return dict(context)
    if len(context) > CONTEXT_MAX_KEYS:
        raise ValidationError(
            {"context": _("Give at most %(most)d details.") % {"most": CONTEXT_MAX_KEYS}}, code="too_many"
        )
    for key, value in context.items():
        if not isinstance(key, str) or not CONTEXT_KEY.match(key):
            raise ValidationError(
                {"context": _("“%(key)s” is not a usable name: use letters, digits and _.") % {"key": key}},
                code="invalid_key",
            )
        if key == "person":
            raise ValidationError({"context": _("“person” is filled in for each recipient.")}, code="reserved")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValidationError({"context": _("“%(key)s” must be text or a number.") % {"key": key}}, code="invalid")
        if isinstance(value, str) and len(value) > CONTEXT_MAX_VALUE:
            raise ValidationError(
                {
                    "context": _("“%(key)s” is longer than %(most)d characters.")
                    % {"key": key, "most": CONTEXT_MAX_VALUE}
                },
                code="too_long",
            )
    return dict(context)


class TemplateSet:
    """All variants of one template key, picked per channel and language with fallback."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.variants = {(t.channel, t.language): t for t in MessageTemplate.objects.filter(key=key)}
        if not self.variants:
            raise ValidationError(
                {"template_key": _("There is no message template “%(key)s”.") % {"key": key}}, code="unknown_template"
            )

    def pick(self, channel: str, language: str) -> MessageTemplate:
        for variant in ((channel, language), ("", language), (channel, Language.ENGLISH), ("", Language.ENGLISH)):
            if variant in self.variants:
                return self.variants[variant]
        raise ValidationError(
            {
                "template_key": _("The template “%(key)s” has no text in %(language)s or in English.")
                % {"key": self.key, "language": language}
            },
            code="no_language",
        )


@dataclass
class _Send:
    templates: TemplateSet
    context: dict[str, Any]
    channels: list[str]
    created_by: User | None
    now: datetime


def _language_of(person: User | None) -> str:
    language = getattr(person, "language", "") or Language.ENGLISH
    return language if language in Language.values else Language.ENGLISH


def _suppressed(
    send: _Send, person: User | None, channel: str, reason: str, *, address: str = "", language: str = ""
) -> Message:
    """The record of a message not sent (no text kept): to ``person``, or to a bare ``address``."""
    return Message(
        recipient=person,
        address=address,
        channel=channel,
        language=language or _language_of(person),
        template_key=send.templates.key,
        state=MessageState.SUPPRESSED,
        suppressed_reason=reason,
        created_by=send.created_by,
    )


def _rendered(send: _Send, *, person: User | None, address: str, channel: str, language: str) -> Message:
    template = send.templates.pick(channel, language)
    subject = render_text(template.subject, language=template.language, person=person, context=send.context)
    body = render_text(template.body, language=template.language, person=person, context=send.context)
    problem = length_problem(channel, body)
    if problem:
        raise ValidationError(
            {
                "template_key": _(
                    "The “%(key)s” text in %(language)s is too long for %(channel)s. %(problem)s "
                    "Shorten it, or add a shorter version for this channel."
                )
                % {
                    "key": send.templates.key,
                    "language": template.get_language_display(),
                    "channel": Channel(channel).label,
                    "problem": problem,
                }
            },
            code="too_long",
        )
    return Message(
        recipient=person,
        address=address,
        channel=channel,
        language=template.language,
        template_key=send.templates.key,
        subject=subject[:200],
        body=body,
        state=MessageState.QUEUED,
        next_attempt_at=send.now,
        created_by=send.created_by,
    )


def _message_for(send: _Send, person: User, preference: Preference) -> Message:
    """The one message ``person`` gets: on their most preferred channel that the send allows
    and they can be reached on; suppressed when they opted out or no such channel exists."""
    accepted = [c for c in preference.channels if c in Channel.values]
    allowed = [c for c in accepted if not send.channels or c in send.channels]
    first_choice = (send.channels or accepted or [Channel.EMAIL.value])[0]
    if preference.opted_out:
        return _suppressed(send, person, first_choice, SuppressionReason.OPTED_OUT)
    if not allowed:
        return _suppressed(send, person, first_choice, SuppressionReason.CHANNEL_OFF)
    reachable = [c for c in allowed if address_for(person, c)]
    if not reachable:
        return _suppressed(send, person, allowed[0], SuppressionReason.NO_ADDRESS)
    channel = reachable[0]
    return _rendered(
        send, person=person, address=address_for(person, channel), channel=channel, language=_language_of(person)
    )


def _enqueue_after_commit(messages: Sequence[Message]) -> None:
    ids = [m.pk for m in messages if m.state == MessageState.QUEUED]
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(ids), robust=True)


def enqueue_delivery(message_ids: Iterable[int]) -> None:
    """One delivery job per message on the "notifications" queue."""
    from cityos.core.notifications.tasks import deliver_message

    for message_id in message_ids:
        deliver_message.enqueue(message_id)


def install_templates(variants: Iterable[tuple[str, str, str, str, str]]) -> int:
    """A module's default texts as (key, channel or "" for any, language, subject, body), each
    created if missing; a variant the city already edited is left as it is. Returns how many were made."""
    created = 0
    for key, channel, language, subject, body in variants:
        _template, made = MessageTemplate.objects.get_or_create(
            key=key, channel=channel, language=language, defaults={"subject": subject, "body": body}
        )
        created += made
    return created


# --- Sending -----------------------------------------------------------------------------


def send_to_person(
    person: User,
    template_key: str,
    context: Mapping[str, Any] | None = None,
    channels: Iterable[str] | None = None,
    *,
    created_by: User | None = None,
) -> Message:
    """Send one message to ``person`` on their preferred channel (narrowed by ``channels``).

    Returns the message: queued for delivery, or suppressed (opted out, channel turned off, no
    address). Raises ValidationError for an unknown template or channel or a text too long.
    """
    send = _Send(
        TemplateSet(template_key),
        _clean_context(context, stored=False),
        _clean_channels(channels),
        created_by,
        timezone.now(),
    )
    message = _message_for(send, person, preference_of(person))
    with transaction.atomic():
        message.save()
        _enqueue_after_commit([message])
    return message


def send_to_address(
    address: str,
    channel: str,
    template_key: str,
    context: Mapping[str, Any] | None = None,
    *,
    language: str = Language.ENGLISH,
    created_by: User | None = None,
) -> Message:
    """Send to a bare email address or phone number of someone without an account."""
    (channel,) = _clean_channels([channel])
    if language not in Language.values:
        raise ValidationError({"language": _("Choose one of the listed languages.")}, code="invalid")
    if channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError as error:
            raise ValidationError({"address": _("Enter a valid email address.")}, code="invalid") from error
    else:
        try:
            address = normalise_phone(address)
        except ValidationError as error:
            raise ValidationError({"address": error.messages}, code="invalid") from error
    send = _Send(
        TemplateSet(template_key), _clean_context(context, stored=False), [channel], created_by, timezone.now()
    )
    if channel in PHONE_CHANNELS and OptedOutNumber.objects.filter(phone=address).exists():
        # The number texted STOP: recorded as suppressed, never sent.
        message = _suppressed(send, None, channel, SuppressionReason.OPTED_OUT, address=address, language=language)
    else:
        message = _rendered(send, person=None, address=address, channel=channel, language=language)
    with transaction.atomic():
        message.save()
        _enqueue_after_commit([message])
    return message


def may_message(user: User, district_ids: Iterable[int]) -> bool:
    """Staff who compose: a messaging role of no department or of one that speaks for the city
    (``conf.MESSAGING_ROLES``), city-wide or covering every district named."""
    if not holds_any_role(user, conf.MESSAGING_ROLES):
        return False
    covered = districts_in_scope(user, conf.MESSAGING_ROLES)
    if covered is None:
        return True
    wanted = set(district_ids)
    return bool(wanted) and wanted <= covered


def _clean_segment(segment: Segment) -> Segment:
    errors: dict[str, list[ValidationError]] = {}
    if segment.audience not in Audience.values:
        errors.setdefault("audience", []).append(
            ValidationError(_("Choose residents, staff or everyone."), code="invalid")
        )
    unknown_languages = [lang for lang in segment.languages if lang not in Language.values]
    if unknown_languages:
        errors.setdefault("languages", []).append(
            ValidationError(
                _("Unknown language: %(values)s.") % {"values": ", ".join(map(str, unknown_languages))}, code="invalid"
            )
        )
    unknown_roles = [role for role in role_names(segment.roles) if role not in Role.values]
    if unknown_roles:
        errors.setdefault("roles", []).append(
            ValidationError(
                _("Unknown role: %(values)s.") % {"values": ", ".join(map(str, unknown_roles))}, code="invalid"
            )
        )
    if segment.roles and segment.audience == Audience.RESIDENTS:
        errors.setdefault("roles", []).append(
            ValidationError(_("Roles choose staff; set the audience to staff or everyone."), code="invalid")
        )
    district_ids = sorted(set(segment.district_ids))
    known = set(District.objects.filter(pk__in=district_ids).values_list("pk", flat=True))
    missing = [d for d in district_ids if d not in known]
    if missing:
        errors.setdefault("district_ids", []).append(
            ValidationError(
                _("Unknown district: %(values)s.") % {"values": ", ".join(map(str, missing))}, code="invalid"
            )
        )
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
    return Segment(
        audience=segment.audience,
        district_ids=tuple(district_ids),
        languages=tuple(dict.fromkeys(segment.languages)),
        # A module's roles are kept whole (their names are already unique): they keep their scope.
        roles=segment.roles if isinstance(segment.roles, ScopedRoles) else tuple(dict.fromkeys(segment.roles)),
    )


def send_to_segment(
    segment: Segment,
    template_key: str,
    context: Mapping[str, Any] | None = None,
    channels: Iterable[str] | None = None,
    *,
    sent_by: User | None,
) -> Broadcast:
    """Send ``template_key`` to everyone in ``segment``, each in their language on their channel.

    ``sent_by`` is the staff member composing (checked against their roles and districts), or
    None for the platform itself (a domain app reacting to an event).
    """
    segment = _clean_segment(segment)
    if sent_by is not None and not may_message(sent_by, segment.district_ids):
        raise PermissionDenied(_("Your roles do not allow messaging this part of the city."))
    send = _Send(
        TemplateSet(template_key),
        _clean_context(context, stored=True),
        _clean_channels(channels),
        sent_by,
        timezone.now(),
    )
    people = list(segment_members(segment).select_related("district"))
    if not people:
        raise ValidationError(
            {"segment": _("No one matches this segment. Choose more districts, languages or roles.")},
            code="empty_segment",
        )
    preferences = preferences_of([p.pk for p in people])
    messages = [_message_for(send, p, preferences.get(p.pk) or Preference()) for p in people]
    suppressed = sum(1 for m in messages if m.state == MessageState.SUPPRESSED)
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            template_key=template_key,
            channels=send.channels,
            segment=segment.as_dict(),
            context=send.context,
            recipient_count=len(messages),
            suppressed_count=suppressed,
            created_by=sent_by,
        )
        for message in messages:
            message.broadcast = broadcast
        Message.objects.bulk_create(messages, batch_size=500)
        publish(BroadcastSent(broadcast_id=broadcast.pk, recipient_count=len(messages), suppressed_count=suppressed))
        _enqueue_after_commit(messages)
    logger.info("broadcast queued", extra={"broadcast": broadcast.pk, "people": len(messages)})
    return broadcast


# --- Delivery ----------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base, 2x base, 4x base... capped."""
    return min(conf.retry_base() * (2 ** max(attempts - 1, 0)), conf.retry_cap())


def _schedule(message_id: int, at: datetime) -> None:
    """A delivery job that runs at ``at``. Backends that cannot defer (the immediate one) get
    none: the periodic sweeper enqueues the message once it is due."""
    from cityos.core.notifications.tasks import deliver_message

    if not deliver_message.get_backend().supports_defer:
        return
    transaction.on_commit(lambda: deliver_message.using(run_after=at).enqueue(message_id), robust=True)


def deliver(message_id: int) -> str:
    """Hand one queued message to its transport; what happened, in a word, for the job result."""
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return "missing"
        if message.state != MessageState.QUEUED:
            return f"already {message.state}"
        if message.next_attempt_at is not None and message.next_attempt_at > now:
            return "not due"
        try_again_at = ratelimit.reserve(message.channel, now)
        if try_again_at is not None:
            # Over the channel's limit: later, not dropped, and not counted as an attempt.
            message.next_attempt_at = try_again_at
            message.save(update_fields=["next_attempt_at"])
            _schedule(message.pk, try_again_at)
            return "rate limited"
        message.state = MessageState.SENDING
        message.attempts += 1
        message.sending_at = now
        message.save(update_fields=["state", "attempts", "sending_at"])

    # The provider call happens outside any transaction: it may be slow, and holds no lock.
    try:
        provider_id = transport_for(message.channel).send(message)
    except PermanentError as error:
        _fail(message, str(error))
        return "failed"
    except Exception as error:  # TransientError, or a bug in a city's transport: retry, then fail
        if not isinstance(error, TransientError):
            # Not "message": a LogRecord's own attribute, so logging would raise and strand the message.
            logger.exception("transport raised an unexpected error", extra={"message_id": message.pk})
        text = str(error) or error.__class__.__name__
        if message.attempts >= conf.max_attempts():
            _fail(message, text)
            return "failed"
        with transaction.atomic():
            message.state = MessageState.QUEUED
            message.last_error = text[:2000]
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
            message.save(update_fields=["state", "last_error", "next_attempt_at", "audio"])
            _schedule(message.pk, message.next_attempt_at)
        return "will retry"
    with transaction.atomic():
        message.state = MessageState.SENT
        message.sent_at = timezone.now()
        message.provider_message_id = provider_id[:200]
        message.next_attempt_at = None
        fields = ["state", "sent_at", "provider_message_id", "next_attempt_at", "audio"]
        message.save(update_fields=fields + _forget_secret(message))
    return "sent"


def _forget_secret(message: Message) -> list[str]:
    """Empty a one-time code's text once it is out of our hands (sent, or failed for good): the
    code works for minutes, the log is kept for months. The fields to save with it."""
    if not registry.message_is_secret(message.template_key):
        return []
    message.body = ""
    message.subject = ""
    return ["body", "subject"]


def _fail(message: Message, error: str) -> None:
    with transaction.atomic():
        message.state = MessageState.FAILED
        message.failed_at = timezone.now()
        message.last_error = error[:2000]
        message.next_attempt_at = None
        fields = ["state", "failed_at", "last_error", "next_attempt_at", "audio"]
        message.save(update_fields=fields + _forget_secret(message))
        publish(MessageFailed(message_id=message.pk, channel=message.channel, error=error[:500]))


def requeue_due(now: datetime | None = None, *, limit: int = 1000) -> int:
    """Enqueue queued messages whose time has come but that have no job (a backend that cannot
    defer, a lost job), and put back messages whose worker died while sending."""
    now = now or timezone.now()
    with transaction.atomic():
        stuck = Message.objects.filter(state=MessageState.SENDING, sending_at__lt=now - STUCK_SENDING)
        revived = list(stuck.values_list("pk", flat=True)[:limit])
        Message.objects.filter(pk__in=revived).update(
            state=MessageState.QUEUED,
            next_attempt_at=now,
            last_error=_("The worker stopped while sending."),
        )
    due = list(
        Message.objects.filter(state=MessageState.QUEUED, next_attempt_at__lte=now - SWEEP_GRACE)
        .exclude(pk__in=revived)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: max(limit - len(revived), 0)]
    )
    enqueue_delivery(revived + due)
    return len(revived) + len(due)


def record_delivery_report(provider_message_id: str, status: str, error: str = "") -> Message:
    """A provider's delivery receipt: the message reached the phone (delivered) or did not (failed)."""
    if status not in (MessageState.DELIVERED, MessageState.FAILED):
        raise ValidationError({"status": _("Status must be “delivered” or “failed”.")}, code="invalid")
    message = Message.objects.filter(provider_message_id=provider_message_id).first() if provider_message_id else None
    if message is None:
        raise ValidationError({"id": _("No message has this provider id.")}, code="not_found")
    if status == MessageState.DELIVERED:
        if message.state in (MessageState.SENT, MessageState.SENDING):
            with transaction.atomic():
                message.state = MessageState.DELIVERED
                message.delivered_at = timezone.now()
                message.save(update_fields=["state", "delivered_at"])
    elif message.state != MessageState.FAILED:
        _fail(message, error or _("The provider could not deliver the message."))
    return message


# --- Preferences -------------------------------------------------------------------------


def set_preferences(user: User, *, channels: Sequence[str], opted_out: bool) -> ChannelPreference:
    """Save which channels ``user`` accepts, most preferred first, or that they want nothing."""
    cleaned = _clean_channels(channels)
    if len(cleaned) != len(list(channels)):
        raise ValidationError({"channels": _("Each channel can be chosen only once.")}, code="duplicate")
    errors: list[ValidationError] = []
    for channel in cleaned:
        if address_for(user, channel):
            continue
        if channel in PHONE_CHANNELS:
            errors.append(
                ValidationError(
                    _("Add a phone number to your account to get messages by %(channel)s.")
                    % {"channel": Channel(channel).label},
                    code="no_address",
                )
            )
        else:
            errors.append(ValidationError(_("Add an email address to your account to get email."), code="no_address"))
    if not opted_out and not cleaned:
        errors.append(ValidationError(_("Choose at least one channel, or opt out of all messages."), code="required"))
    if errors:
        raise ValidationError({"channels": errors})
    with transaction.atomic():
        preference, _created = ChannelPreference.objects.update_or_create(
            user=user, defaults={"channels": cleaned, "opted_out": opted_out}
        )
        publish(PreferencesChanged(user_id=user.pk, opted_out=opted_out))
    return preference


STOP_WORDS = {
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "停止",
    "取消",
    "退訂",
    "baja",
    "alto",
    "parar",
}
START_WORDS = {"start", "unstop", "subscribe", "yes", "開始", "訂閱", "alta", "empezar"}


def inbound_keyword(text: str) -> str | None:
    """ "stop" or "start" when an SMS reply is one of the opt-out or opt-in words."""
    word = (text or "").strip().strip(".!。！").casefold()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


def set_opt_out_by_phone(phone: str, *, opted_out: bool) -> list[User]:
    """Opt this phone number out of (or back into) all messages: the number itself, for texts to
    it without an account (OptedOutNumber), and the accounts with it. Returns the accounts changed."""
    try:
        number = normalise_phone(phone)
    except ValidationError as error:
        raise ValidationError({"from": error.messages}, code="invalid_phone") from error
    changed: list[User] = []
    with transaction.atomic():
        if opted_out:
            OptedOutNumber.objects.get_or_create(phone=number)
        else:
            OptedOutNumber.objects.filter(phone=number).delete()
        for user in User.objects.filter(phone=number):
            current = preference_of(user)
            channels = current.channels
            if not opted_out and not any(address_for(user, c) for c in channels):
                channels = [Channel.SMS.value]  # they texted START, so SMS reaches them
            ChannelPreference.objects.update_or_create(
                user=user, defaults={"channels": channels, "opted_out": opted_out}
            )
            publish(PreferencesChanged(user_id=user.pk, opted_out=opted_out))
            changed.append(user)
    return changed


# --- Retention ---------------------------------------------------------------------------


def apply_retention(now: datetime | None = None) -> int:
    """Remove addresses, texts and audio of messages older than the retention period."""
    from cityos.core.audit.services import record_retention

    now = now or timezone.now()
    days = conf.retention_days()
    old = Message.objects.filter(created_at__lt=now - timedelta(days=days), redacted_at__isnull=True)
    audio_files = [name for name in old.exclude(audio="").values_list("audio", flat=True) if name]
    with transaction.atomic():
        count = old.update(address="", subject="", body="", audio="", redacted_at=now)
        if count:
            record_retention(
                "notifications.Message",
                count,
                f"Addresses, texts and audio of {count} messages older than {days} days removed",
            )
    for name in audio_files:
        default_storage.delete(name)
    return count
