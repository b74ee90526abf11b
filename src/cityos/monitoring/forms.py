"""The housing staff's work-order form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityos.core.web.fields import DayField
from cityos.monitoring import services
from cityos.monitoring.models import WorkOrder, WorkOrderStatus


class WorkOrderForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=WorkOrderStatus.choices)
    scheduled_for = DayField(
        label=_("Visit date"),
        required=False,
        help_text=_("Needed to schedule the visit. Format: YYYY-MM-DD."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=services.MAX_NOTE,
        help_text=_("What was found or done; needed to cancel."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, order: WorkOrder, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"status": order.status, "scheduled_for": order.scheduled_for})
        super().__init__(*args, **kwargs)
        allowed = {order.status, *services.TRANSITIONS[order.status]}
        self.fields["status"].choices = [(v, label) for v, label in WorkOrderStatus.choices if v in allowed]  # type: ignore[attr-defined]
