"""Forms of the ingest pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityos.core.web.fields import DayField, TextField
from cityos.sensing.ingest.selectors import DeadLetterFilter


class DeadLetterFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    reason = forms.CharField(label=_("Reason contains"), required=False, max_length=200)
    topic = forms.CharField(label=_("Topic contains"), required=False, max_length=200)
    since = DayField(label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = DayField(label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    replayed = forms.ChoiceField(
        label=_("Replayed"),
        required=False,
        choices=[("", _("Any")), ("no", _("Not yet")), ("yes", _("Replayed"))],
    )

    def filters(self) -> DeadLetterFilter:
        if not self.is_valid():
            return DeadLetterFilter()
        data: dict[str, Any] = self.cleaned_data
        return DeadLetterFilter(
            reason=data["reason"] or "",
            topic=data["topic"] or "",
            search=data["q"] or "",
            since=data["since"],
            until=data["until"],
            replayed=data["replayed"] or "",
        )


class DeviceTokenForm(forms.Form):
    name = TextField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use the token, e.g. 'River gauge 4 gateway'."),
    )
    datastreams = forms.CharField(
        label=_("Datastream ids"),
        max_length=2000,
        help_text=_("The only datastreams this token may publish to, separated by commas, e.g. 12, 13, 20."),
    )

    def clean_datastreams(self) -> list[int]:
        text = self.cleaned_data["datastreams"]
        try:
            ids = [int(part) for part in text.replace(";", ",").replace(" ", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("Write datastream ids as whole numbers separated by commas.")) from None
        if not ids or any(pk <= 0 for pk in ids):
            raise forms.ValidationError(_("Write datastream ids as whole numbers separated by commas."))
        return ids
