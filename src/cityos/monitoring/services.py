"""Writes of monitoring: the damp-and-mould assessment of council homes and the work orders it
opens. Every write is validated, in one transaction, and publishes its event on commit; core's
audit signals log each saved row with who made the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.events import publish
from cityos.core.geo.models import District
from cityos.monitoring import conf, meanings, selectors
from cityos.monitoring.events import HomesAssessed, WorkOrderOpened, WorkOrderUpdated
from cityos.monitoring.models import (
    ACTIVE_STATUSES,
    HomeRisk,
    ReasonCode,
    WorkOrder,
    WorkOrderChange,
    WorkOrderStatus,
    reason_text,
)
from cityos.sensing import selectors as sensing

# Which status may follow which: done and cancelled are final.
TRANSITIONS: dict[str, set[str]] = {
    WorkOrderStatus.OPEN: {WorkOrderStatus.SCHEDULED, WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED},
    WorkOrderStatus.SCHEDULED: {WorkOrderStatus.OPEN, WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED},
    WorkOrderStatus.DONE: set(),
    WorkOrderStatus.CANCELLED: set(),
}
MAX_NOTE = 2000


def risk_reason(risk: HomeRisk | meanings.DampRisk) -> tuple[str, dict[str, Any]]:
    """Why a home is at risk: a reason code and its numbers, rendered in each reader's language
    (``WorkOrder.reason_display``)."""
    return ReasonCode.DAMP, {
        "rh": conf.damp_rh(),
        "humid": risk.humid_hours,
        "hours": risk.hours,
        "margin": conf.damp_dew_margin(),
        "condensing": risk.condensation_hours,
        "mean_rh": risk.mean_rh,
        "mean_t": risk.mean_temperature,
    }


@dataclass(frozen=True)
class Assessment:
    homes: int
    at_risk: int
    opened: list[WorkOrder]


def assess_homes(now: datetime | None = None) -> int:
    """Recompute every council home's damp risk from the last ``CITYOS_MONITORING_DAMP_DAYS``
    days of hourly temperature and humidity; returns how many homes were assessed."""
    now = now or timezone.now()
    end = sensing.hour_start(now)
    start = end - timedelta(days=conf.damp_days())
    homes = [h for h in selectors.home_climates() if h.properties.get("tenure", "council") == "council"]
    streams: dict[int, tuple[int | None, int | None]] = {}
    for home in homes:
        t, rh = home.datastream("temperature"), home.datastream("relative-humidity")
        streams[home.id] = (t.id if t else None, rh.id if rh else None)
    ids = [pk for pair in streams.values() for pk in pair if pk is not None]
    hourly = sensing.hourly_means(ids, start, end)
    districts = set(District.objects.values_list("pk", flat=True))
    at_risk = 0
    with transaction.atomic():
        for home in homes:
            t_id, rh_id = streams[home.id]
            risk = meanings.damp_risk(
                hourly.get(t_id, {}) if t_id else {},
                hourly.get(rh_id, {}) if rh_id else {},
                rh_threshold=conf.damp_rh(),
                dew_margin=conf.damp_dew_margin(),
                threshold=conf.damp_threshold(),
            )
            at_risk += risk.level == "high"
            HomeRisk.objects.update_or_create(
                thing_id=home.id,
                defaults={
                    "home_ref": str(home.properties.get("home_ref") or home.name)[:100],
                    "address": str(home.properties.get("address") or "")[:300],
                    "district_id": home.district_id if home.district_id in districts else None,
                    "score": risk.score,
                    "level": risk.level,
                    "hours": risk.hours,
                    "humid_hours": risk.humid_hours,
                    "condensation_hours": risk.condensation_hours,
                    "mean_rh": risk.mean_rh,
                    "mean_temperature": risk.mean_temperature,
                    "assessed_at": now,
                },
            )
        # Homes whose sensor is gone are no longer assessed.
        HomeRisk.objects.exclude(thing_id__in=[h.id for h in homes]).delete()
        publish(HomesAssessed(homes=len(homes), at_risk=at_risk))
    return len(homes)


def open_work_orders(*, user: User | None = None) -> list[WorkOrder]:
    """A work order for each home at or above the risk threshold with no open or scheduled one.

    Idempotent: running it twice opens nothing the second time (and the database's partial
    unique constraint holds even when two runs overlap)."""
    threshold = conf.damp_threshold()
    busy = selectors.active_order_homes()
    opened = []
    for risk in HomeRisk.objects.filter(score__gte=threshold).exclude(thing_id__in=busy).order_by("-score", "pk"):
        code, params = risk_reason(risk)
        with translation.override("en"):  # the stored text is English, whoever ran the check
            english_reason = reason_text(code, params)
        try:
            with transaction.atomic():
                order = WorkOrder.objects.create(
                    thing_id=risk.thing_id,
                    home_ref=risk.home_ref,
                    address=risk.address,
                    district_id=risk.district_id,
                    risk_score=risk.score,
                    reason=english_reason,
                    reason_code=code,
                    reason_params=params,
                    created_by=user,
                    updated_by=user,
                )
                WorkOrderChange.objects.create(work_order=order, status=order.status, by=user)
                publish(WorkOrderOpened(work_order_id=order.pk, thing_id=order.thing_id, risk_score=order.risk_score))
        except IntegrityError:  # another run opened one for this home a moment ago
            continue
        opened.append(order)
    return opened


def run_damp_check(now: datetime | None = None, *, user: User | None = None) -> Assessment:
    """The periodic job: assess every home, then open the work orders that are due."""
    homes = assess_homes(now)
    opened = open_work_orders(user=user)
    at_risk = HomeRisk.objects.filter(score__gte=conf.damp_threshold()).count()
    return Assessment(homes=homes, at_risk=at_risk, opened=opened)


class Keep(Enum):
    """A field left out of an update: it keeps its value (``KEEP``)."""

    KEEP = "keep"


KEEP = Keep.KEEP


def update_work_order(
    order: WorkOrder,
    *,
    user: User,
    status: str | None = None,
    scheduled_for: date | Keep | None = KEEP,
    note: str | None = None,
) -> WorkOrder:
    """Move a work order on (open -> scheduled -> done, or cancelled), date its visit or note
    something, with who and when. Only what is given changes: ``status`` None keeps the status,
    ``scheduled_for`` KEEP keeps the date (None clears it), and a note (empty: none) is added to
    the history and shown as the order's latest. Checked against the order as locked, so two
    updates at once cannot both pass on a status that one of them changed; all or nothing."""
    if not holds_any_role(user, conf.HOUSING_ROLES):
        raise PermissionDenied(_("Only housing staff may update work orders."))
    note = (note or "").strip()
    if status is None and scheduled_for is KEEP and not note:
        raise ValidationError(_("Give a new status, a visit date or a note."), code="empty")
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=order.pk)
        new_status = locked.status if status is None else status
        new_date = locked.scheduled_for if scheduled_for is KEEP else scheduled_for
        _check_update(locked, new_status, new_date, note, dated=status is not None or scheduled_for is not KEEP)
        if new_status != locked.status:
            locked.closed_at = timezone.now() if new_status not in ACTIVE_STATUSES else None
        locked.status = new_status
        locked.scheduled_for = new_date
        if note:
            locked.note = note
        locked.updated_by = user
        locked.save()
        WorkOrderChange.objects.create(work_order=locked, status=new_status, note=note, by=user)
        publish(WorkOrderUpdated(work_order_id=locked.pk, status=new_status))
    return locked


def _check_update(order: WorkOrder, status: str, scheduled_for: date | None, note: str, *, dated: bool) -> None:
    """Raises the update's problems, by field, against the order's current state."""
    errors: dict[str, list[str]] = {}
    if status not in WorkOrderStatus.values:
        errors["status"] = [_("Choose open, scheduled, done or cancelled.")]
    elif status != order.status and status not in TRANSITIONS[order.status]:
        errors["status"] = [
            _("A work order that is %(current)s cannot become %(new)s.")
            % {"current": order.get_status_display(), "new": WorkOrderStatus(status).label}
        ]
    # ``dated``: the status or the date is being changed (a note alone leaves them as they are).
    if dated and status == WorkOrderStatus.SCHEDULED and scheduled_for is None:
        errors["scheduled_for"] = [_("Give the date of the visit.")]
    if (
        scheduled_for is not None
        and scheduled_for != order.scheduled_for
        and scheduled_for < timezone.localdate() - timedelta(days=365)
    ):
        errors["scheduled_for"] = [_("The visit date is more than a year ago.")]
    if len(note) > MAX_NOTE:
        errors["note"] = [_("Keep the note under %(max)s characters.") % {"max": MAX_NOTE}]
    if status == WorkOrderStatus.CANCELLED and status != order.status and not note:
        errors["note"] = [_("Say why the work order is cancelled.")]
    if errors:
        raise ValidationError(errors)
