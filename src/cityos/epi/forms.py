"""Staff forms: one day's report of each kind, and a CSV upload."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from cityos.core.geo.forms import DistrictChoiceField
from cityos.core.geo.models import District, Place, PlaceKind
from cityos.core.web.fields import DayField
from cityos.epi.selectors import REPORT_SORTS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"})


def _choose(message: Any) -> dict[str, Any]:
    """Error messages of a list field: what to do, instead of Django's "Select a valid choice"."""
    return {"required": message, "invalid_choice": message}


CHOOSE_DISTRICT = _("Choose a district from the list.")
CHOOSE_HOSPITAL = _("Choose a hospital from the list.")


def _count(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=10_000_000)


class CaseCountForm(forms.Form):
    district = DistrictChoiceField(
        District.objects.order_by("name"),
        label=_("District"),
        to_field_name="code",
        error_messages=_choose(CHOOSE_DISTRICT),
    )
    date = DayField(label=_("Day"), widget=DATE_WIDGET)
    local = _count(_("Local cases"))
    imported = _count(_("Imported cases"))


class LabResultForm(forms.Form):
    district = DistrictChoiceField(
        District.objects.order_by("name"),
        label=_("District"),
        to_field_name="code",
        error_messages=_choose(CHOOSE_DISTRICT),
    )
    date = DayField(label=_("Day"), widget=DATE_WIDGET)
    tests = _count(_("Tests done"))
    positives = _count(_("Positive tests"))


class HospitalReportForm(forms.Form):
    hospital = forms.ModelChoiceField(
        Place.objects.filter(kind=PlaceKind.HOSPITAL).order_by("name"),
        label=_("Hospital"),
        error_messages=_choose(CHOOSE_HOSPITAL),
    )
    date = DayField(label=_("Day"), widget=DATE_WIDGET)
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
        error_messages=_choose(_("Choose from the list what the file holds.")),
    )
    file = forms.FileField(label=_("CSV file (UTF-8, with a header row)"))
    dry_run = forms.BooleanField(label=_("Check only, save nothing"), required=False)


SORT_LABELS = {
    "date": _("Day"),
    "district": _("District"),
    "hospital": _("Hospital"),
    "local": _("Local cases"),
    "imported": _("Imported cases"),
    "tests": _("Tests done"),
    "positives": _("Positive tests"),
    "beds": _("Beds occupied"),
    "icu": _("ICU beds occupied"),
    "ventilators": _("Ventilators in use"),
    "updated": _("Last changed"),
}


class ReportListForm(forms.Form):
    """The filters of the staff list of stored reports; every value is checked, and a bad one
    is named rather than silently ignored."""

    kind = forms.ChoiceField(
        label=_("Reports"),
        required=False,
        choices=[("cases", _("Case counts")), ("lab", _("Lab results")), ("hospital", _("Hospital reports"))],
        error_messages=_choose(_("Choose a report kind from the list.")),
    )
    district = DistrictChoiceField(
        District.objects.order_by("name"),
        label=_("District"),
        to_field_name="code",
        required=False,
        error_messages=_choose(CHOOSE_DISTRICT),
    )
    hospital = forms.ModelChoiceField(
        Place.objects.filter(kind=PlaceKind.HOSPITAL).order_by("name"),
        label=_("Hospital"),
        required=False,
        error_messages=_choose(CHOOSE_HOSPITAL),
    )
    date_from = DayField(label=_("From"), required=False, widget=DATE_WIDGET)
    date_to = DayField(label=_("To"), required=False, widget=DATE_WIDGET)
    q = forms.CharField(label=_("Search district or hospital"), required=False, max_length=100)
    sort = forms.ChoiceField(
        label=_("Sort by"), required=False, error_messages=_choose(_("Choose a sort order from the list."))
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sort = cast(forms.ChoiceField, self.fields["sort"])
        sort.choices = [("", _("Day, newest first"))] + [
            choice
            for key, label in SORT_LABELS.items()
            for choice in (
                (key, _("%(column)s, lowest first") % {"column": label}),
                (f"-{key}", _("%(column)s, highest first") % {"column": label}),
            )
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind") or "cases"
        data["kind"] = kind
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to",
                _("The end date %(end)s is before the start date %(start)s; choose a later end date.")
                % {"end": end.isoformat(), "start": start.isoformat()},
            )
        sort = data.get("sort") or "-date"
        if sort.removeprefix("-") not in REPORT_SORTS[kind]:
            self.add_error(
                "sort", _("These reports cannot be sorted by “%(sort)s”; choose one of the columns.") % {"sort": sort}
            )
        data["sort"] = sort
        if data.get("hospital") is not None and kind != "hospital":
            self.add_error(
                "hospital",
                _(
                    "Only hospital reports can be filtered by hospital; "
                    "choose “Hospital reports” or clear the hospital."
                ),
            )
        return data
