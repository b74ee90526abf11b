from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityos.checkin.models import AlertState, VenueKind
from cityos.core.accounts.phones import normalise_phone
from cityos.core.geo.forms import DistrictChoiceField
from cityos.core.geo.models import District
from cityos.core.web.fields import DayField, TextField


class VenueForm(forms.Form):
    name = TextField(label=_("Venue name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of place"), choices=VenueKind.choices, initial=VenueKind.OTHER)
    address = TextField(label=_("Address"), max_length=300, required=False)
    district = DistrictChoiceField(label=_("District"), queryset=District.objects.none(), required=False)
    contact_email = forms.EmailField(
        label=_("Contact email"),
        required=False,
        help_text=_("Where we tell the venue about an exposure. We never say who was there."),
    )
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)

    def __init__(self, *args: Any, contact_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Staff register a venue for a business with no account here: it is told by email or phone.
        self.contact_required = contact_required
        if contact_required:
            for name in ("contact_email", "contact_phone"):
                self.fields[name].help_text = _("Give an email address, a phone number, or both.")
        self.fields["district"].queryset = District.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["name"].widget.attrs["autocomplete"] = "organization"
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"
        self.fields["contact_phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def venue_values(self) -> dict[str, Any]:
        """The cleaned fields as ``services.register_venue`` and ``update_venue`` take them."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "address": data["address"],
            "contact_email": data["contact_email"],
            "contact_phone": data["contact_phone"],
            "district_id": data["district"].pk if data["district"] else None,
        }

    def clean_contact_phone(self) -> str:
        # Checked here too, so a bad number is said with the form's other problems.
        raw = (self.cleaned_data.get("contact_phone") or "").strip()
        if raw:
            normalise_phone(raw)  # its ValidationError says what is wrong, extension or digits
        return raw

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Said with the form's other problems, not only once they are fixed (the service checks too).
        missing = not data.get("contact_email") and not data.get("contact_phone")
        if self.contact_required and missing and not {"contact_email", "contact_phone"} & set(self.errors):
            self.add_error(
                "contact_email",
                _("Give an email address or a phone number so the venue can be told about an exposure."),
            )
        return data


class VenueImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of venues"),
        help_text=_(
            "Columns: name, kind, address, district (code), contact_email, contact_phone. "
            "Nothing is saved unless every row is accepted."
        ),
    )
    dry_run = forms.BooleanField(label=_("Only check the file, save nothing"), required=False)

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; split it."), code="too_big")
        return upload


class AnonymousCheckInForm(forms.Form):
    contact = forms.CharField(
        label=_("Phone number or email for alerts"),
        max_length=254,
        help_text=_("Used only to warn you of an exposure, and deleted after %(days)d days."),
        error_messages={"required": _("Enter a phone number or an email address for alerts.")},
    )

    def __init__(self, *args: Any, retention_days: int = 21, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].help_text = str(self.fields["contact"].help_text) % {"days": retention_days}
        self.fields["contact"].widget.attrs.update({"autocomplete": "email"})


class VenueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("yes", _("Taking check-ins")), ("no", _("Closed"))],
    )


class AlertFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("All")), *AlertState.choices])


class ActivityFilterForm(forms.Form):
    """The staff activity page's filters; dates are local days, both included."""

    district = DistrictChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False, empty_label=_("All districts")
    )
    start = DayField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = DayField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    # A longer span is mostly empty days: check-ins are deleted after the retention period.
    LONGEST_DAYS = 92

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end date is before the start date."))
            elif (end - start).days + 1 > self.LONGEST_DAYS:
                self.add_error("end", _("Choose at most %(days)d days.") % {"days": self.LONGEST_DAYS})
        return data
