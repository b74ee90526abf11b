from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Language
from cityos.core.registry import registry


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VOICE = "voice", _("Voice call")


class MessageState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")


class SuppressionReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("Opted out of all messages")
    CHANNEL_OFF = "channel_off", _("Has turned this channel off")
    NO_ADDRESS = "no_address", _("No address for this channel")


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("Residents")
    STAFF = "staff", _("Staff")
    EVERYONE = "everyone", _("Everyone")


# Channels that reach a person on their phone number; email reaches their email address.
PHONE_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.VOICE)
# What a person without saved preferences gets: email first, then SMS.
DEFAULT_CHANNEL_ORDER = [Channel.EMAIL.value, Channel.SMS.value]


class MessageTemplate(models.Model):
    """The text of one kind of message in one language, optionally for one channel.

    Subject and body are Django templates: ``{{ person.first_name }}`` and any context the
    sender passes. A message uses the variant for its channel, else the one for any channel,
    in the recipient's language, else in English.
    """

    key = models.SlugField(_("key"), max_length=80, help_text=_("e.g. welcome, service_update"))
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, blank=True, help_text=_("Empty means any channel.")
    )
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH)
    subject = models.CharField(_("subject"), max_length=200, blank=True, help_text=_("Used by email."))
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["key", "language", "channel"]
        constraints = [models.UniqueConstraint(fields=["key", "channel", "language"], name="unique_template_variant")]

    def __str__(self) -> str:
        channel = self.get_channel_display() if self.channel else _("any channel")
        return f"{self.key} · {self.get_language_display()} · {channel}"

    def clean(self) -> None:
        from cityos.core.notifications.rendering import check_template_text

        errors: dict[str, list[ValidationError]] = {}
        for field in ("subject", "body"):
            try:
                check_template_text(getattr(self, field), channel=self.channel if field == "body" else "")
            except ValidationError as error:
                errors.setdefault(field, []).extend(error.error_list)
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]


class Broadcast(models.Model):
    """One send to a segment of people: who sent what to whom, and how many it reached."""

    template_key = models.SlugField(_("template"), max_length=80)
    # Empty: each person's preferred channel.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    # {"audience": "residents", "district_ids": [...], "languages": [...], "roles": [...]}
    segment = models.JSONField(_("segment"), default=dict)
    context = models.JSONField(_("details"), default=dict, blank=True)
    recipient_count = models.PositiveIntegerField(_("people"), default=0)
    suppressed_count = models.PositiveIntegerField(_("suppressed"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("broadcast")
        verbose_name_plural = _("broadcasts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.template_key} #{self.pk}"

    @property
    def template_label(self) -> str:
        """What was sent, named for staff in the active language (the key if no app names it)."""
        return registry.message_label(self.template_key)


class Message(models.Model):
    """One message to one person (or a bare address) on one channel, with its delivery state.

    Rows are written in bulk by sends and updated by delivery jobs; the row itself (state,
    timestamps, attempts, last error) is the delivery history, so the generic change log skips it.
    """

    audit_log = False

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages_received",
    )
    # Email address or E.164 phone number; emptied by the retention job.
    address = models.CharField(_("address"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices, default=Language.ENGLISH)
    template_key = models.SlugField(_("template"), max_length=80, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    audio = models.FileField(_("speech audio"), upload_to="notifications/voice/", blank=True)

    state = models.CharField(
        _("state"), max_length=20, choices=MessageState.choices, default=MessageState.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    suppressed_reason = models.CharField(
        _("why suppressed"), max_length=20, choices=SuppressionReason.choices, blank=True
    )
    provider_message_id = models.CharField(_("provider's message id"), max_length=200, blank=True, db_index=True)

    broadcast = models.ForeignKey(
        Broadcast,
        verbose_name=_("broadcast"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sending_at = models.DateTimeField(_("last attempt started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    redacted_at = models.DateTimeField(_("text and address removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["broadcast", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk} ({self.get_state_display()})"

    @property
    def template_label(self) -> str:
        """What was sent, named for staff in the active language (the key if no app names it)."""
        return registry.message_label(self.template_key)


class ChannelPreference(models.Model):
    """How a person wants to be reached: the channels they accept, in order, or none at all."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="channel_preference",
    )
    # Accepted channels, most preferred first, e.g. ["sms", "email"].
    channels = models.JSONField(_("channels"), default=list, blank=True)
    opted_out = models.BooleanField(_("opted out of all messages"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {'opted out' if self.opted_out else ', '.join(self.channels)}"


class OptedOutNumber(models.Model):
    """A phone number that texted STOP: no message goes to it, account or not, until it texts
    START. Kept while it is opted out, since that is what honouring the STOP needs."""

    phone = models.CharField(_("phone"), max_length=32, unique=True)
    opted_out_at = models.DateTimeField(_("opted out at"), default=timezone.now)

    class Meta:
        verbose_name = _("opted-out number")
        verbose_name_plural = _("opted-out numbers")

    def __str__(self) -> str:
        return self.phone
