"""Cases, contacts and their daily follow-up (after WHO Go.Data), residents' daily health
declarations (after NCOVI, Da Nang) and quarantines with a home geofence.

Only health roles read these tables; every read by staff is audited with its reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Classification(models.TextChoices):
    SUSPECTED = "suspected", _("Suspected")
    PROBABLE = "probable", _("Probable")
    CONFIRMED = "confirmed", _("Confirmed")


class LabResult(models.TextChoices):
    PENDING = "pending", _("Pending")
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    NOT_TESTED = "not_tested", _("Not tested")


class Symptom(models.TextChoices):
    FEVER = "fever", _("Fever")
    COUGH = "cough", _("Cough")
    BREATH = "breath", _("Shortness of breath")
    TASTE_SMELL = "taste_smell", _("Loss of taste or smell")
    SORE_THROAT = "sore_throat", _("Sore throat")
    FATIGUE = "fatigue", _("Tiredness or aches")


def symptom_labels(codes: list[str]) -> list[str]:
    """The translated names of stored symptom codes (unknown codes are skipped)."""
    return [str(Symptom(code).label) for code in codes if code in Symptom.values]


class Case(models.Model):
    """A person with a suspected, probable or confirmed infection."""

    ref = models.CharField(_("case reference"), max_length=20, unique=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="health_cases",
    )
    name = models.CharField(_("name"), max_length=200)
    contact_details = models.CharField(_("phone or email"), max_length=200, blank=True)
    classification = models.CharField(
        _("classification"), max_length=20, choices=Classification.choices, default=Classification.SUSPECTED
    )
    lab_result = models.CharField(_("lab result"), max_length=20, choices=LabResult.choices, default=LabResult.PENDING)
    lab_date = models.DateField(_("lab result date"), null=True, blank=True)
    onset_date = models.DateField(_("symptom onset date"), null=True, blank=True)
    interview_notes = models.TextField(_("interview notes"), blank=True)
    # The contact this case was found as, which links the chain of transmission.
    source_contact = models.OneToOneField(
        "Contact",
        verbose_name=_("found as a contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="became_case",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.ref

    @property
    def source_case(self) -> Case | None:
        return self.source_contact.case if self.source_contact_id and self.source_contact else None


class CaseVisit(models.Model):
    """A place and time the case was, from a venue poster's code or in words."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    venue_code = models.CharField(_("venue code"), max_length=100, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="health_visit_ends_after_start"),
            models.CheckConstraint(condition=~Q(venue_code="", place=""), name="health_visit_has_a_place"),
        ]

    def __str__(self) -> str:
        return f"{self.venue_code or self.place} {self.start:%Y-%m-%d %H:%M}"


class Relationship(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    WORK = "work", _("Work or school")
    SOCIAL = "social", _("Friend or family visit")
    HEALTHCARE = "healthcare", _("Health care")
    VENUE = "venue", _("Same venue")
    OTHER = "other", _("Other")


class Contact(models.Model):
    """Someone exposed to a case, followed up daily until the end of the quarantine period."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="health_contacts",
    )
    name = models.CharField(_("name"), max_length=200)
    contact_details = models.CharField(_("phone or email"), max_length=200, blank=True)
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    last_exposure = models.DateField(_("last exposure date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FollowUpStatus(models.TextChoices):
    DUE = "due", _("Due")
    WELL = "well", _("Seen, well")
    SYMPTOMS = "symptoms", _("Seen, has symptoms")
    NOT_REACHED = "not_reached", _("Not reached")


class FollowUp(models.Model):
    """One day's check on a contact."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="follow_ups")
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.DUE)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["contact", "day"], name="health_one_follow_up_a_day")]

    def __str__(self) -> str:
        return f"{self.contact} {self.day}"

    @property
    def symptom_labels(self) -> list[str]:
        return symptom_labels(self.symptoms)


class FlagReason(models.TextChoices):
    CONTACT = "contact", _("Close contact with a confirmed case")
    BREATH = "breath", _("Shortness of breath")
    FEVER = "fever", _("Fever with cough or loss of taste or smell")
    TRAVEL = "travel", _("Symptoms after travel")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    SMS = "sms", _("SMS")


class Declaration(models.Model):
    """A resident's daily health self-declaration; one a day, the last one counts."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_declarations")
    day = models.DateField(_("day"))
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    travelled = models.BooleanField(_("travelled outside the city in the last 14 days"), default=False)
    contact_with_case = models.BooleanField(_("close contact with a confirmed case"), default=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    flagged = models.BooleanField(_("should be tested"), default=False)
    flag_reason = models.CharField(_("why"), max_length=20, choices=FlagReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("health declaration")
        verbose_name_plural = _("health declarations")
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="health_one_declaration_a_day")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day}"

    @property
    def symptom_labels(self) -> list[str]:
        return symptom_labels(self.symptoms)


class QuarantineState(models.TextChoices):
    ACTIVE = "active", _("In quarantine")
    ENDED = "ended", _("Ended")


class Quarantine(models.Model):
    """A person at home for a period, checking in once a day.

    The home geofence (a point and a radius) exists only for the quarantine: the purge job
    clears it, and every check-in's inside/outside result, once the quarantine has ended.
    """

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="health_quarantines")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantines")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="quarantines")
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    home_lat = models.FloatField(_("home latitude"), null=True, blank=True)
    home_lon = models.FloatField(_("home longitude"), null=True, blank=True)
    radius_m = models.PositiveIntegerField(_("geofence radius (metres)"), null=True, blank=True)
    location_purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quarantine")
        verbose_name_plural = _("quarantines")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="health_quarantine_dates_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.start_date}/{self.end_date}"


class QuarantineCheckIn(models.Model):
    quarantine = models.ForeignKey(Quarantine, on_delete=models.CASCADE, related_name="check_ins")
    day = models.DateField()
    at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Only the verdict is kept, never the coordinates; null for SMS and after the purge.
    inside = models.BooleanField(null=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.quarantine_id} {self.at:%Y-%m-%d %H:%M}"


class TaskKind(models.TextChoices):
    MISSED_CHECK_IN = "missed", _("Missed quarantine check-in")
    OUTSIDE_GEOFENCE = "outside", _("Checked in away from home")


class HealthTask(models.Model):
    """Something a health officer should act on: a missed check-in or one outside the geofence."""

    kind = models.CharField(_("kind"), max_length=20, choices=TaskKind.choices)
    quarantine = models.ForeignKey(Quarantine, on_delete=models.CASCADE, related_name="tasks")
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("health task")
        verbose_name_plural = _("health tasks")
        ordering = ["resolved_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["quarantine", "day", "kind"], name="health_one_task_per_day_and_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day}"
