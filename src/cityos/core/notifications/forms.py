from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.models import Language, Role, User
from cityos.core.geo.models import District
from cityos.core.notifications.models import PHONE_CHANNELS, Audience, Channel, MessageState
from cityos.core.notifications.selectors import Preference, address_for, template_keys
from cityos.core.registry import registry
from cityos.core.web.fields import DayField

RANK_CHOICES = [
    ("", _("Don't use")),
    ("1", _("1st choice")),
    ("2", _("2nd choice")),
    ("3", _("3rd choice")),
    ("4", _("4th choice")),
]


class PreferencesForm(forms.Form):
    """One "choice number" per channel: the lowest number is tried first."""

    opted_out = forms.BooleanField(
        label=_("Send me no messages at all"),
        required=False,
        help_text=_("You can turn messages back on here at any time, or by texting START."),
    )

    def __init__(self, *args: Any, user: User, preference: Preference, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.missing: dict[str, str] = {}  # what a channel without an address needs
        for channel in Channel:
            address = address_for(user, channel)
            help_text: str | Promise
            if address:
                help_text = _("Sent to %(address)s.") % {"address": address}
            else:
                self.missing[channel] = str(
                    _("Add a phone number to your account to use this.")
                    if channel in PHONE_CHANNELS
                    else _("Add an email address to your account to use this.")
                )
                # A link to where it is added; the error, shown in the summary's own link, stays text.
                help_text = format_html('<a href="{}">{}</a>', reverse("web:me-edit"), self.missing[channel])
            rank = preference.channels.index(channel) + 1 if channel in preference.channels else ""
            self.fields[f"rank_{channel}"] = forms.ChoiceField(
                label=channel.label,
                choices=RANK_CHOICES,
                required=False,
                initial=str(rank),
                help_text=help_text,
            )
        self.fields["opted_out"].initial = preference.opted_out
        self.order_fields([f"rank_{c}" for c in Channel.values] + ["opted_out"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: dict[int, str] = {}
        for channel in Channel:
            rank = data.get(f"rank_{channel}")
            if not rank:
                continue
            if not address_for(self.user, channel):
                self.add_error(f"rank_{channel}", self.missing[channel])
            elif int(rank) in chosen:
                self.add_error(
                    f"rank_{channel}",
                    _("%(other)s already has this choice number. Give each channel a different number.")
                    % {"other": Channel(chosen[int(rank)]).label},
                )
            else:
                chosen[int(rank)] = channel.value
        if not chosen and not data.get("opted_out") and not self.errors:
            self.add_error(None, _("Choose at least one channel, or tick “Send me no messages at all”."))
        data["channels"] = [chosen[rank] for rank in sorted(chosen)]
        return data


class ComposeForm(forms.Form):
    template_key = forms.ChoiceField(label=_("Message"), help_text=_("Each person gets it in their language."))
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Each person's preferred channel")), *Channel.choices],
        help_text=_("People who turned a channel off are not sent anything on it."),
    )
    audience = forms.ChoiceField(label=_("Send to"), choices=Audience.choices, initial=Audience.RESIDENTS)
    districts = forms.ModelMultipleChoiceField(
        label=_("Districts"),
        queryset=District.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked means the whole city."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked means every language."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Staff roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for staff: none ticked means every role."),
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Filled in where the message says {{ details }}."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Named in the sender's language and listed by name; the key is the value sent.
        named = sorted(((k, registry.message_label(k)) for k in template_keys()), key=lambda c: c[1].casefold())
        field = self.fields["template_key"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Choose a message")), *named]


class MessageFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, help_text=_("Address, template or provider id"))
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any")), *MessageState.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices])
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("Any")), *Language.choices])
    broadcast = forms.IntegerField(label=_("Broadcast number"), required=False, min_value=1, max_value=2**63 - 1)
    since = DayField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = DayField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must be on or after the start date."))
        return data
