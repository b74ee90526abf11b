"""What epi keeps: daily aggregates per district (never people), and what the hourly job computes.

``area`` on computed rows is a district code, or "" for the whole city.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cityos.core.geo.models import District, Place

CITY = ""


class CaseCount(models.Model):
    """New cases in one district on one day, local and imported (from lab-confirmed results)."""

    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    local = models.PositiveIntegerField(_("local cases"), default=0)
    imported = models.PositiveIntegerField(_("imported cases"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("case count")
        verbose_name_plural = _("case counts")
        ordering = ["date", "district_id"]
        constraints = [models.UniqueConstraint(fields=["district", "date"], name="epi_one_case_count_a_day")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.date}: {self.local} + {self.imported}"


class LabResult(models.Model):
    """Tests done and positive in one district on one day."""

    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    tests = models.PositiveIntegerField(_("tests"))
    positives = models.PositiveIntegerField(_("positive tests"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["date", "district_id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "date"], name="epi_one_lab_result_a_day"),
            models.CheckConstraint(condition=Q(positives__lte=F("tests")), name="epi_positives_within_tests"),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.date}: {self.positives}/{self.tests}"


RESOURCES = ("beds", "icu", "ventilators")


class HospitalReport(models.Model):
    """A hospital's beds, ICU beds and ventilators on one day: how many there are, how many in use."""

    hospital = models.ForeignKey(Place, verbose_name=_("hospital"), on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    beds_total = models.PositiveIntegerField(_("beds"))
    beds_occupied = models.PositiveIntegerField(_("beds occupied"))
    icu_total = models.PositiveIntegerField(_("ICU beds"))
    icu_occupied = models.PositiveIntegerField(_("ICU beds occupied"))
    ventilators_total = models.PositiveIntegerField(_("ventilators"))
    ventilators_occupied = models.PositiveIntegerField(_("ventilators in use"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("hospital report")
        verbose_name_plural = _("hospital reports")
        ordering = ["date", "hospital_id"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "date"], name="epi_one_hospital_report_a_day"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{r}_occupied__lte": F(f"{r}_total")}), name=f"epi_{r}_occupied_within_total"
                )
                for r in RESOURCES
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hospital_id} {self.date}"


class RtValue(models.Model):
    """Rt on the window ending on ``date`` (posterior mean, median and 95% band)."""

    area = models.CharField(_("area"), max_length=50, blank=True)
    date = models.DateField(_("date"))
    mean = models.FloatField(_("mean"))
    median = models.FloatField(_("median"))
    lower = models.FloatField(_("2.5% quantile"))
    upper = models.FloatField(_("97.5% quantile"))

    class Meta:
        verbose_name = _("Rt estimate")
        verbose_name_plural = _("Rt estimates")
        ordering = ["area", "date"]
        constraints = [models.UniqueConstraint(fields=["area", "date"], name="epi_one_rt_a_day")]

    def __str__(self) -> str:
        return f"Rt {self.area or 'city'} {self.date}: {self.mean:.2f}"


class Forecast(models.Model):
    """Cases forecast on ``issue_date`` (the last day of data) for ``issue_date + horizon``."""

    area = models.CharField(_("area"), max_length=50, blank=True)
    issue_date = models.DateField(_("issued on"))
    horizon = models.PositiveSmallIntegerField(_("days ahead"))
    target_date = models.DateField(_("for"))
    mean = models.FloatField(_("mean"))
    median = models.FloatField(_("median"))
    lower = models.FloatField(_("2.5% quantile"))
    q25 = models.FloatField(_("25% quantile"))
    q75 = models.FloatField(_("75% quantile"))
    upper = models.FloatField(_("97.5% quantile"))

    class Meta:
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        ordering = ["area", "issue_date", "horizon"]
        constraints = [
            models.UniqueConstraint(fields=["area", "issue_date", "horizon"], name="epi_one_forecast_a_horizon")
        ]
        indexes = [models.Index(fields=["area", "target_date"])]

    def __str__(self) -> str:
        return f"{self.area or 'city'} {self.issue_date} +{self.horizon}: {self.median:g}"


class DashboardSnapshot(models.Model):
    """The figures of the public dashboard, computed by the hourly job; the page only reads this."""

    key = models.CharField(max_length=20, primary_key=True, default="public")
    computed_at = models.DateTimeField(_("computed at"))
    data = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")

    def __str__(self) -> str:
        return f"{self.key} {self.computed_at:%Y-%m-%d %H:%M}"


class CapacityAlert(models.Model):
    """An alert sent because a resource's forecast crosses capacity; one per resource and day of data."""

    resource = models.CharField(_("resource"), max_length=20)
    crossing_date = models.DateField(_("forecast to cross on"))
    issue_date = models.DateField(_("issued on"))
    capacity = models.PositiveIntegerField(_("capacity"))
    forecast = models.FloatField(_("forecast occupancy"))
    sent = models.BooleanField(_("sent"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("capacity alert")
        verbose_name_plural = _("capacity alerts")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["resource", "issue_date"], name="epi_one_alert_a_day_of_data")]

    def __str__(self) -> str:
        return f"{self.resource} {self.crossing_date}"
