from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cityos.core.accounts.phones import normalise_phone
from cityos.core.web.fields import DayField, TextField
from cityos.waste import conf, photos
from cityos.waste.models import (
    NOTE_MAX_LENGTH,
    Bin,
    BinKind,
    Depot,
    DisposalSite,
    MissedReason,
    ReportProblem,
    Vehicle,
)
from cityos.waste.services import check_day_to_plan, reportable_bin


class PhotoClean:
    """A form's optional ``photo``, checked and re-encoded by ``photos.prepare`` (a bad image is
    refused on the field with its reason, in the reader's language)."""

    cleaned_data: dict[str, Any]

    def clean_photo(self) -> photos.Photo | None:
        upload = self.cleaned_data.get("photo")
        return photos.prepare(upload, size=upload.size) if upload else None


class BinFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *BinKind.choices])
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-risk", _("Overflow risk, highest first")),
            ("-fill", _("Fill, fullest first")),
            ("full", _("Predicted full, soonest first")),
            ("ref", _("Reference")),
        ],
    )


class BinForm(forms.ModelForm):
    class Meta:
        model = Bin
        fields = [
            "ref",
            "kind",
            "volume_litres",
            "compaction_factor",
            "longitude",
            "latitude",
            "address",
            "district",
            "access_from",
            "access_until",
            "service_minutes",
            "is_active",
        ]
        widgets = {
            "access_from": forms.TimeInput(attrs={"type": "time"}),
            "access_until": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model allows no location (a sensor without one); a form never does.
        self.fields["longitude"].required = True
        self.fields["latitude"].required = True


class VehicleForm(forms.ModelForm):
    class Meta:
        model = Vehicle
        fields = [
            "name",
            "registration",
            "depot",
            "volume_litres",
            "weight_kg",
            "shift_start",
            "shift_end",
            "break_minutes",
            "break_after_minutes",
            "co2_kg_per_km",
            "is_active",
        ]
        widgets = {
            "shift_start": forms.TimeInput(attrs={"type": "time"}),
            "shift_end": forms.TimeInput(attrs={"type": "time"}),
        }


class DepotForm(forms.ModelForm):
    class Meta:
        model = Depot
        fields = ["name", "longitude", "latitude", "address"]


class DisposalSiteForm(forms.ModelForm):
    class Meta:
        model = DisposalSite
        fields = ["name", "longitude", "latitude", "address", "unload_minutes", "opens_at", "closes_at"]
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}),
            "closes_at": forms.TimeInput(attrs={"type": "time"}),
        }


class PlanForm(forms.Form):
    date = DayField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    seconds = forms.FloatField(
        label=_("Solver time, at most (seconds)"),
        min_value=1,
        max_value=conf.MAX_REQUEST_SOLVE_SECONDS,
        initial=20,
        help_text=_("It stops sooner once it finds no shorter routes; 20 seconds is usually enough."),
    )

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        try:
            check_day_to_plan(day)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["date"], code="past") from None
        return day


class CollectedForm(forms.Form):
    fill = forms.FloatField(
        label=_("How full was it (%)?"),
        required=False,
        min_value=0,
        max_value=150,
        help_text=_("Leave empty to use the sensor's reading."),
    )


class MissedForm(PhotoClean, forms.Form):
    reason = forms.ChoiceField(label=_("Why not?"), choices=MissedReason.choices)
    note = TextField(
        label=_("What did you see? (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Kept with the stop; a damaged bin is passed on for repair with it."),
    )
    # The crew page's input opens the phone's rear camera (``capture="environment"``).
    photo = forms.FileField(label=_("Photo (optional)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at call time: the retention setting may change while the server runs.
        days = conf.report_phone_days()
        self.fields["photo"].help_text = ngettext(
            "JPEG, PNG, WebP or GIF, at most %(mb)d MB. Only planners see it; it is deleted after %(days)d day.",
            "JPEG, PNG, WebP or GIF, at most %(mb)d MB. Only planners see it; it is deleted after %(days)d days.",
            days,
        ) % {"mb": photos.MAX_BYTES // (1024 * 1024), "days": days}


class ComparisonForm(forms.Form):
    days = forms.IntegerField(label=_("Days to simulate"), min_value=7, max_value=60, initial=30)
    seed = forms.IntegerField(label=_("Seed"), min_value=0, max_value=10_000, initial=1)
    plan_days = forms.TypedMultipleChoiceField(
        label=_("Days the plan's trucks go out"),
        choices=[(day, name) for day, name in WEEKDAYS.items()],
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The fixed round keeps its own days. The sensors show which bins can wait, so fewer days "
            "can be enough: try Monday, Wednesday, Friday and Saturday."
        ),
        error_messages={"required": _("Choose at least one weekday for the plan's trucks.")},
    )

    def __init__(self, *args: Any, working_days: Iterable[int] = range(6), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan_days"].initial = sorted(working_days)


class ReportForm(PhotoClean, forms.Form):
    """A resident's report of a bin (public, no sign-in); the service checks the bin."""

    bin = forms.CharField(
        label=_("Bin reference"),
        max_length=60,
        help_text=_("Printed on the sticker on the bin, for example BIN-0012."),
        error_messages={"required": _("Give the bin's reference: it is printed on its sticker.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    problem = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=ReportProblem.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what is wrong with the bin.")},
    )
    note = TextField(
        label=_("Anything else we should know?"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("At most 500 characters. Please do not write your name or phone number here."),
    )
    phone = forms.CharField(
        label=_("Your mobile number"),
        required=False,
        max_length=32,
        help_text=_("For a full bin: we text you once when it has been emptied, and use the number for nothing else."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=format_lazy(
            _(
                "JPEG, PNG, WebP or GIF, at most {mb} MB. A photo helps the crew see the problem. "
                "Please leave people and number plates out of it."
            ),
            mb=photos.MAX_BYTES // (1024 * 1024),
        ),
        widget=forms.FileInput(attrs={"accept": photos.ACCEPT}),
    )

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data.get("phone", "").strip()
        return normalise_phone(raw) if raw else ""

    def clean_bin(self) -> str:
        # Checked here too, so a resident sees every mistake at once, not one per try; the
        # bin's stored reference goes on, however the resident typed it.
        return reportable_bin(self.cleaned_data["bin"]).ref


class ReportFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", _("Open")), ("resolved", _("Resolved")), ("", _("All"))],
    )
    problem = forms.ChoiceField(
        label=_("Problem"), required=False, choices=[("", _("Any problem")), *ReportProblem.choices]
    )
