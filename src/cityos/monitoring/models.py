"""Damp-and-mould assessments of council homes and the maintenance work orders they open.

Sensor data itself stays in the sensing app; a home is a sensing Thing of kind "home-climate",
referred to here by its id (``thing_id``) and the housing reference it carries.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    UNKNOWN = "unknown", _("Not enough data")


class HomeRisk(models.Model):
    """The latest damp-and-mould assessment of one home (one row per home, replaced by the job)."""

    audit_log = False  # recomputed by the job every few hours: bookkeeping, not a decision

    thing_id = models.BigIntegerField(_("sensor thing"), unique=True)
    home_ref = models.CharField(_("home reference"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.ForeignKey(
        "geo.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("risk score"))
    level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices)
    hours = models.PositiveIntegerField(_("hours with data"))
    humid_hours = models.PositiveIntegerField(_("humid hours"))
    condensation_hours = models.PositiveIntegerField(_("condensation hours"))
    mean_rh = models.FloatField(_("mean relative humidity"), null=True, blank=True)
    mean_temperature = models.FloatField(_("mean temperature"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"))

    class Meta:
        verbose_name = _("home damp risk")
        verbose_name_plural = _("home damp risks")
        ordering = ["-score", "home_ref"]
        indexes = [models.Index(fields=["-score"], name="monitoring_risk_score")]

    def __str__(self) -> str:
        return f"{self.home_ref or self.thing_id}: {self.score}"


class WorkOrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.SCHEDULED)


class ReasonCode(models.TextChoices):
    """Why a work order was opened: a code with its numbers, so it reads in each reader's language."""

    DAMP = "damp", _("Damp and mould risk")


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return number_format(value) if isinstance(value, float) and not value.is_integer() else str(int(value))


def reason_text(code: str, params: dict[str, Any]) -> str:
    """The reason in the active language; "" for an unknown code."""
    if code == ReasonCode.DAMP:
        return gettext(
            "Relative humidity at or above %(rh)s%% for %(humid)s of %(hours)s hours; dew point within "
            "%(margin)s °C of the air for %(condensing)s hours (mean %(mean_rh)s%% RH, %(mean_t)s °C)."
        ) % {
            key: _number(params.get(key))
            for key in ("rh", "humid", "hours", "margin", "condensing", "mean_rh", "mean_t")
        }
    return ""


class WorkOrder(models.Model):
    """A maintenance visit for damp and mould in one home."""

    thing_id = models.BigIntegerField(_("sensor thing"))
    home_ref = models.CharField(_("home reference"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    district = models.ForeignKey(
        "geo.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    risk_score = models.PositiveSmallIntegerField(_("risk score"))
    # The reason as English text (searched, and shown as it is when there is no code: orders from
    # before codes, or written by other systems); with a code, pages and the API render it from
    # the code and its numbers in the reader's language (``reason_display``).
    reason = models.TextField(_("reason"))
    reason_code = models.CharField(_("reason code"), max_length=30, choices=ReasonCode.choices, blank=True)
    reason_params = models.JSONField(_("reason numbers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=WorkOrderStatus.choices, default=WorkOrderStatus.OPEN)
    scheduled_for = models.DateField(_("visit date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open or scheduled order per home, even when two jobs run at once.
            models.UniqueConstraint(
                fields=["thing_id"],
                condition=models.Q(status__in=["open", "scheduled"]),
                name="monitoring_one_active_order_per_home",
            )
        ]

    def __str__(self) -> str:
        return f"WO-{self.pk} {self.home_ref}"

    @property
    def reason_display(self) -> str:
        """Why it was opened, in the active language (the stored text when there is no code)."""
        return reason_text(self.reason_code, self.reason_params or {}) or self.reason


class WorkOrderChange(models.Model):
    """Who changed a work order's status, and when."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(_("status"), max_length=10, choices=WorkOrderStatus.choices)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("work order change")
        verbose_name_plural = _("work order changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"WO-{self.work_order_id} {self.status}"
