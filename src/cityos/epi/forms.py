"""Staff forms: one day's report of each kind, and a CSV upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityos.core.geo.models import District, Place, PlaceKind

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


def _count(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=10_000_000)


class CaseCountForm(forms.Form):
    district = forms.ModelChoiceField(District.objects.order_by("name"), label=_("District"), to_field_name="code")
    date = forms.DateField(label=_("Day"), widget=DATE_WIDGET)
    local = _count(_("Local cases"))
    imported = _count(_("Imported cases"))


class LabResultForm(forms.Form):
    district = forms.ModelChoiceField(District.objects.order_by("name"), label=_("District"), to_field_name="code")
    date = forms.DateField(label=_("Day"), widget=DATE_WIDGET)
    tests = _count(_("Tests done"))
    positives = _count(_("Positive tests"))


class HospitalReportForm(forms.Form):
    hospital = forms.ModelChoiceField(
        Place.objects.filter(kind=PlaceKind.HOSPITAL).order_by("name"), label=_("Hospital")
    )
    date = forms.DateField(label=_("Day"), widget=DATE_WIDGET)
    beds_total = _count(_("Beds"))
    beds_occupied = _count(_("Beds occupied"))
    icu_total = _count(_("ICU beds"))
    icu_occupied = _count(_("ICU beds occupied"))
    ventilators_total = _count(_("Ventilators"))
    ventilators_occupied = _count(_("Ventilators in use"))


FORMS: dict[str, type[forms.Form]] = {"cases": CaseCountForm, "lab": LabResultForm, "hospital": HospitalReportForm}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[
            ("cases", _("Case counts (district,date,local,imported)")),
            ("lab", _("Lab results (district,date,tests,positives)")),
            (
                "hospital",
                _(
                    "Hospital reports (hospital,date,beds_total,beds_occupied,icu_total,icu_occupied,"
                    "ventilators_total,ventilators_occupied)"
                ),
            ),
        ],
    )
    file = forms.FileField(label=_("CSV file (UTF-8, with a header row)"))
    dry_run = forms.BooleanField(label=_("Check only, save nothing"), required=False)
