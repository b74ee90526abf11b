from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Department, Language, User
from cityos.core.geo.forms import DistrictChoiceField
from cityos.core.web.fields import TextField


class DepartmentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A department chosen by its name in the reader's language (as ``DistrictChoiceField``)."""

    def label_from_instance(self, obj: Department) -> str:  # type: ignore[override]
        return obj.display_name


def email_field() -> forms.CharField:
    """A resident's email address, optional: the same field on sign-up and on their own details."""
    return forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SignUpForm(forms.Form):
    """Residents give an email address or a phone number (or both), and pick a language."""

    first_name = TextField(label=_("First name"), max_length=150, required=False)
    email = email_field()
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=30,
        help_text=_("With the country code if you are not in the city, e.g. +1 415 555 0100."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 10 characters, not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Email, phone number or staff username"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("That sign-in did not match an account. Check the details and try again."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class TokenForm(forms.Form):
    otp_token = forms.RegexField(
        label=_("6-digit code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits shown in your authenticator app.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, email or phone"), required=False, max_length=100)
    district = DistrictChoiceField(label=_("District"), required=False, queryset=None, empty_label=_("Any"))
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("Any")), *Language.choices])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from cityos.core.geo.models import District

        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.order_by("name")  # type: ignore[attr-defined]


class AccessReasonForm(forms.Form):
    """Staff say why before personal data is shown; the reason is written to the audit log."""

    reason = TextField(
        label=_("Why do you need this person's details?"),
        min_length=5,
        max_length=300,
        help_text=_("For example: resident called the help line about their account."),
        error_messages={
            "min_length": _("Give a reason of at least 5 characters."),
            "required": _("Give a reason: it is kept in the audit log."),
        },
    )


class ResidentUpdateForm(forms.Form):
    """What staff may change on a resident's behalf (e.g. on the phone)."""

    first_name = TextField(label=_("First name"), max_length=150, required=False)
    last_name = TextField(label=_("Last name"), max_length=150, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=30, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class TelInput(forms.TextInput):
    input_type = "tel"  # phones show their number pad


class ContactDetailsForm(forms.Form):
    """A person's own details (``/me/edit/``). The service checks the values; the form only
    shows them. The phone field shows a new number still waiting for its code, so saving the
    name alone leaves that number waiting."""

    first_name = TextField(
        label=_("First name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = TextField(
        label=_("Last name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=30,
        help_text=_(
            "With the country code if you are not in the city, e.g. +1 415 555 0100. We text a code to a new "
            "number: until you enter it, city texts go to the number you have now."
        ),
        widget=TelInput(attrs={"autocomplete": "tel"}),
    )
    email = email_field()
    language = forms.ChoiceField(
        label=_("Language"),
        choices=Language.choices,
        help_text=_("The city's pages and messages to you use it."),
        widget=forms.Select(attrs={"autocomplete": "language"}),
    )
    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        max_length=128,
        help_text=_("Needed to change your phone number or email address."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, pending_phone: str | None = None, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": pending_phone or user.phone or "",
            "email": user.email or "",
            "language": user.language,
        }
        super().__init__(*args, **kwargs)
        if not user.has_usable_password():
            del self.fields["current_password"]  # nothing to ask for (see services.change_own_details)


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=20,
        help_text=_("6 digits."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
