"""What an alert or a rule says, in the reader's language (pages, API, notifications)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cityos.sensing.models import Alert, AlertRule, Comparison, RuleKind


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.6g}"


def unit_of(rule: AlertRule) -> str:
    datastream = rule.datastream
    if datastream is not None and isinstance(datastream.unit_of_measurement, dict):
        return str(datastream.unit_of_measurement.get("symbol") or "")
    return ""


def condition(rule: AlertRule) -> str:
    """The rule's condition, e.g. "turbidity above 4 for 10 minutes"."""
    if rule.observed_property is not None:
        what = rule.observed_property.name
    elif rule.datastream is not None:
        what = rule.datastream.observed_property.name
    else:
        what = ""
    comparison = Comparison(rule.comparison).label if rule.comparison in Comparison.values else Comparison.ABOVE.label
    if rule.kind == RuleKind.SILENCE:
        text = _("%(what)s: no data for %(minutes)s minutes") % {"what": what, "minutes": rule.silence_minutes}
    elif rule.kind == RuleKind.RATE:
        text = _("%(what)s changes %(comparison)s %(threshold)s per minute") % {
            "what": what,
            "comparison": comparison,
            "threshold": _number(rule.threshold),
        }
    else:
        text = _("%(what)s %(comparison)s %(threshold)s") % {
            "what": what,
            "comparison": comparison,
            "threshold": _number(rule.threshold),
        }
    if rule.min_duration_seconds:
        minutes = rule.min_duration_seconds / 60
        text = _("%(condition)s for %(minutes)s minutes") % {"condition": text, "minutes": _number(minutes)}
    return text


def applies_to(rule: AlertRule) -> str:
    if rule.datastream is not None:
        return rule.datastream.name
    return _("every “%(kind)s” thing") % {"kind": rule.thing_kind}


def alert_text(alert: Alert) -> str:
    """One line for a person: which rule fired where, and the value."""
    rule = alert.rule
    if rule.kind == RuleKind.SILENCE:
        return _("%(thing)s: %(condition)s") % {"thing": alert.thing.name, "condition": condition(rule)}
    return _("%(thing)s: %(condition)s (value %(value)s)") % {
        "thing": alert.thing.name,
        "condition": condition(rule),
        "value": _number(alert.value),
    }
