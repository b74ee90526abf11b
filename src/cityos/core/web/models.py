from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJobState(models.Model):
    """Where each registered periodic job stands; shared by every scheduler process."""

    name = models.CharField(_("job"), max_length=200, unique=True)
    next_run_at = models.DateTimeField(_("next run"))
    last_enqueued_at = models.DateTimeField(_("last enqueued"), null=True, blank=True)
    last_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
