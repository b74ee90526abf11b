"""The demo city's alert rules (after the sensors exist), its water operator, and the alert texts.

The simulators' faults (a turbid water main, a smoky day, a station that goes quiet, batteries
running down, damp homes) trip these rules, so alerts open, escalate and clear by themselves.
"""

from __future__ import annotations

import base64

from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts import services as accounts
from cityos.core.accounts.models import Department, Role, StaffRole, User
from cityos.core.registry import DemoContext
from cityos.sensing.models import (
    Alert,
    AlertRule,
    AlertState,
    Comparison,
    Datastream,
    ObservedProperty,
    RuleKind,
    Severity,
)
from cityos.sensing.ops import routing, rules, services

# (name, thing kind, property, kind, comparison, threshold, silence minutes, min duration s, severity)
DEMO_RULES: tuple[tuple[str, str, str, str, str, float | None, int | None, int, str], ...] = (
    (
        "Turbid drinking water",
        "water-quality",
        "turbidity",
        RuleKind.THRESHOLD,
        Comparison.ABOVE,
        4.0,
        None,
        600,
        Severity.CRITICAL,
    ),
    (
        "Drinking water too acidic",
        "water-quality",
        "pH",
        RuleKind.THRESHOLD,
        Comparison.BELOW,
        6.5,
        None,
        300,
        Severity.WARNING,
    ),
    (
        "Drinking water too alkaline",
        "water-quality",
        "pH",
        RuleKind.THRESHOLD,
        Comparison.ABOVE,
        8.5,
        None,
        300,
        Severity.WARNING,
    ),
    (
        "Too little chlorine",
        "water-quality",
        "chlorine",
        RuleKind.THRESHOLD,
        Comparison.BELOW,
        0.2,
        None,
        600,
        Severity.WARNING,
    ),
    ("Water-quality station silent", "water-quality", "pH", RuleKind.SILENCE, "", None, 30, 0, Severity.WARNING),
    (
        "Fine particles (PM2.5) high",
        "air-quality",
        "pm25",
        RuleKind.THRESHOLD,
        Comparison.ABOVE,
        35.0,
        None,
        600,
        Severity.WARNING,
    ),
    ("PM2.5 rising fast", "air-quality", "pm25", RuleKind.RATE, Comparison.ABOVE, 5.0, None, 0, Severity.INFO),
    (
        "Damp home",
        "home-climate",
        "relative-humidity",
        RuleKind.THRESHOLD,
        Comparison.ABOVE,
        75.0,
        None,
        6 * 3600,
        Severity.WARNING,
    ),
)
LOW_BATTERY = 15.0
SENSOR_DEPARTMENTS = ("water", "environment", "transport", "housing", "waste", "operations")
WATER_OPERATOR = "water-operator"


def _water_operator(ctx: DemoContext) -> None:
    """An operator of the water department, so water alerts reach a named person."""
    department = Department.objects.filter(code="water").first()
    if department is None or User.objects.filter(username=WATER_OPERATOR).exists():
        return
    from cityos.core.accounts.demo import DEMO_PASSWORD, demo_totp_key

    user = accounts.create_staff(
        username=WATER_OPERATOR,
        password=DEMO_PASSWORD,
        email=f"{WATER_OPERATOR}@demo.cityos.invalid",
        first_name="Wen",
        last_name="Lin",
        roles=[(Role.OPERATOR, department, [])],
    )
    key = demo_totp_key(WATER_OPERATOR)
    TOTPDevice.objects.create(user=user, name="demo authenticator", key=key.hex(), confirmed=True)
    ctx.logins.append(
        (WATER_OPERATOR, DEMO_PASSWORD, f"staff · operator (water) · TOTP key {base64.b32encode(key).decode()}")
    )


def _operations_centre_operator(ctx: DemoContext) -> None:
    """The demo's "operator" login watches every sensor department's feeds, as an operations
    centre does; other modules count each of these roles by its department (waste planning,
    through the waste department's)."""
    operator = User.objects.filter(username="operator", is_staff=True).first()
    if operator is None:
        return
    added = 0
    for department in Department.objects.filter(code__in=SENSOR_DEPARTMENTS):
        _role, made = StaffRole.objects.get_or_create(user=operator, role=Role.OPERATOR, department=department)
        added += made
    if added:
        ctx.say(f"sensing: the operator login now watches {added} sensor departments")


def build(ctx: DemoContext) -> None:
    routing.install_templates()
    _water_operator(ctx)
    _operations_centre_operator(ctx)
    made = 0
    for name, thing_kind, prop, kind, comparison, threshold, silence, duration, severity in DEMO_RULES:
        observed_property = ObservedProperty.objects.filter(name=prop).order_by("pk").first()
        if observed_property is None or AlertRule.objects.filter(name=name).exists():
            continue
        AlertRule.objects.create(
            name=name,
            kind=kind,
            thing_kind=thing_kind,
            observed_property=observed_property,
            comparison=comparison,
            threshold=threshold,
            silence_minutes=silence,
            min_duration_seconds=duration,
            severity=severity,
            escalate_after_minutes=30,
        )
        made += 1
    battery = ObservedProperty.objects.filter(name="battery").order_by("pk").first()
    if battery is not None:
        kinds = (
            Datastream.objects.filter(observed_property__name="battery")
            .exclude(thing__kind="")
            .values_list("thing__kind", flat=True)
            .distinct()
        )
        for thing_kind in sorted(set(kinds)):
            name = f"Low battery ({thing_kind})"
            if AlertRule.objects.filter(name=name).exists():
                continue
            AlertRule.objects.create(
                name=name,
                kind=RuleKind.THRESHOLD,
                thing_kind=thing_kind,
                observed_property=battery,
                comparison=Comparison.BELOW,
                threshold=LOW_BATTERY,
                severity=Severity.INFO,
                escalate_after_minutes=24 * 60,
            )
            made += 1
    rules.invalidate()
    # The history was written before the rules existed: judge today's values now, so the
    # operations centre opens with the faults the simulators planted already on alert.
    services.evaluate_latest()
    result = services.check_rules()
    opened = Alert.objects.filter(state=AlertState.OPEN).count()
    ctx.say(f"sensing: {made} alert rules, {opened} alerts open ({result.escalated} escalated)")
