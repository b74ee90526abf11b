from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import User
from cityos.core.api.scopes import scope_choices
from cityos.core.api.selectors import token_owner_choices
from cityos.core.web.fields import DayField, TextField


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return f"{user.display_name} ({user.get_username()})"


class TokenForm(forms.Form):
    name = TextField(
        label=_("Name"), max_length=100, help_text=_("What will use the token, e.g. 'Air sensors gateway'.")
    )
    owner = StaffChoiceField(
        label=_("Acts as"),
        queryset=User.objects.none(),
        help_text=_("The token gets this person's or service account's roles."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the token may do. 'Change' includes reading."),
    )
    expires_on = DayField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The last day the token works. Leave empty for no end date."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field: forms.ModelChoiceField = self.fields["owner"]  # type: ignore[assignment]
        owner_field.queryset = token_owner_choices(user)
        owner_field.initial = user.pk
        self.fields["scopes"].choices = scope_choices()  # type: ignore[attr-defined]

    def clean_expires_on(self) -> Any:
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."), code="past")
        return expires_on

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, in the city's time zone."""
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        return timezone.make_aware(datetime.combine(expires_on + timedelta(days=1), time.min))


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the token is revoked; it is kept in the audit log."),
    )
