"""Every write of the rules engine: rules, rule states, alerts and their lifecycle.

Evaluation runs twice: on each batch of new observations (``evaluate_observations``, called by an
in-process subscriber after the batch commits, only for datastreams that carry a rule), and once a
minute (``check_rules``) for what no observation triggers: silence, a minimum duration that has
run out between two observations, and escalation. A (rule, datastream) pair is evaluated under a
lock on its RuleState row, so two ingest workers never open two alerts for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from cityos.core.accounts.models import User
from cityos.core.audit.models import AuditAction
from cityos.core.audit.services import record_access, record_bulk_access
from cityos.core.events import publish
from cityos.sensing.models import (
    Alert,
    AlertRule,
    AlertState,
    Comparison,
    Datastream,
    Observation,
    ObservedProperty,
    RuleKind,
    RuleState,
    Severity,
    Thing,
)
from cityos.sensing.ops import conf, rules, scope, texts
from cityos.sensing.ops.events import AlertChanged, AlertOpened, RulesChanged

logger = logging.getLogger(__name__)

ACTIVE = (AlertState.OPEN, AlertState.ACKNOWLEDGED)
# 0: operators of the department and district; 1: the whole department and its administrators;
# 2: the city's administrators. See routing.recipients.
MAX_ESCALATION_LEVEL = 2


# --- Rules ---------------------------------------------------------------------------------


@dataclass
class RuleInput:
    name: str
    kind: str
    datastream: Datastream | None = None
    thing_kind: str = ""
    observed_property: ObservedProperty | None = None
    comparison: str = ""
    threshold: float | None = None
    silence_minutes: int | None = None
    min_duration_seconds: int = 0
    severity: str = Severity.WARNING
    escalate_after_minutes: int = 30
    enabled: bool = True


def clean_rule(data: RuleInput) -> RuleInput:
    """Check a rule's fields together; ValidationError names each wrong field."""
    errors: dict[str, str] = {}
    data.name = (data.name or "").strip()
    data.thing_kind = (data.thing_kind or "").strip()
    if not data.name:
        errors["name"] = _("Give the rule a name.")
    if data.kind not in RuleKind.values:
        errors["kind"] = _("Choose threshold, rate of change or silence.")
    if data.severity not in Severity.values:
        errors["severity"] = _("Choose information, warning or critical.")
    if data.datastream is not None:
        if data.thing_kind or data.observed_property is not None:
            errors["datastream"] = _("A rule is for one datastream, or for a kind of thing and a property: not both.")
    elif not data.thing_kind or data.observed_property is None:
        errors["thing_kind"] = _("Choose a datastream, or a kind of thing together with an observed property.")
    if data.kind in (RuleKind.THRESHOLD, RuleKind.RATE):
        if data.threshold is None:
            errors["threshold"] = _("A threshold or rate rule needs a threshold.")
        if data.kind == RuleKind.THRESHOLD and data.comparison not in Comparison.values:
            errors["comparison"] = _("Choose how the value compares with the threshold.")
        if data.kind == RuleKind.RATE:
            data.comparison = data.comparison if data.comparison in Comparison.values else Comparison.ABOVE
            if data.threshold is not None and data.threshold < 0:
                errors["threshold"] = _("A rate of change is compared as an absolute value: give zero or more.")
        data.silence_minutes = None
    if data.kind == RuleKind.SILENCE:
        if not data.silence_minutes or data.silence_minutes < 1:
            errors["silence_minutes"] = _("A silence rule needs the number of minutes without data (1 or more).")
        data.comparison, data.threshold = "", None
    if data.threshold is not None and (data.threshold != data.threshold or abs(data.threshold) == float("inf")):
        errors["threshold"] = _("The threshold must be a finite number.")
    if data.min_duration_seconds < 0:
        errors["min_duration_seconds"] = _("The minimum duration cannot be negative.")
    if data.escalate_after_minutes < 0:
        errors["escalate_after_minutes"] = _("Escalation time cannot be negative (0: never escalate).")
    if errors:
        raise ValidationError(errors)  # type: ignore[arg-type]
    return data


