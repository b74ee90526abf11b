# ruff: noqa: RUF001 - Chinese texts use full-width punctuation
"""Who hears of an alert, through core notifications, and escalation when nobody acknowledges.

Level 0: operators whose role covers the thing's department and district.
Level 1: every operator of the department (any district) and the department's administrators.
Level 2: every administrator (administrators see all sensors, whatever their department).
Each level is told once, in each person's language; people told at a lower level are not told
again. A level with nobody in it passes the alert straight on to the next.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import override

from cityos.core.accounts.models import Role, User
from cityos.core.notifications.services import install_templates as install_notification_templates
from cityos.core.notifications.services import send_to_person
from cityos.sensing.models import Alert
from cityos.sensing.ops import services, texts
from cityos.sensing.ops.events import AlertChanged, AlertOpened

logger = logging.getLogger(__name__)

TEMPLATE_NEW = "sensing_alert"
TEMPLATE_ESCALATED = "sensing_alert_escalated"

# (key, language, subject, body): short enough for SMS; the context is already in the person's language.
TEMPLATES: tuple[tuple[str, str, str, str], ...] = (
    (
        TEMPLATE_NEW,
        "en",
        "{{ severity }} alert: {{ thing }}",
        "{{ severity }} alert: {{ text }}. {{ place }}. Acknowledge: {{ url }}",
    ),
    (
        TEMPLATE_NEW,
        "zh-hant",
        "{{ severity }}警示：{{ thing }}",
        "{{ severity }}警示：{{ text }}。{{ place }}。請確認：{{ url }}",
    ),
    (
        TEMPLATE_NEW,
        "es",
        "Alerta ({{ severity }}): {{ thing }}",
        "Alerta ({{ severity }}): {{ text }}. {{ place }}. Confírmela: {{ url }}",
    ),
    (
        TEMPLATE_ESCALATED,
        "en",
        "Escalated, not acknowledged: {{ thing }}",
        "Not acknowledged for {{ minutes }} min, escalated to you: {{ text }}. {{ place }}. {{ url }}",
    ),
    (
        TEMPLATE_ESCALATED,
        "zh-hant",
        "未確認，已升級：{{ thing }}",
        "{{ minutes }} 分鐘無人確認，已升級通知您：{{ text }}。{{ place }}。{{ url }}",
    ),
    (
        TEMPLATE_ESCALATED,
        "es",
        "Escalada sin confirmar: {{ thing }}",
        "Sin confirmar en {{ minutes }} min, se le escala: {{ text }}. {{ place }}. {{ url }}",
    ),
)


def install_templates() -> int:
    """The alert texts; templates the city already edited are left alone."""
    return install_notification_templates(
        (key, "", language, subject, body) for key, language, subject, body in TEMPLATES
    )


def _staff(roles: Q) -> set[int]:
    return set(
        User.objects.filter(is_active=True, is_staff=True)
        .filter(pk__in=_role_users(roles))
        .values_list("pk", flat=True)
    )


def _role_users(q: Q) -> Any:
    from cityos.core.accounts.models import StaffRole

    return StaffRole.objects.filter(q).values("user_id")


def level_members(alert: Alert, level: int) -> set[int]:
    """Who belongs to one level, before removing those of lower levels."""
    thing = alert.thing
    department = Q(department_id=thing.department_id) if thing.department_id else Q(department__isnull=True)
    if level == 0:
        district = Q(districts__isnull=True)
        if thing.district_id:
            district |= Q(districts=thing.district_id)
        dept = Q(department__isnull=True) | Q(department_id=thing.department_id) if thing.department_id else Q()
        return _staff(Q(role=Role.OPERATOR) & dept & district)
    if level == 1:
        return _staff(Q(role=Role.OPERATOR) & department) | (
            _staff(Q(role=Role.ADMINISTRATOR, department_id=thing.department_id)) if thing.department_id else set()
        )
    return _staff(Q(role=Role.ADMINISTRATOR))


def recipients(alert: Alert, level: int) -> set[int]:
    """The people told at ``level``: its members not already told at a lower level."""
    told: set[int] = set()
    for lower in range(level):
        told |= level_members(alert, lower)
    return level_members(alert, level) - told


def _context(alert: Alert, person: User) -> dict[str, Any]:
    language = person.language or "en"
    with override(language):
        place = ", ".join(p.display_name for p in (alert.thing.district, alert.thing.department) if p is not None)
        return {
            "severity": str(alert.get_severity_display()),
            "thing": alert.thing.name[:200],
            "text": texts.alert_text(alert)[:500],
            "place": place[:300],
            "minutes": str(alert.rule.escalate_after_minutes),
            "url": settings.CITYOS_BASE_URL.rstrip("/") + reverse("sensing:ops-alert", args=[alert.pk]),
        }


def notify_level(alert_id: int, level: int, *, escalated: bool) -> int:
    """Tell one level of an alert; an empty level escalates at once. Returns messages sent."""
    alert = (
        Alert.objects.select_related(
            "rule__observed_property", "rule__datastream__observed_property", "thing__district", "thing__department"
        )
        .filter(pk=alert_id)
        .first()
    )
    if alert is None or alert.state == "resolved":
        return 0
    people = recipients(alert, level)
    if not people:
        if level < services.MAX_ESCALATION_LEVEL:
            services.escalate(alert.pk)  # nobody here: the next level hears of it now
        return 0
    install_templates()
    sent = 0
    for person in User.objects.filter(pk__in=people).order_by("pk"):
        try:
            send_to_person(person, TEMPLATE_ESCALATED if escalated else TEMPLATE_NEW, _context(alert, person))
            sent += 1
        except ValidationError:  # e.g. a city-edited template too long for SMS: tell the others
            logger.exception("alert notification failed", extra={"alert": alert.pk, "person": person.pk})
    return sent


def on_alert_opened(event: AlertOpened) -> None:
    notify_level(event.alert_id, 0, escalated=False)


def on_alert_changed(event: AlertChanged) -> None:
    if event.change == "escalated":
        notify_level(event.alert_id, event.escalation_level, escalated=True)
