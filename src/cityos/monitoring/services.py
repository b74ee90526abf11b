"""Writes of monitoring: the damp-and-mould assessment of council homes and the work orders it
opens. Every write is validated, in one transaction, and publishes its event on commit; core's
audit signals log each saved row with who made the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cityos.core.accounts.models import User
from cityos.core.accounts.permissions import holds_any_role
from cityos.core.events import publish
from cityos.core.geo.models import District
from cityos.monitoring import conf, meanings, selectors
from cityos.monitoring.events import HomesAssessed, WorkOrderOpened, WorkOrderUpdated
from cityos.monitoring.models import ACTIVE_STATUSES, HomeRisk, WorkOrder, WorkOrderChange, WorkOrderStatus
from cityos.sensing import selectors as sensing

# Which status may follow which: done and cancelled are final.
TRANSITIONS: dict[str, set[str]] = {
    WorkOrderStatus.OPEN: {WorkOrderStatus.SCHEDULED, WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED},
    WorkOrderStatus.SCHEDULED: {WorkOrderStatus.OPEN, WorkOrderStatus.DONE, WorkOrderStatus.CANCELLED},
    WorkOrderStatus.DONE: set(),
    WorkOrderStatus.CANCELLED: set(),
}
MAX_NOTE = 2000


def risk_reason(risk: HomeRisk | meanings.DampRisk) -> str:
    """Why a home is at risk, in the staff member's language."""
    return _(
        "Relative humidity at or above %(rh)s%% for %(humid)s of %(hours)s hours; dew point within "
        "%(margin)s °C of the air for %(condensing)s hours (mean %(mean_rh)s%% RH, %(mean_t)s °C)."
    ) % {
        "rh": f"{conf.damp_rh():g}",
        "humid": risk.humid_hours,
        "hours": risk.hours,
        "margin": f"{conf.damp_dew_margin():g}",
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
        try:
            with transaction.atomic():
                order = WorkOrder.objects.create(
                    thing_id=risk.thing_id,
                    home_ref=risk.home_ref,
                    address=risk.address,
                    district_id=risk.district_id,
                    risk_score=risk.score,
                    reason=risk_reason(risk),
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


def update_work_order(
    order: WorkOrder,
    *,
    user: User,
    status: str,
    scheduled_for: date | None = None,
    note: str = "",
) -> WorkOrder:
    """Move a work order on (open -> scheduled -> done, or cancelled), with who and when."""
    if not holds_any_role(user, conf.HOUSING_ROLES):
        raise PermissionDenied(_("Only housing staff may update work orders."))
    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    if status not in WorkOrderStatus.values:
        errors["status"] = [_("Choose open, scheduled, done or cancelled.")]
    elif status != order.status and status not in TRANSITIONS[order.status]:
        errors["status"] = [
            _("A work order that is %(current)s cannot become %(new)s.")
            % {"current": order.get_status_display(), "new": WorkOrderStatus(status).label}
        ]
    if status == WorkOrderStatus.SCHEDULED and scheduled_for is None:
        errors["scheduled_for"] = [_("Give the date of the visit.")]
    if scheduled_for is not None and scheduled_for < timezone.localdate() - timedelta(days=365):
        errors["scheduled_for"] = [_("The visit date is more than a year ago.")]
    if len(note) > MAX_NOTE:
        errors["note"] = [_("Keep the note under %(max)s characters.") % {"max": MAX_NOTE}]
    if status == WorkOrderStatus.CANCELLED and not note:
        errors["note"] = [_("Say why the work order is cancelled.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=order.pk)
        locked.status = status
        if scheduled_for is not None or status == WorkOrderStatus.SCHEDULED:
            locked.scheduled_for = scheduled_for
        if note:
            locked.note = note
        locked.updated_by = user
        locked.closed_at = timezone.now() if status not in ACTIVE_STATUSES else None
        locked.save()
        WorkOrderChange.objects.create(work_order=locked, status=status, note=note, by=user)
        publish(WorkOrderUpdated(work_order_id=locked.pk, status=status))
    return locked