def _require_manage(user: User, datastream: Datastream | None) -> None:
    if not scope.can_manage_rule(user, datastream=datastream):
        if datastream is None:
            raise PermissionDenied(_("Only staff who cover the whole city manage rules for a kind of thing."))
        raise PermissionDenied(_("This datastream belongs to a department or district you do not manage."))


def _changed(rule_id: int, change: str) -> None:
    publish(RulesChanged(rule_id=rule_id, change=change))
    # This process rebuilds at once, whatever the subscribers do.
    transaction.on_commit(rules.invalidate, robust=True)


def create_rule(user: User, data: RuleInput) -> AlertRule:
    data = clean_rule(data)
    _require_manage(user, data.datastream)
    with transaction.atomic():
        rule = AlertRule.objects.create(**data.__dict__)
        _changed(rule.pk, "created")
        _judge_after_commit(rule)
    return rule


def update_rule(user: User, rule: AlertRule, data: RuleInput) -> AlertRule:
    _require_manage(user, rule.datastream)
    data = clean_rule(data)
    _require_manage(user, data.datastream)
    with transaction.atomic():
        for name, value in data.__dict__.items():
            setattr(rule, name, value)
        rule.save()
        # What the rule was measuring so far no longer counts towards the new condition.
        RuleState.objects.filter(rule=rule).update(breaching_since=None, last_time=None, last_value=None)
        _changed(rule.pk, "updated")
        _judge_after_commit(rule)
    return rule


def delete_rule(user: User, rule: AlertRule) -> None:
    _require_manage(user, rule.datastream)
    with transaction.atomic():
        rule_id = rule.pk
        rule.delete()
        _changed(rule_id, "deleted")


# --- Alerts --------------------------------------------------------------------------------


def _open(rule: AlertRule | int, datastream_id: int, value: float | None, now: datetime) -> Alert | None:
    """Open an alert for the pair unless one is already open (the caller holds the state lock)."""
    if Alert.objects.filter(rule_id=_pk(rule), datastream_id=datastream_id, state__in=ACTIVE).exists():
        return None
    rule_obj = rule if isinstance(rule, AlertRule) else AlertRule.objects.get(pk=rule)
    datastream = Datastream.objects.select_related("thing").get(pk=datastream_id)
    alert = Alert(
        rule=rule_obj,
        datastream=datastream,
        thing=datastream.thing,
        severity=rule_obj.severity,
        value=value,
        opened_at=now,
        message="",
    )
    with override("en"):  # stored for logs and exports; people read texts.alert_text in their language
        alert.message = texts.alert_text(alert)
    alert.save()
    publish(AlertOpened(alert_id=alert.pk, rule_id=rule_obj.pk, datastream_id=datastream_id))
    return alert


def _pk(rule: AlertRule | int) -> int:
    return rule.pk if isinstance(rule, AlertRule) else rule


def _auto_resolve(rule_id: int, datastream_id: int, now: datetime) -> int:
    """The condition cleared: resolve the open alert, with nobody as resolver."""
    resolved = 0
    for alert in Alert.objects.select_for_update().filter(
        rule_id=rule_id, datastream_id=datastream_id, state__in=ACTIVE
    ):
        alert.state, alert.resolved_at, alert.resolved_by = AlertState.RESOLVED, now, None
        alert.save(update_fields=["state", "resolved_at", "resolved_by"])
        publish(AlertChanged(alert_id=alert.pk, change="resolved", escalation_level=alert.escalation_level))
        resolved += 1
    return resolved


def acknowledge(user: User, alert: Alert) -> Alert:
    """Staff who manage the thing take the alert on: it stops escalating."""
    if not scope.can_manage_thing(user, alert.thing):
        raise PermissionDenied(_("This alert belongs to a department or district you do not manage."))
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state != AlertState.OPEN:
            raise ValidationError(
                {
                    "state": _("Only an open alert can be acknowledged; this one is %(state)s.")
                    % {"state": alert.get_state_display()}
                },
                code="invalid_state",
            )
        alert.state, alert.acknowledged_at, alert.acknowledged_by = AlertState.ACKNOWLEDGED, timezone.now(), user
        alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        publish(AlertChanged(alert_id=alert.pk, change="acknowledged", escalation_level=alert.escalation_level))
    return alert


