"""Forms of the operations-centre pages: filters and the alert-rule form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cityos.core.accounts.forms import DepartmentChoiceField
from cityos.core.accounts.models import Department
from cityos.core.geo.forms import DistrictChoiceField
from cityos.core.geo.models import District
from cityos.sensing.labels import kind_label, property_label
from cityos.sensing.models import AlertRule, AlertState, Comparison, Datastream, ObservedProperty, RuleKind, Severity
from cityos.sensing.ops import selectors, services

ANY = [("", _("Any"))]


class FilterForm(forms.Form):
    """District, department, kind of sensor (and state) for the map, alerts and health pages."""

    # Chosen by code, listed by their names in the reader's language.
    district = DistrictChoiceField(
        District.objects.order_by("name"),
        label=_("District"),
        required=False,
        to_field_name="code",
        empty_label=_("Any"),
    )
    department = DepartmentChoiceField(
        Department.objects.order_by("name"),
        label=_("Department"),
        required=False,
        to_field_name="code",
        empty_label=_("Any"),
    )
    kind = forms.ChoiceField(label=_("Kind of sensor"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, *args: Any, states: list[tuple[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ANY + [(k, kind_label(k)) for k in selectors.kinds()]  # type: ignore[attr-defined]
        if states is None:
            del self.fields["state"]
        else:
            self.fields["state"].choices = ANY + states  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        """Each filter as a string: districts and departments by code, "" when not chosen."""
        if not self.is_valid():
            return {name: "" for name in self.fields}
        values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        for name in ("district", "department"):
            chosen = self.cleaned_data.get(name)
            values[name] = chosen.code if chosen else ""
        return values


class AlertFilterForm(FilterForm):
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=ANY + list(Severity.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, states=[("active", _("Open or acknowledged")), *AlertState.choices], **kwargs)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of rule"), choices=RuleKind.choices)
    datastream = forms.ModelChoiceField(
        label=_("Datastream"),
        queryset=Datastream.objects.none(),
        required=False,
        help_text=_("One datastream; or leave empty and choose a kind of thing and a property."),
    )
    thing_kind = forms.CharField(
        label=_("Kind of thing"), max_length=50, required=False, help_text=_("For example water-quality.")
    )
    observed_property = forms.ChoiceField(label=_("Observed property"), required=False)
    comparison = forms.ChoiceField(
        label=_("Comparison"), choices=[("", _("Not used")), *list(Comparison.choices)], required=False
    )
    threshold = forms.FloatField(
        label=_("Threshold"),
        required=False,
        help_text=_("A value, or for a rate rule the change per minute (absolute)."),
    )
    silence_minutes = forms.IntegerField(
        label=_("Silence (minutes)"), required=False, min_value=1, help_text=_("Only for silence rules.")
    )
    min_duration_seconds = forms.IntegerField(
        label=_("Minimum duration (seconds)"),
        min_value=0,
        initial=0,
        help_text=_("How long the condition must hold before the alert opens."),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.WARNING)
    escalate_after_minutes = forms.IntegerField(
        label=_("Escalate after (minutes)"),
        min_value=0,
        initial=30,
        help_text=_("Nobody acknowledged by then: the next level is told. 0: never."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["datastream"]
        field.queryset = selectors.visible_datastreams(user).order_by("name")  # type: ignore[attr-defined]
        names = ObservedProperty.objects.values_list("name", flat=True).distinct().order_by("name")
        self.fields["observed_property"].choices = [("", _("Not used"))] + [  # type: ignore[attr-defined]
            (n, property_label(n)) for n in names
        ]

    @classmethod
    def initial_for(cls, rule: AlertRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "kind": rule.kind,
            "datastream": rule.datastream_id,
            "thing_kind": rule.thing_kind,
            "observed_property": rule.observed_property.name if rule.observed_property else "",
            "comparison": rule.comparison,
            "threshold": rule.threshold,
            "silence_minutes": rule.silence_minutes,
            "min_duration_seconds": rule.min_duration_seconds,
            "severity": rule.severity,
            "escalate_after_minutes": rule.escalate_after_minutes,
            "enabled": rule.enabled,
        }

    def rule_input(self) -> services.RuleInput:
        data = self.cleaned_data
        observed_property = None
        if data.get("observed_property"):
            observed_property = ObservedProperty.objects.filter(name=data["observed_property"]).order_by("pk").first()
        return services.RuleInput(
            name=data["name"],
            kind=data["kind"],
            datastream=data.get("datastream"),
            thing_kind=data.get("thing_kind") or "",
            observed_property=observed_property,
            comparison=data.get("comparison") or "",
            threshold=data.get("threshold"),
            silence_minutes=data.get("silence_minutes"),
            min_duration_seconds=data.get("min_duration_seconds") or 0,
            severity=data["severity"],
            escalate_after_minutes=data.get("escalate_after_minutes") or 0,
            enabled=bool(data.get("enabled")),
        )

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
