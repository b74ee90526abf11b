from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cityos.core.audit.models import AuditAction
from cityos.core.web.fields import DayField


class AuditSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any")), *AuditAction.choices])
    object_type = forms.CharField(label=_("Record type"), required=False, help_text=_("e.g. accounts.User"))
    actor = forms.CharField(label=_("Who"), required=False)
    since = DayField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = DayField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:  # type: ignore[operator]
            self.add_error("until", _("The end date must be on or after the start date."))
        return data