def resolve(user: User, alert: Alert) -> Alert:
    """Staff close an alert (open or acknowledged); an open one counts as acknowledged by them too."""
    if not scope.can_manage_thing(user, alert.thing):
        raise PermissionDenied(_("This alert belongs to a department or district you do not manage."))
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.state == AlertState.RESOLVED:
            raise ValidationError({"state": _("This alert is already resolved.")}, code="invalid_state")
        now = timezone.now()
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, user
        alert.state, alert.resolved_at, alert.resolved_by = AlertState.RESOLVED, now, user
        alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by"])
        # The condition may still hold: measure it afresh, so the rule can fire again later.
        RuleState.objects.filter(rule_id=alert.rule_id, datastream_id=alert.datastream_id).update(breaching_since=None)
        publish(AlertChanged(alert_id=alert.pk, change="resolved", escalation_level=alert.escalation_level))
    return alert


def escalate(alert_id: int, now: datetime | None = None) -> Alert | None:
    """Move a still-open alert one level up (each level once); None when there is nowhere to go."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id, state=AlertState.OPEN).first()
        if alert is None or alert.escalation_level >= MAX_ESCALATION_LEVEL:
            return None
        alert.escalation_level += 1
        alert.escalated_at = now
        alert.save(update_fields=["escalation_level", "escalated_at"])
        publish(AlertChanged(alert_id=alert.pk, change="escalated", escalation_level=alert.escalation_level))
    return alert


# --- Evaluation on new observations ---------------------------------------------------------


def _state(rule_id: int, datastream_id: int) -> RuleState:
    state, _created = RuleState.objects.select_for_update().get_or_create(rule_id=rule_id, datastream_id=datastream_id)
    return state


def _breach(spec: rules.RuleSpec, state: RuleState, when: datetime, value: float) -> bool | None:
    """Whether one observation breaches the rule; None when it cannot tell (first value of a rate)."""
    if spec.threshold is None:
        return None
    if spec.kind == RuleKind.THRESHOLD:
        return rules.compare(value, spec.comparison, spec.threshold)
    if spec.kind == RuleKind.RATE:
        if state.last_time is None or state.last_value is None or when <= state.last_time:
            return None
        per_minute = abs(value - state.last_value) / ((when - state.last_time).total_seconds() / 60)
        return rules.compare(per_minute, spec.comparison or Comparison.ABOVE, spec.threshold)
    return None


def _apply(
    spec: rules.RuleSpec,
    datastream_id: int,
    rows: list[tuple[datetime, float | None]],
    now: datetime,
    *,
    any_age: bool = False,
) -> None:
    """Run one rule over one datastream's new observations (oldest first), under its state lock."""
    max_age = timedelta(days=365 * 100) if any_age else timedelta(minutes=conf.rules_max_age_minutes())
    oldest = now - max_age
    with transaction.atomic():
        state = _state(spec.id, datastream_id)
        # Known once under the lock, then tracked here: no query per observation.
        active = Alert.objects.filter(rule_id=spec.id, datastream_id=datastream_id, state__in=ACTIVE).exists()
        changed = False
        for when, value in rows:
            if state.last_time is not None and when <= state.last_time:
                continue  # out of order or replayed: what came later already counted
            if spec.kind == RuleKind.SILENCE:
                state.last_time, state.breaching_since = when, None
                changed = True
                if active:
                    _auto_resolve(spec.id, datastream_id, now)
                    active = False
                continue
            if value is None:
                continue
            breach = _breach(spec, state, when, value) if when >= oldest else None
            state.last_time, state.last_value = when, value
            changed = True
            if breach is None:
                continue
            if breach:
                if state.breaching_since is None:
                    state.breaching_since = when
                lasted = (when - state.breaching_since).total_seconds() >= spec.min_duration_seconds
                if lasted and not active:
                    active = _open(spec.id, datastream_id, value, now) is not None
            else:
                state.breaching_since = None
                if active:
                    _auto_resolve(spec.id, datastream_id, now)
                    active = False
        if changed:
            state.save(update_fields=["last_time", "last_value", "breaching_since"])


