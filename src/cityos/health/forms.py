from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.forms.formsets import (
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cityos.core.accounts.models import User
from cityos.core.accounts.phones import looks_like_phone, normalise_email_or_phone, normalise_phone
from cityos.core.web.fields import DayField, MomentField, TextField
from cityos.health.models import Classification, FollowUpStatus, LabResult, Relationship, Symptom

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def find_resident(identifier: str) -> User | None:
    """The resident with this email or phone number; a ValidationError if there is none."""
    identifier = identifier.strip()
    if not identifier:
        return None
    if looks_like_phone(identifier):
        try:
            found = User.objects.residents().filter(phone=normalise_phone(identifier)).first()
        except ValidationError:
            found = None
    else:
        found = User.objects.residents().filter(email__iexact=identifier).first()
    if found is None:
        raise ValidationError(_("No resident has this email or phone number. Leave it empty and give a name."))
    return found


class AccountField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Resident account (email or phone)"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> User | None:  # type: ignore[override]
        return find_resident(super().clean(value) or "")


class EmailOrPhoneField(TextField):
    """An email address or a phone number, kept lower-cased or in E.164 (as residents' own)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Phone or email"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", "off")  # another person's, not the officer's

    def clean(self, value: Any) -> str:
        return normalise_email_or_phone(super().clean(value) or "")


class CaseForm(forms.Form):
    account = AccountField()
    name = TextField(label=_("Name"), max_length=200, required=False)
    contact_details = EmailOrPhoneField()
    classification = forms.ChoiceField(label=_("Classification"), choices=Classification.choices)
    lab_result = forms.ChoiceField(label=_("Lab result"), choices=LabResult.choices)
    lab_date = DayField(label=_("Lab result date"), required=False, widget=DATE)
    onset_date = DayField(label=_("Symptom onset date"), required=False, widget=DATE)
    interview_notes = TextField(label=_("Interview notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class VisitForm(forms.Form):
    venue_code = forms.CharField(
        label=_("Venue code"), max_length=100, required=False, help_text=_("The code printed on the venue's poster.")
    )
    place = TextField(label=_("Place, in words"), max_length=200, required=False)
    start = MomentField(label=_("From"), widget=DATETIME)
    end = MomentField(label=_("Until"), widget=DATETIME)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The visit ends before it starts. Check the times."))
        if not data.get("venue_code") and not data.get("place") and (start or end):
            self.add_error("place", _("Give the venue code from the poster or name the place."))
        return data


MAX_VISITS = 20  # on the new case form; more are added from the case's page


class BaseVisitFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    """The visits of a new case. A count of rows over ``MAX_VISITS`` (only a tampered page sends
    one) is refused with a message, and no more rows than that are built or shown again."""

    default_error_messages = {
        "too_many_forms": ngettext_lazy(
            "Give at most %(num)d visit here; add more from the case's page once it is saved.",
            "Give at most %(num)d visits here; add more from the case's page once it is saved.",
            "num",
        ),
    }

    @property
    def shown_management_form(self) -> ManagementForm:
        """The management form the page sends back: the count of the rows it shows, not a
        refused count, so sending the page again as it is works."""
        form = self.management_form
        if not self.is_bound or not form.is_valid():
            return form
        sent: int = form.cleaned_data[TOTAL_FORM_COUNT] or 0
        if sent <= (self.absolute_max or sent):
            return form
        counts = {
            TOTAL_FORM_COUNT: self.total_form_count(),
            INITIAL_FORM_COUNT: self.initial_form_count(),
            MIN_NUM_FORM_COUNT: self.min_num,
            MAX_NUM_FORM_COUNT: self.max_num,
        }
        return ManagementForm(auto_id=self.auto_id, prefix=self.prefix, initial=counts, renderer=form.renderer)


VisitFormSet = formset_factory(
    VisitForm,
    formset=BaseVisitFormSet,
    extra=2,
    max_num=MAX_VISITS,
    absolute_max=MAX_VISITS,
    validate_max=True,
)


class ContactForm(forms.Form):
    account = AccountField()
    name = TextField(label=_("Name"), max_length=200, required=False)
    contact_details = EmailOrPhoneField()
    relationship = forms.ChoiceField(label=_("Relationship"), choices=Relationship.choices)
    last_exposure = DayField(label=_("Last exposure date"), widget=DATE)


class SymptomsField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Symptoms"))
        kwargs.setdefault("required", False)
        super().__init__(choices=Symptom.choices, **kwargs)


class FollowUpForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in FollowUpStatus.choices if c[0] != FollowUpStatus.DUE],
        widget=forms.RadioSelect,
    )
    symptoms = SymptomsField()
    notes = TextField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DeclarationForm(forms.Form):
    symptoms = SymptomsField(label=_("Do you have any of these today?"))
    travelled = forms.BooleanField(label=_("I travelled outside the city in the last 14 days"), required=False)
    contact_with_case = forms.BooleanField(
        label=_("I was close to someone with a confirmed infection in the last 14 days"), required=False
    )


class QuarantineForm(forms.Form):
    account = AccountField(required=True)
    start_date = DayField(label=_("First day"), widget=DATE)
    end_date = DayField(
        label=_("Last day"), required=False, widget=DATE, help_text=_("Empty: the standard quarantine period.")
    )
    home_lat = forms.FloatField(label=_("Home latitude"), min_value=-90, max_value=90)
    home_lon = forms.FloatField(label=_("Home longitude"), min_value=-180, max_value=180)
    radius_m = forms.IntegerField(label=_("Geofence radius (metres)"), required=False, min_value=20, max_value=5000)


class CheckInForm(forms.Form):
    lat = forms.FloatField(widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(widget=forms.HiddenInput, min_value=-180, max_value=180)
