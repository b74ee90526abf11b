"""Venues with signed posters, check-ins, and the exposure alerts proposed from a case's visits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Language


class VenueKind(models.TextChoices):
    SHOP = "shop", _("Shop")
    FOOD = "food", _("Restaurant or café")
    PUBLIC_BUILDING = "public_building", _("Public building")
    WORKPLACE = "workplace", _("Workplace or office")
    TRANSPORT = "transport", _("Station or transport")
    OTHER = "other", _("Other")


class Venue(models.Model):
    """A place with a QR poster. ``poster_version`` goes up on reissue, so older posters fail."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=VenueKind.choices, default=VenueKind.OTHER)
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.ForeignKey(
        "geo.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkin_venues",
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # Texted to the city's SMS number by people without a smartphone; changes with the poster.
    short_code = models.CharField(_("SMS code"), max_length=8, unique=True)
    poster_version = models.PositiveIntegerField(_("poster version"), default=1)
    is_active = models.BooleanField(_("takes check-ins"), default=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CheckInSource(models.TextChoices):
    WEB = "web", _("Poster page")
    SMS = "sms", _("SMS")
    API = "api", _("API")


class ContactChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class CheckIn(models.Model):
    """One visit: a signed-in person, or an anonymous contact kept encrypted for alerts only.

    Not copied into the audit log (``audit_log = False``): a log entry per visit would outlive the
    retention period and become the location trail that retention exists to prevent. Deletions
    by the retention job and every staff read are audited instead.
    """

    audit_log = False

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="check_ins")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="checkin_visits"
    )
    contact_encrypted = models.TextField(blank=True)
    contact_channel = models.CharField(max_length=10, choices=ContactChannel.choices, blank=True)
    # Keyed hash of the contact: finds a repeat check-in without decrypting anything.
    contact_digest = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=10, default="en")
    source = models.CharField(max_length=10, choices=CheckInSource.choices, default=CheckInSource.WEB)
    checked_in_at = models.DateTimeField()
    checked_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        indexes = [
            # The exposure match is one range scan on this index.
            models.Index(fields=["venue", "checked_in_at"], name="checkin_venue_time"),
            models.Index(fields=["checked_in_at"], name="checkin_time"),
            models.Index(fields=["person", "checked_in_at"], name="checkin_person_time"),
            models.Index(fields=["contact_digest", "checked_in_at"], name="checkin_contact_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | ~models.Q(contact_encrypted=""),
                name="checkin_has_person_or_contact",
            )
        ]

    def __str__(self) -> str:
        return f"check-in #{self.pk}"


class AlertState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    SENT = "sent", _("Sent")
    DISMISSED = "dismissed", _("Dismissed")


class ExposureAlert(models.Model):
    """A case's visit to one venue and the check-ins it overlapped, awaiting a health officer."""

    case_ref = models.CharField(_("case reference"), max_length=64)
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="exposure_alerts")
    visit_start = models.DateTimeField(_("visit start"))
    visit_end = models.DateTimeField(_("visit end"))
    buffer_minutes = models.PositiveIntegerField(_("buffer (minutes)"))
    state = models.CharField(_("state"), max_length=10, choices=AlertState.choices, default=AlertState.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    owner_notified = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("exposure alert")
        verbose_name_plural = _("exposure alerts")
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_ref", "venue", "visit_start", "visit_end"], name="checkin_alert_once_per_visit"
            ),
            models.CheckConstraint(
                condition=models.Q(visit_end__gt=models.F("visit_start")), name="checkin_alert_window"
            ),
        ]

    def __str__(self) -> str:
        return f"exposure alert #{self.pk}"


class ExposureMatch(models.Model):
    """One exposed person of an alert, with what is needed to reach them once."""

    alert = models.ForeignKey(ExposureAlert, on_delete=models.CASCADE, related_name="matches")
    check_in = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact_encrypted = models.TextField(blank=True)
    contact_channel = models.CharField(max_length=10, choices=ContactChannel.choices, blank=True)
    # "user:<id>" or "contact:<digest>": the same person is alerted once per case.
    recipient_key = models.CharField(max_length=80)
    language = models.CharField(max_length=10, default="en")
    checked_in_at = models.DateTimeField()
    message_id = models.BigIntegerField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("exposed person")
        verbose_name_plural = _("exposed people")
        ordering = ["checked_in_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["alert", "recipient_key"], name="checkin_match_once_per_alert")]

    def __str__(self) -> str:
        return f"exposure match #{self.pk}"

    @property
    def language_name(self) -> str:
        """The language the person is told in, by its own name (繁體中文), as staff see it."""
        return str(dict(Language.choices).get(self.language, self.language))