def evaluate_observations(ids: Iterable[int], datastream_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Evaluate the rules of a batch's datastreams that have any; returns the pairs evaluated."""
    index = rules.rule_index().by_datastream
    wanted = [d for d in datastream_ids if d in index]
    if not wanted:
        return 0
    id_list = list(ids)
    if not id_list:
        return 0
    now = now or timezone.now()
    id_set = set(id_list)
    # A primary-key range plus the datastream filter: one index range scan for the whole batch.
    found = (
        Observation.objects.filter(datastream_id__in=wanted, id__gte=min(id_list), id__lte=max(id_list))
        .order_by("phenomenon_time_start", "id")
        .values_list("id", "datastream_id", "phenomenon_time_start", "result_number")
    )
    per_datastream: dict[int, list[tuple[datetime, float | None]]] = {}
    for obs_id, datastream_id, when, value in found:
        if obs_id in id_set:
            per_datastream.setdefault(datastream_id, []).append((when, value))
    pairs = 0
    for datastream_id, rows in per_datastream.items():
        for spec in index.get(datastream_id, ()):
            try:
                _apply(spec, datastream_id, rows, now)
            except Exception:  # one broken pair must not stop the others
                logger.exception("rule evaluation failed", extra={"rule": spec.id, "datastream": datastream_id})
            pairs += 1
    return pairs


def evaluate_latest(now: datetime | None = None, *, rule_ids: Iterable[int] | None = None) -> int:
    """Judge ruled datastreams by their latest value, however old, as if it had just arrived.

    For a new or changed rule (its job runs after the save commits), and for the demo city, whose
    history is written before the rules exist: current faults open their alerts at once (or, with
    a minimum duration, at the next minute job). Rate and silence rules wait for new data and the
    minute job. Returns the pairs evaluated.
    """
    now = now or timezone.now()
    chosen = AlertRule.objects.filter(enabled=True, kind=RuleKind.THRESHOLD).select_related("observed_property")
    if rule_ids is not None:
        chosen = chosen.filter(pk__in=list(rule_ids))
    pairs = 0
    for rule in chosen:
        spec = rules.spec_of(rule)
        for datastream_id in rules.datastreams_of(rule):
            latest = (
                Observation.objects.filter(datastream_id=datastream_id)
                .order_by("-phenomenon_time_start")
                .values_list("phenomenon_time_start", "result_number")
                .first()
            )
            if latest is not None:
                _apply(spec, datastream_id, [latest], now, any_age=True)
                pairs += 1
    return pairs


def _judge_after_commit(rule: AlertRule) -> None:
    from cityos.sensing.ops.tasks import evaluate_rule

    rule_id = rule.pk
    transaction.on_commit(lambda: evaluate_rule.enqueue(rule_id), robust=True)


# --- The minute job: silence, minimum durations, escalation --------------------------------


@dataclass(frozen=True)
class CheckResult:
    opened: int = 0
    resolved: int = 0
    escalated: int = 0


def _last_times(datastream_ids: list[int]) -> dict[int, datetime | None]:
    """When each datastream last observed something: kept by ingest, else the newest row."""
    known = dict(Datastream.objects.filter(pk__in=datastream_ids).values_list("id", "last_phenomenon_time"))
    missing = [d for d, when in known.items() if when is None]
    if missing:
        rows = (
            Observation.objects.filter(datastream_id__in=missing)
            .values("datastream_id")
            .annotate(last=Max("phenomenon_time_start"))
            .values_list("datastream_id", "last")
        )
        known.update(dict(rows))
    return known


def _check_silence(index: Mapping[int, tuple[rules.RuleSpec, ...]], now: datetime) -> tuple[int, int]:
    pairs = [(spec, d) for d, specs in index.items() for spec in specs if spec.kind == RuleKind.SILENCE]
    if not pairs:
        return 0, 0
    last = _last_times(sorted({d for _spec, d in pairs}))
    states = {
        (s.rule_id, s.datastream_id): s.last_time
        for s in RuleState.objects.filter(rule_id__in={spec.id for spec, _d in pairs})
    }
    open_pairs = set(
        Alert.objects.filter(rule_id__in={spec.id for spec, _d in pairs}, state__in=ACTIVE).values_list(
            "rule_id", "datastream_id"
        )
    )
    opened = resolved = 0
    for spec, datastream_id in pairs:
        seen = [t for t in (last.get(datastream_id), states.get((spec.id, datastream_id))) if t is not None]
        if not seen:
            continue  # never reported: nothing has fallen silent yet
        silent_since = max(seen) + timedelta(minutes=spec.silence_minutes or 0)
        is_open = (spec.id, datastream_id) in open_pairs
        silent = silent_since <= now
        if silent and not is_open:
            if (now - silent_since).total_seconds() >= spec.min_duration_seconds:
                with transaction.atomic():
                    state = _state(spec.id, datastream_id)
                    state.breaching_since = state.breaching_since or silent_since
                    state.save(update_fields=["breaching_since"])
                    opened += _open(spec.id, datastream_id, None, now) is not None
        elif not silent and is_open:
            with transaction.atomic():
                _state(spec.id, datastream_id)
                resolved += _auto_resolve(spec.id, datastream_id, now)
    return opened, resolved


def _check_durations(index: Mapping[int, tuple[rules.RuleSpec, ...]], now: datetime) -> int:
    """Breaches whose minimum duration ran out with no new observation to notice it."""
    specs = {spec.id: spec for specs in index.values() for spec in specs if spec.kind != RuleKind.SILENCE}
    if not specs:
        return 0
    opened = 0
    waiting = RuleState.objects.filter(rule_id__in=list(specs), breaching_since__isnull=False).values_list(
        "rule_id", "datastream_id", "breaching_since", "last_value"
    )
    for rule_id, datastream_id, since, value in waiting:
        spec = specs[rule_id]
        if since is None or datastream_id not in index or (now - since).total_seconds() < spec.min_duration_seconds:
            continue
        with transaction.atomic():
            state = _state(rule_id, datastream_id)
            if state.breaching_since is None:
                continue
            opened += _open(rule_id, datastream_id, value, now) is not None
    return opened


def _check_escalations(now: datetime) -> int:
    escalated = 0
    candidates = Alert.objects.filter(
        state=AlertState.OPEN, escalation_level__lt=MAX_ESCALATION_LEVEL, rule__escalate_after_minutes__gt=0
    ).values_list("id", "opened_at", "escalated_at", "rule__escalate_after_minutes")
    for alert_id, opened_at, escalated_at, after in candidates:
        if now - (escalated_at or opened_at) >= timedelta(minutes=after):
            escalated += escalate(alert_id, now) is not None
    return escalated


def check_rules(now: datetime | None = None) -> CheckResult:
    """The minute job's work: silence, minimum durations that ran out, escalation."""
    now = now or timezone.now()
    index = rules.rule_index().by_datastream
    opened, resolved = _check_silence(index, now)
    opened += _check_durations(index, now)
    return CheckResult(opened, resolved, _check_escalations(now))


def summary(result: CheckResult) -> dict[str, Any]:
    return {"opened": result.opened, "resolved": result.resolved, "escalated": result.escalated}


# --- Private things shown to staff -----------------------------------------------------------
# What staff see of a private Thing (a home's sensor): its name (the home), its place and, on a
# chart, its readings. Shown only to staff whose scope covers it, and recorded, as the
# SensorThings API records it (sensing.sta.privacy).
PRIVATE_ROW_FIELDS = ("name", "locations")


def audit_private_rows(
    rows: Iterable[Any], where: str, *, action: str = AuditAction.READ, dedupe: bool = False
) -> None:
    """Record the private things among ``rows`` (``selectors.ThingRow``) a page or export showed.

    ``dedupe`` for the map, redrawn every 30 seconds: the same homes shown again to the same
    person within ``CITYOS_AUDIT_DEDUPE_SECONDS`` are one entry (core.audit.services)."""
    shown = sorted({row.id for row in rows if row.private})
    if shown:
        record_bulk_access(Thing, shown, PRIVATE_ROW_FIELDS, action=action, description=where[:200], dedupe=dedupe)


def audit_private_readings(datastream: Datastream) -> None:
    """Record a chart of a private thing's readings."""
    if datastream.thing.private:
        record_access(datastream.thing, ("datastreams", "observations"))
