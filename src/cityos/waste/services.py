"""Every write of the waste app (public facade): bins, depots, sites and vehicles; fill readings
and forecasts; daily plans, crews' progress, breakdown re-plans; stored simulations.

Each write validates first, then changes the database in one transaction; events go out on commit.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import ProhibitNullCharactersValidator, URLValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Avg, Q
from django.db.models.fields.files import FieldFile
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from cityos.core.accounts.models import Language, User
from cityos.core.accounts.permissions import holds_any_role, require_any_role
from cityos.core.accounts.phones import normalise_phone
from cityos.core.audit.services import record_retention
from cityos.core.events import publish
from cityos.core.inputs import clean_text
from cityos.core.notifications import services as notifications
from cityos.core.storage import private_storage
from cityos.sensing import selectors as sensing
from cityos.waste import conf, forecast, refs, selectors
from cityos.waste.events import (
    BinChanged,
    BinReported,
    PlanCreated,
    ReportResolved,
    RouteBrokenDown,
    StopCollected,
    StopMissed,
)
from cityos.waste.models import (
    DENSITY_KG_PER_LITRE,
    FOLLOWERS_MAX,
    MEDIA_URL_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    PHOTO_DIR,
    STOP_PHOTO_DIR,
    Bin,
    BinReport,
    Comparison,
    ComparisonFailure,
    ComparisonStatus,
    Depot,
    DisposalSite,
    FillReading,
    MissedReason,
    Omission,
    Plan,
    PlanJob,
    PlanJobStatus,
    PlanStatus,
    ReportChannel,
    ReportFollower,
    ReportProblem,
    ReportResolution,
    Route,
    RouteStatus,
    Stop,
    StopKind,
    Vehicle,
    format_weekdays,
    parse_weekdays,
)
from cityos.waste.photos import Photo
from cityos.waste.planning import Policy, decide, typical_visit_metres
from cityos.waste.routing import Job, PlanResult, Site, TravelModel, Truck, haversine_m, solve_plan

logger = logging.getLogger(__name__)

HISTORY_DAYS = 28

# The text to a resident who reported a full bin with their number, once it is emptied (one SMS
# part for the usual references; migration 0004 installs it, then it is the city's to edit, or to
# delete to stop sending it).
TEMPLATE_REPORT_COLLECTED = "waste_report_collected"

BIN_FIELDS = (
    "ref",
    "kind",
    "volume_litres",
    "compaction_factor",
    "longitude",
    "latitude",
    "address",
    "district_id",
    "access_from",
    "access_until",
    "service_minutes",
    "round_weekdays",
    "thing_id",
    "datastream_id",
    "is_active",
)
VEHICLE_FIELDS = (
    "name",
    "registration",
    "depot_id",
    "volume_litres",
    "weight_kg",
    "shift_start",
    "shift_end",
    "break_minutes",
    "break_after_minutes",
    "co2_kg_per_km",
    "is_active",
)


def _invalid(field_name: str, message: str, code: str) -> ValidationError:
    return ValidationError({field_name: [ValidationError(message, code=code)]})


# --- Who may ----------------------------------------------------------------------------------


def _require_planner(user: User | None) -> None:
    """Staff writing here plan collections (``conf.PLANNER_ROLES``, of the waste department's or
    of none); None is the platform itself (a job, the demo), as in every module's services."""
    if user is not None:
        require_any_role(user, conf.PLANNER_ROLES, _("Only waste collection planners may do this."))


def _require_crew(user: User | None) -> None:
    """Staff marking stops are of a crew or plan (``conf.CREW_ROLES``); None: the platform."""
    if user is not None:
        require_any_role(user, conf.CREW_ROLES, _("Only waste collection crews and planners may do this."))


# --- Bins, vehicles --------------------------------------------------------------------------


def save_bin(data: Mapping[str, Any], *, user: User | None, bin: Bin | None = None) -> Bin:
    """Create or change a bin (a planner, or None: the platform); refuses one without a location."""
    _require_planner(user)
    target = bin or Bin()
    for name in BIN_FIELDS:
        if name in data:
            value, field = data[name], cast("models.Field[Any, Any]", Bin._meta.get_field(name))
            if value is None and not field.null:
                if not field.blank:  # required: an API null cannot clear it
                    raise _invalid(name, str(field.error_messages["null"]), "null")
                value = ""  # an optional text: null clears it
            setattr(target, name, value)
    target.full_clean()
    created = target.pk is None
    with transaction.atomic():
        target.save()
        publish(BinChanged(bin_id=target.pk, change="created" if created else "updated"))
        # Nothing will collect it: its residents' reports are closed (none are open if it already was
        # out of service; the instance may come from a form, so its old state is not known here).
        if not target.is_active:
            _close_reports(target, ReportResolution.DISMISSED, timezone.now())
    return target


def save_vehicle(data: Mapping[str, Any], *, user: User | None, vehicle: Vehicle | None = None) -> Vehicle:
    """Create or change a vehicle (a planner, or None: the platform)."""
    _require_planner(user)
    # Said of the field the caller gave (the model would name its relation, "depot").
    if "depot_id" in data and not Depot.objects.filter(pk=data["depot_id"]).exists():
        raise _invalid("depot_id", _("There is no depot %(id)s.") % {"id": data["depot_id"]}, "unknown_depot")
    target = vehicle or Vehicle()
    for name in VEHICLE_FIELDS:
        if name in data:
            setattr(target, name, data[name])
    target.full_clean()
    with transaction.atomic():
        target.save()
    return target


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # things without a location


def _thing_address(thing: sensing.ThingSummary) -> str:
    """Where the bin stands: the thing's "address" or "street" property when it has one, else its
    name (a name such as "Bin BIN-0042 · Market St" would repeat the reference beside it)."""
    return str(thing.properties.get("address") or thing.properties.get("street") or thing.name)[:300]


def sync_from_sensing() -> SyncReport:
    """Create or update a bin for every "waste-bin" thing of the sensing module.

    A thing without a location is skipped and named in the report: a bin needs a place."""
    report = SyncReport()
    known = {b.thing_id: b for b in Bin.objects.filter(thing_id__isnull=False)}
    with transaction.atomic():
        for thing in sensing.things_of_kind("waste-bin"):
            if thing.longitude is None or thing.latitude is None:
                report.skipped.append(thing.name)
                continue
            fill = thing.datastream("fill-level")
            props = thing.properties
            current = known.get(thing.id)
            values: dict[str, Any] = {
                "longitude": thing.longitude,
                "latitude": thing.latitude,
                "district_id": thing.district_id,
                "datastream_id": fill.id if fill else None,
                "last_fill": fill.last_value if fill else None,
                "last_fill_at": fill.last_time if fill else None,
            }
            if current is None:
                ref = str(props.get("bin_ref") or f"thing-{thing.id}")[:60]
                if Bin.objects.filter(ref=ref).exists():
                    ref = f"{ref[:50]}-{thing.id}"
                volume = int(float(props.get("volume_litres") or 240))
                address = _thing_address(thing)
                Bin.objects.create(ref=ref, volume_litres=volume, thing_id=thing.id, address=address, **values)
                report.created += 1
            else:
                for name, value in values.items():
                    setattr(current, name, value)
                if current.address == thing.name[:300]:  # synced before the address was read; never a planner's edit
                    current.address = _thing_address(thing)
                current.save()
                report.updated += 1
    return report


def record_reading(bin: Bin, percent: float, at: datetime | None = None) -> FillReading:
    """A fill level of a bin without a sensor (or seen by a crew)."""
    if not 0 <= percent <= 150:
        raise _invalid("percent", _("A fill level is between 0 and 150%."), "fill_range")
    when = at or timezone.now()
    with transaction.atomic():
        reading = FillReading.objects.create(bin=bin, at=when, percent=percent)
        if bin.last_fill_at is None or when >= bin.last_fill_at:
            Bin.objects.filter(pk=bin.pk).update(last_fill=percent, last_fill_at=when)
    return reading


# --- Forecasts -------------------------------------------------------------------------------


def shift_days() -> frozenset[int]:
    return frozenset(parse_weekdays(conf_shift_days()))


def conf_shift_days() -> str:
    from cityos.core.conf import module_setting

    return module_setting("CITYOS_WASTE_SHIFT_DAYS", "0,1,2,3,4,5")


def _aware(day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def shift_window(day: date) -> tuple[datetime, datetime]:
    """The earliest start and latest end of the active fleet's shifts on ``day``."""
    fleet = list(Vehicle.objects.filter(is_active=True).values_list("shift_start", "shift_end"))
    start = min((s for s, _ in fleet), default=time(6))
    end = max((e for _, e in fleet), default=time(14))
    return _aware(day, start), _aware(day, end)


def next_shift_start(day: date) -> datetime:
    days = shift_days() or frozenset(range(7))
    following = day + timedelta(days=1)
    while following.weekday() not in days:
        following += timedelta(days=1)
    return shift_window(following)[0]


def fill_histories(bins: list[Bin], now: datetime) -> dict[int, list[tuple[datetime, float]]]:
    """The last ``HISTORY_DAYS`` of readings of every bin, in local time, in two queries."""
    histories = selectors.fill_histories(bins, now - timedelta(days=HISTORY_DAYS), now + timedelta(seconds=1))
    return {pk: [(timezone.localtime(t), v) for t, v in rows] for pk, rows in histories.items()}


def refresh_forecasts(now: datetime | None = None) -> int:
    """Fit every active bin's fill model and cache its forecast and overflow risk."""
    moment = timezone.localtime(now or timezone.now())
    next_shift = timezone.localtime(next_shift_start(moment.date()))
    changed = []
    bins = list(Bin.objects.filter(is_active=True))
    histories = fill_histories(bins, moment)
    for bin in bins:
        history = histories[bin.pk]
        model = forecast.fit(history)
        current = forecast.current_fill(model, history, moment)
        predicted = model.forecast(moment, current)
        if history:
            bin.last_fill_at, bin.last_fill = history[-1]
        bin.fill_rate = round(model.mean_rate, 3)
        bin.full_at, bin.full_at_early, bin.full_at_late = (
            predicted.full_at,
            predicted.full_at_early,
            predicted.full_at_late,
        )
        bin.overflow_risk = round(model.overflow_probability(moment, current, next_shift), 4)
        bin.forecast_at = moment
        changed.append(bin)
    fields = [
        "last_fill",
        "last_fill_at",
        "fill_rate",
        "full_at",
        "full_at_early",
        "full_at_late",
        "overflow_risk",
        "forecast_at",
    ]
    Bin.objects.bulk_update(changed, fields, batch_size=500)
    return len(changed)


# --- Plans ------------------------------------------------------------------------------------


def policy(bins: list[Bin] | None = None) -> Policy:
    """The configured decision rules; a visit's worth from ``bins`` when not configured."""
    rules = Policy(
        must_risk=conf.must_risk(), optional_from=conf.optional_threshold(), visit_metres=conf.visit_metres()
    )
    if rules.visit_metres <= 0 and bins:
        points = [(float(b.longitude or 0), float(b.latitude or 0)) for b in bins if b.has_location]
        rules = replace(rules, visit_metres=typical_visit_metres(points, circuity=conf.circuity()))
    return rules


def next_shift_end(day: date) -> datetime:
    """The end of the next shift after ``day``: the latest it could empty a bin."""
    following = timezone.localtime(next_shift_start(day)).date()
    return shift_window(following)[1]


def _site(obj: Any, prefix: str) -> Site:
    return Site(f"{prefix}{obj.pk}", float(obj.longitude), float(obj.latitude))


def _seconds(moment: datetime, origin: datetime) -> int:
    return int((moment - origin).total_seconds())


def _truck(vehicle: Vehicle, day: date, origin: datetime) -> Truck:
    return Truck(
        vehicle.pk,
        _site(vehicle.depot, "depot"),
        vehicle.volume_litres,
        vehicle.weight_kg,
        _seconds(_aware(day, vehicle.shift_start), origin),
        _seconds(_aware(day, vehicle.shift_end), origin),
        vehicle.break_minutes * 60,
        vehicle.break_after_minutes * 60,
    )


def _job(bin: Bin, fill: float, required: bool, prize: int, day: date, origin: datetime) -> Job:
    litres = math.ceil(bin.capacity_litres * max(min(fill, 110.0), 5.0) / 100)
    window = None
    if bin.access_from or bin.access_until:
        window = (
            _seconds(_aware(day, bin.access_from or time(0)), origin),
            _seconds(_aware(day, bin.access_until or time(23, 59)), origin),
        )
    return Job(
        bin.pk,
        bin.longitude,
        bin.latitude,
        litres,
        int(litres * DENSITY_KG_PER_LITRE.get(bin.kind, 0.12)),
        int(bin.service_minutes * 60),
        window,
        required,
        prize,
    )


def _disposal() -> DisposalSite:
    """The disposal site a plan tips at. The solver routes to one site; of several, the one
    nearest the bins in service and the vehicles' depots (the drive there and on home), so a
    far site named first is not used by accident."""
    sites = list(DisposalSite.objects.all())
    if not sites:
        raise _invalid("disposal_site", _("Add a disposal site before planning."), "no_disposal_site")
    centres = [
        (c["lon"], c["lat"])
        for c in (
            Bin.objects.filter(is_active=True, longitude__isnull=False, latitude__isnull=False).aggregate(
                lon=Avg("longitude"), lat=Avg("latitude")
            ),
            Depot.objects.filter(vehicles__is_active=True).aggregate(lon=Avg("longitude"), lat=Avg("latitude")),
        )
        if c["lon"] is not None
    ]
    if len(sites) == 1 or not centres:
        return sites[0]
    distance = haversine_m([(s.longitude, s.latitude) for s in sites] + centres)
    return min(sites, key=lambda s: sum(distance[sites.index(s)][len(sites) :]))


def build_plan(
    day: date,
    *,
    user: User | None = None,
    seconds: float | None = None,
    patience: int | None = None,
    now: datetime | None = None,
) -> Plan:
    """Choose and route the bins for ``day`` over the whole active fleet, and store the plan
    (``seconds`` and ``patience``: see ``routing.solve_plan``). ``user``: the planner asking (None:
    the platform, e.g. the nightly job and simulations)."""
    _require_planner(user)
    disposal = _disposal()
    origin = _aware(day, time(0))
    start, end = shift_window(day)
    moment = timezone.localtime(now or min(timezone.now(), start - timedelta(minutes=1)))
    middle = timezone.localtime(start + (end - start) / 2)
    next_shift = timezone.localtime(next_shift_end(day))
    bins = list(Bin.objects.filter(is_active=True))
    rules = policy(bins)
    histories = fill_histories(bins, moment)
    reported_full = _reports_to_trust(selectors.reported_full_bins(), histories)
    jobs: list[Job] = []
    decisions: dict[int, tuple[float, bool]] = {}
    for bin in bins:
        history = histories[bin.pk]
        model = forecast.fit(history)
        current = forecast.current_fill(model, history, moment)
        if bin.pk in reported_full:  # a resident saw it full: it is full now, whatever the forecast says
            current = max(current, 100.0)
        decision = decide(
            rules,
            model,
            now=moment,
            current=current,
            shift_middle=middle,
            next_shift=next_shift,
        )
        if not bin.has_location:
            # Still offered, so the planner names it in what it left out.
            jobs.append(Job(bin.pk, None, None, 0, 0, 0, None, decision.required, decision.prize))
            decisions[bin.pk] = (decision.fill_at_shift, decision.required)
            continue
        if decision.offered:
            jobs.append(_job(bin, decision.fill_at_shift, decision.required, decision.prize, day, origin))
            decisions[bin.pk] = (decision.fill_at_shift, decision.required)
    vehicles = list(Vehicle.objects.filter(is_active=True).select_related("depot"))
    trucks = [_truck(v, day, origin) for v in vehicles]
    travel: TravelModel = conf.travel_model()  # type: ignore[assignment]
    result = solve_plan(
        jobs,
        trucks,
        _site(disposal, "disposal"),
        travel=travel,
        unload_s=disposal.unload_minutes * 60,
        disposal_window=_disposal_window(disposal, day, origin),
        seconds=seconds or conf.solver_seconds(),
        patience=patience,
    )
    return _store(day, origin, result, vehicles, disposal, decisions, user=user, travel=travel.name)


PLAN_JOB_ABANDONED_AFTER = timedelta(minutes=10)  # a plan's solve takes at most 90 s


def check_day_to_plan(day: date) -> None:
    """A person plans today or a day to come: a past day's plan would only be a wrong record of
    what the crews did (``build_plan`` itself takes any day, for simulations and tests)."""
    if day < timezone.localdate():
        raise _invalid("date", _("Plan today or a day to come."), "past")


def request_plan(day: date, *, user: User | None, seconds: float, language: str = "") -> PlanJob:
    """Ask for ``day``'s plan to be built by a job (:func:`complete_plan_job`), for a page or a
    client that would rather poll than hold a request open for the solve. What the plan would
    refuse at once (no disposal site) is refused here. While a job for ``day`` is still running,
    that job is returned: a second click, or a second planner, waits for the same plan."""
    _require_planner(user)
    check_day_to_plan(day)
    _disposal()
    running = PlanJob.objects.filter(date=day, status=PlanJobStatus.RUNNING).order_by("-pk").first()
    if running is not None and plan_job(running.pk).status == PlanJobStatus.RUNNING:
        return running
    with transaction.atomic():
        job = PlanJob.objects.create(date=day, seconds=seconds, created_by=user, language=language)
        transaction.on_commit(lambda: _enqueue_plan(job.pk))
    return job


def _enqueue_plan(job_id: int) -> None:
    _enqueue(
        "build_requested_plan",
        job_id,
        PlanJob.objects.filter(pk=job_id, status=PlanJobStatus.RUNNING),
        status=PlanJobStatus.FAILED,
        error=_("The plan could not be started. Try again."),
    )


def _enqueue(task_name: str, row_id: int, running: models.QuerySet[Any], **failed: object) -> None:
    """Queue the job ``tasks.<task_name>`` for a row a person asked for; if it cannot be queued,
    no job will run it: the ``running`` row is updated to ``failed`` at once rather than left
    running until it is given up."""
    from cityos.waste import tasks

    try:
        getattr(tasks, task_name).enqueue(row_id)
    except Exception:
        logger.exception("waste job could not be queued", extra={"task": task_name, "row": row_id})
        running.update(**failed)


def complete_plan_job(job_id: int) -> PlanJob:
    """Build the plan a :class:`PlanJob` asked for (in a worker), and record it or why not.

    The job is claimed first, so two workers never build it twice, and its clock restarts: a
    poll gives it up only ``PLAN_JOB_ABANDONED_AFTER`` after a worker took it up (a solve takes
    at most 90 s)."""
    now = timezone.now()
    claimed = PlanJob.objects.filter(pk=job_id, status=PlanJobStatus.RUNNING, started_at__isnull=True).update(
        started_at=now, updated_at=now
    )
    job = PlanJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job  # given up meanwhile, or another worker has it
    with translation.override(job.language or None):
        try:
            plan = build_plan(job.date, user=job.created_by, seconds=job.seconds, patience=conf.REQUEST_PATIENCE)
        except ValidationError as error:
            job.status, job.error = PlanJobStatus.FAILED, " ".join(error.messages)[:500]
        except Exception:
            logger.exception("waste plan job failed", extra={"plan_job": job_id})
            job.status, job.error = PlanJobStatus.FAILED, _("The plan could not be built. Try again.")
        else:
            job.status, job.plan = PlanJobStatus.DONE, plan
    # Only a job still running is finished: one given up meanwhile keeps what its client was told.
    PlanJob.objects.filter(pk=job.pk, status=PlanJobStatus.RUNNING).update(
        status=job.status, error=job.error, plan=job.plan, updated_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def plan_job(job_id: int, *, now: datetime | None = None) -> PlanJob:
    """A plan job as its client polls it; one still running ``PLAN_JOB_ABANDONED_AFTER`` after it
    was asked for or taken up is failed: no worker took it up, or its worker stopped."""
    stale = (now or timezone.now()) - PLAN_JOB_ABANDONED_AFTER
    job = PlanJob.objects.get(pk=job_id)
    if job.status == PlanJobStatus.RUNNING and job.updated_at < stale:
        with translation.override(job.language or None):  # told in the requester's language
            message = (
                _("The plan was not built: its worker stopped. Try again.")
                if job.started_at
                else _("The plan was not built: no worker took it up. Try again.")
            )
        PlanJob.objects.filter(pk=job_id, status=PlanJobStatus.RUNNING, updated_at__lt=stale).update(
            status=PlanJobStatus.FAILED, error=message
        )
        job.refresh_from_db()
    return job


def _disposal_window(site: DisposalSite, day: date, origin: datetime) -> tuple[int, int] | None:
    if site.opens_at is None and site.closes_at is None:
        return None
    return (
        _seconds(_aware(day, site.opens_at or time(0)), origin),
        _seconds(_aware(day, site.closes_at or time(23, 59)), origin),
    )


def _store(
    day: date,
    origin: datetime,
    result: PlanResult,
    vehicles: list[Vehicle],
    disposal: DisposalSite,
    decisions: dict[int, tuple[float, bool]],
    *,
    user: User | None,
    travel: str,
    replans: Plan | None = None,
) -> Plan:
    by_id = {v.pk: v for v in vehicles}
    bins = Bin.objects.in_bulk(
        [k for r in result.routes for v in r.visits if v.kind == "bin" for k in [v.key]]
        + [o.key for o in result.omitted]
    )
    with transaction.atomic():
        plan = Plan.objects.create(
            date=day,
            created_by=user,
            replans=replans,
            travel_model=travel,
            solver_seconds=round(result.seconds, 2),
            feasible=result.feasible,
            distance_m=result.distance_m,
            problems=[{"code": p.code, "count": p.count} for p in result.problems],
            bins_planned=sum(1 for r in result.routes for v in r.visits if v.kind == "bin"),
        )
        stops = []
        for truck_route in result.routes:
            vehicle = by_id[truck_route.truck]
            visits = truck_route.visits
            route = Route.objects.create(
                plan=plan,
                vehicle=vehicle,
                start_at=origin + timedelta(seconds=visits[0].arrive_s),
                end_at=origin + timedelta(seconds=visits[-1].depart_s),
                distance_m=truck_route.distance_m,
                trips=truck_route.trips,
                load_litres=truck_route.litres,
                load_kg=truck_route.kg,
            )
            for sequence, visit in enumerate(visits):
                kind = {"bin": StopKind.BIN, "disposal": StopKind.DISPOSAL, "break": StopKind.BREAK}.get(
                    visit.kind, StopKind.DEPOT
                )
                target = bins.get(visit.key) if kind == StopKind.BIN and isinstance(visit.key, int) else None
                label = {StopKind.DISPOSAL: disposal.name, StopKind.DEPOT: vehicle.depot.name}.get(kind, "")
                if visit.kind == "start":
                    label = _("Where the vehicle is now")
                fill, required = decisions.get(target.pk, (None, False)) if target else (None, False)
                stops.append(
                    Stop(
                        route=route,
                        sequence=sequence,
                        kind=kind,
                        bin=target,
                        longitude=visit.lon,
                        latitude=visit.lat,
                        label=(target.address or target.ref) if target else label,
                        eta=origin + timedelta(seconds=visit.arrive_s),
                        required=required,
                        predicted_fill=round(fill, 1) if fill is not None else None,
                    )
                )
        Stop.objects.bulk_create(stops)
        Omission.objects.bulk_create(
            Omission(
                plan=plan,
                bin=bins[o.key],
                required=o.required,
                reason=o.reason,
            )
            for o in result.omitted
            if o.key in bins and (o.required or o.reason != "not_worth_it")
        )
        publish(
            PlanCreated(
                plan_id=plan.pk,
                date=day.isoformat(),
                feasible=plan.feasible,
                replans_id=replans.pk if replans else None,
            )
        )
    return plan


def _reports_to_trust(
    reported: dict[int, datetime], histories: Mapping[int, Sequence[tuple[datetime, float]]]
) -> set[int]:
    """The reported-full bins a plan takes as full now: not those whose sensor saw an emptying
    after the last report (collected since, outside a plan), and at most ``conf.report_must_max()``,
    the most reported first, so that reports cannot swamp a plan. A sensor that reads low all
    along does not overrule a resident: it may be the thing that is wrong."""
    trusted = [bin_id for bin_id, since in reported.items() if not _emptied_since(histories.get(bin_id, ()), since)]
    return set(trusted[: conf.report_must_max()])


def _emptied_since(history: Sequence[tuple[datetime, float]], since: datetime) -> bool:
    before = [percent for at, percent in history if at <= since]
    if not before:
        return False
    return any(at > since and percent <= before[-1] - forecast.EMPTIED_DROP for at, percent in history)


def publish_plan(plan: Plan, *, user: User | None) -> Plan:
    """Make ``plan`` the one crews follow on its day (a planner, or None: the platform)."""
    _require_planner(user)
    with transaction.atomic():
        Plan.objects.filter(date=plan.date, status=PlanStatus.PUBLISHED).exclude(pk=plan.pk).update(
            status=PlanStatus.SUPERSEDED
        )
        plan.status = PlanStatus.PUBLISHED
        plan.save(update_fields=["status"])
    return plan


MISSED_FIELDS = ("missed_reason", "missed_note", "missed_at", "missed_by", "missed_photo")


def mark_collected(stop: Stop, *, user: User | None, fill: float | None = None, at: datetime | None = None) -> Stop:
    """A crew emptied the bin of ``stop``; ``fill`` is what they saw (else the sensor's last value).

    Residents' open "full" reports of the bin made before then are resolved as collected. A bin
    reported not collected earlier (a car was in the way) may still be collected once it can: what
    was reported goes, its photo too (the file once this commits)."""
    _require_crew(user)
    if fill is not None and not 0 <= fill <= 150:
        raise _invalid("fill", _("A fill level is between 0 and 150%."), "fill_range")
    when = at or timezone.now()
    with transaction.atomic():
        bin = _hold_stop(stop, _("Only a bin stop can be marked collected."), when)
        if stop.collected:
            raise _invalid("stop", _("This bin is already marked collected."), "already_collected")
        stop.collected = True
        stop.collected_at = when
        stop.collected_by = user
        stop.fill_at_pickup = fill if fill is not None else bin.last_fill
        old_photo = stop.missed_photo.name or ""
        stop.missed_reason, stop.missed_note, stop.missed_at, stop.missed_by = "", "", None, None
        stop.missed_photo.name = ""
        stop.save(update_fields=["collected", "collected_at", "collected_by", "fill_at_pickup", *MISSED_FIELDS])
        if bin.datastream_id is None:
            if fill is not None:
                FillReading.objects.create(bin=bin, at=when - timedelta(seconds=1), percent=fill)
            FillReading.objects.create(bin=bin, at=when, percent=0)
            Bin.objects.filter(pk=bin.pk).update(last_fill=0, last_fill_at=when)
        # A report repeated after the collection (full again) stays open.
        _close_reports(bin, ReportResolution.COLLECTED, when, problem=ReportProblem.FULL)
        _update_route_status(stop.route)
        if old_photo:
            transaction.on_commit(lambda: _delete_files([old_photo]))
        publish(StopCollected(stop_id=stop.pk, bin_id=bin.pk, route_id=stop.route.pk))
    return stop


def mark_missed(
    stop: Stop,
    *,
    user: User | None,
    reason: str,
    note: str = "",
    photo: Photo | None = None,
    at: datetime | None = None,
) -> Stop:
    """A crew came to the bin of ``stop`` but could not empty it, for ``reason`` (a
    :class:`MissedReason`), with what they saw (``note``, and an optional ``photo`` made safe by
    ``photos.prepare``, kept in private storage for planners). The stop counts as dealt with on the
    route's progress; the bin's readings still show it full, so the next plan takes it again when
    it must. A damaged bin in service is also filed as a damaged-bin report (channel ``crew``,
    with the note and a copy of the photo: the report and the stop each own their file, so
    either may be deleted, by retention or a later collection, without the other's going
    missing), so that it is repaired. Nothing is half-saved: the mark, the report and their
    photo files are one write, and a file written for a mark that is refused or fails is deleted."""
    _require_crew(user)
    if reason not in MissedReason.values:
        raise _invalid("reason", _("Choose why the bin could not be collected."), "invalid_reason")
    text = clean_text(note).strip()  # every path alike: the page, the API, a test or a script
    if (problem := _note_problem(text)) is not None:
        raise ValidationError({"note": [problem]})
    when = at or timezone.now()
    with _new_photo_files() as stored, transaction.atomic():
        bin = _hold_stop(stop, _("Only a bin stop can be reported not collected."), when)
        if stop.collected:
            raise _invalid("stop", _("This bin is already marked collected."), "already_collected")
        if stop.missed_reason:
            raise _invalid("stop", _("This bin is already reported not collected."), "already_missed")
        stop.missed_reason, stop.missed_note, stop.missed_at, stop.missed_by = reason, text, when, user
        if photo is not None:
            _keep_photo(stop.missed_photo, photo, stored)
        stop.save(update_fields=list(MISSED_FIELDS))
        if reason == MissedReason.DAMAGED and bin.is_active:
            report_bin(bin.ref, ReportProblem.DAMAGED, note=text, channel=ReportChannel.CREW, photo=photo, at=when)
        _update_route_status(stop.route)
        publish(StopMissed(stop_id=stop.pk, bin_id=bin.pk, route_id=stop.route.pk, reason=reason))
    return stop


def _hold_stop(stop: Stop, not_a_bin: str, when: datetime) -> Bin:
    """Lock ``stop``'s route and read ``stop`` afresh (two crew phones may act on one route at
    once: each then sees the other's work, and the route's status counts both); its bin. Only
    the plan the crews follow takes their work, and only on its day (``when``)."""
    route = Route.objects.select_for_update().select_related("plan").get(pk=stop.route_id)
    stop.refresh_from_db()
    stop.route = route
    if stop.kind != StopKind.BIN or stop.bin is None:
        raise _invalid("stop", not_a_bin, "not_a_bin")
    if route.status == RouteStatus.BROKEN_DOWN:
        raise _invalid("stop", _("This vehicle broke down; the stop was re-planned."), "broken_down")
    plan = route.plan
    if plan.status == PlanStatus.SUPERSEDED or selectors.current_plan(plan.date) != plan:
        raise _invalid(
            "stop", _("This plan is no longer the one crews follow: open the current plan's crew page."), "superseded"
        )
    if timezone.localdate(when) != plan.date:
        raise _invalid(
            "at",
            _("This plan is for %(day)s: its bins are marked on that day.") % {"day": formats.date_format(plan.date)},
            "wrong_day",
        )
    return stop.bin


def _update_route_status(route: Route) -> None:
    """Underway while a bin stop is left to deal with, done once every one is collected or missed."""
    remaining = route.stops.filter(kind=StopKind.BIN, collected=False, missed_reason="").exists()
    status = RouteStatus.UNDERWAY if remaining else RouteStatus.DONE
    if route.status != status:
        Route.objects.filter(pk=route.pk).update(status=status)
        route.status = status


def report_breakdown(
    route: Route,
    *,
    user: User | None,
    at: datetime | None = None,
    seconds: float | None = None,
    patience: int | None = conf.REQUEST_PATIENCE,
) -> Plan:
    """``route``'s vehicle broke down: re-solve every uncollected stop of its plan over the
    remaining vehicles, each from where it is now with what it already carries."""
    _require_planner(user)
    if route.status == RouteStatus.BROKEN_DOWN:
        raise _invalid("route", _("This vehicle is already reported broken down."), "already_broken")
    plan = route.plan
    if plan.status == PlanStatus.SUPERSEDED:
        raise _invalid("route", _("This plan was replaced; report the breakdown on the current plan."), "superseded")
    if selectors.current_plan(plan.date) != plan:
        raise _invalid(
            "route",
            _("The crews follow the published plan for this day, not this draft: report the breakdown there."),
            "not_current",
        )
    moment = at or timezone.now()
    day = plan.date
    if day < timezone.localdate(moment):
        raise _invalid(
            "route", _("This plan's day is over: a breakdown can only change today's or a later plan."), "day_over"
        )
    origin = _aware(day, time(0))
    disposal = _disposal()
    rules = policy(list(Bin.objects.filter(is_active=True)))
    jobs: list[Job] = []
    decisions: dict[int, tuple[float, bool]] = {}
    # Stops the crews reported not collected were visited: they wait for a later plan, and the
    # re-plan lists them as left out, so the supervisor still sees them.
    uncollected = list(Stop.objects.filter(route__plan=plan, kind=StopKind.BIN, collected=False).select_related("bin"))
    missed = [s for s in uncollected if s.missed_reason]
    for stop in (s for s in uncollected if not s.missed_reason):
        assert stop.bin is not None
        fill = stop.predicted_fill if stop.predicted_fill is not None else 80.0
        prize = REQUIRED_IF_MISSED if stop.required else rules.prize(fill)
        jobs.append(_job(stop.bin, fill, stop.required, prize, day, origin))
        decisions[stop.bin.pk] = (fill, stop.required)
    trucks = []
    vehicles = []
    start_s = _seconds(moment, origin)
    broken = set(plan.routes.filter(status=RouteStatus.BROKEN_DOWN).values_list("vehicle_id", flat=True))
    routes_by_vehicle = {r.vehicle_id: r for r in plan.routes.all()}
    remaining_fleet = Vehicle.objects.filter(is_active=True).exclude(pk__in={route.vehicle_id, *broken})
    shifts_over = 0
    for vehicle in remaining_fleet.select_related("depot"):
        truck = _truck(vehicle, day, origin)
        if max(truck.start_s, start_s) >= truck.end_s:
            shifts_over += 1
            continue  # its shift is over: it can take nothing more today
        other = routes_by_vehicle.get(vehicle.pk)
        if other is None:  # not out today: it can leave the depot now
            trucks.append(replace(truck, start_s=max(truck.start_s, start_s)))
            vehicles.append(vehicle)
            continue
        handled = list(
            other.stops.filter(Q(collected=True) | ~Q(missed_reason=""), kind=StopKind.BIN)
            .select_related("bin")
            .order_by("sequence")
        )
        # Where its crew last was, whether it emptied that bin or not.
        position = _site(handled[-1].bin, "bin") if handled and handled[-1].bin else None
        done = [s for s in handled if s.collected]
        last_tip = other.stops.filter(kind=StopKind.DISPOSAL, eta__lte=moment).order_by("-sequence").first()
        since_tip = [s for s in done if last_tip is None or (s.collected_at and s.collected_at > last_tip.eta)]
        litres = sum(
            _job(s.bin, s.fill_at_pickup or s.predicted_fill or 80.0, False, 0, day, origin).litres
            for s in since_tip
            if s.bin
        )
        kg = int(litres * 0.12)
        trucks.append(
            Truck(
                truck.key,
                truck.depot,
                truck.litres,
                truck.kg,
                max(truck.start_s, start_s),
                truck.end_s,
                truck.break_s if start_s - truck.start_s < truck.break_after_s else 0,
                truck.break_after_s,
                start=position,
                load_litres=litres,
                load_kg=kg,
            )
        )
        vehicles.append(vehicle)
    travel: TravelModel = conf.travel_model()  # type: ignore[assignment]
    result = solve_plan(
        jobs,
        trucks,
        _site(disposal, "disposal"),
        travel=travel,
        unload_s=disposal.unload_minutes * 60,
        disposal_window=_disposal_window(disposal, day, origin),
        seconds=seconds or min(conf.solver_seconds(), 10.0),
        patience=patience,
    )
    if not trucks and shifts_over:  # vehicles are in service, but their day is done
        result = _shifts_over(result)
    with transaction.atomic():
        Route.objects.filter(pk=route.pk).update(status=RouteStatus.BROKEN_DOWN)
        for driven in plan.routes.prefetch_related("stops"):
            Route.objects.filter(pk=driven.pk).update(driven_m=driven_so_far_m(driven, travel))
        replan = _store(day, origin, result, vehicles, disposal, decisions, user=user, travel=travel.name, replans=plan)
        Omission.objects.bulk_create(
            Omission(
                plan=replan,
                bin=stop.bin,
                required=stop.required,
                reason="crew_missed",
                detail=stop.missed_reason,
            )
            for stop in missed
            if stop.bin is not None
        )
        # The day's other published plan too, if any (the re-plan is what crews follow now).
        Plan.objects.filter(date=day).filter(Q(pk=plan.pk) | Q(status=PlanStatus.PUBLISHED)).update(
            status=PlanStatus.SUPERSEDED
        )
        replan.status = PlanStatus.PUBLISHED
        replan.save(update_fields=["status"])
        publish(RouteBrokenDown(route_id=route.pk, vehicle_id=route.vehicle_id, replan_id=replan.pk))
    return replan


REQUIRED_IF_MISSED = 0  # required stops carry the solver's own must-collect prize


def _shifts_over(result: PlanResult) -> PlanResult:
    """``result`` of a re-plan with no vehicle left, told as what it is: the vehicles in service
    have no shift time left today (not that there are none)."""
    omitted = [replace(o, reason="shift_over") if o.reason == "no_vehicle" else o for o in result.omitted]
    problems = [replace(p, code="shift_over") if p.code == "no_vehicle" else p for p in result.problems]
    return replace(result, omitted=omitted, problems=problems)


def driven_so_far_m(route: Route, travel: TravelModel) -> float:
    """How far ``route``'s vehicle has driven along it: from its start, through its stops in
    order up to the last bin its crew emptied or reported, leaving out the bins before that it
    did not deal with (it may have driven past them). 0 before the crew dealt with any bin: how
    far it got towards the first is not known, so the day's kilometres are never overstated."""
    stops = sorted(route.stops.all(), key=lambda s: s.sequence)
    last = max((s.sequence for s in stops if s.kind == StopKind.BIN and s.handled), default=None)
    if last is None:
        return 0.0
    path = [(s.longitude, s.latitude) for s in stops if s.sequence <= last and (s.kind != StopKind.BIN or s.handled)]
    distance, _duration = travel.matrices(path)
    return float(sum(distance[i][i + 1] for i in range(len(path) - 1)))


# --- Residents' reports -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportOutcome:
    report: BinReport
    # True: the bin already had an open report of this problem; this one was added to its count.
    repeated: bool
    # True: this resident's number was kept, to text them once the bin is emptied.
    texted: bool = False


def _note_problem(text: str) -> ValidationError | None:
    """What is wrong with a note a resident or a crew wrote, if anything."""
    if "\x00" in text:  # PostgreSQL cannot store it: Django's own (translated) refusal
        return ValidationError(_NO_NUL.message, code=_NO_NUL.code)
    if len(text) > NOTE_MAX_LENGTH:
        return ValidationError(
            _("Keep the note to %(max)d characters (it has %(n)d).") % {"max": NOTE_MAX_LENGTH, "n": len(text)},
            code="note_too_long",
        )
    return None


def find_bin(typed: str) -> Bin:
    """The bin a resident means by the reference ``typed``, in or out of service: the one whose
    stored reference has the same canonical form (:func:`cityos.waste.refs.canonical`: case,
    spaces, dashes, full stops, full-width characters and leading zeros do not matter), or, for
    a number alone, the one reference that is letters and then that number.

    Never a guess: a ValidationError when nothing was typed (``required``), no bin matches
    (``unknown_bin``), or more than one does (``ambiguous_bin``: "0012" where the city has
    BIN-0012 and BIN-S012, unless one is exactly what was typed)."""
    cleaned = " ".join((typed or "").split())
    if not cleaned:
        raise ValidationError(_("Give the bin's reference: it is printed on its sticker."), code="required")
    key = refs.canonical(cleaned)
    found: list[str] = []
    if key:
        known = list(Bin.objects.filter(ref__icontains=refs.anchor(key)).values_list("ref", flat=True))
        found = refs.same(key, known)
        if len(found) > 1 and cleaned in found:
            found = [cleaned]
        if not found and key.isdigit():
            found = refs.numbered(key, known)
    if len(found) > 1:
        first, second = sorted(found)[:2]
        raise ValidationError(
            _(
                "“%(ref)s” matches more than one bin, such as %(first)s and %(second)s. "
                "Give the whole reference printed on its sticker."
            )
            % {"ref": cleaned[:60], "first": first, "second": second},
            code="ambiguous_bin",
        )
    if not found:
        raise ValidationError(
            _("We do not know the bin “%(ref)s”. Check the reference printed on its sticker.") % {"ref": cleaned[:60]},
            code="unknown_bin",
        )
    return Bin.objects.get(ref=found[0])


def reportable_bin(ref: str, *also: str) -> Bin:
    """The active bin a resident means by ``ref`` (see :func:`find_bin`), or a ValidationError
    saying what to fix. When no bin matches ``ref``, each reading in ``also`` is tried in turn
    (the SMS parser's reading without a repeated keyword); if none matches either, the refusal
    is ``ref``'s."""
    unknown: ValidationError | None = None
    for typed in (ref, *also):
        try:
            target = find_bin(typed)
        except ValidationError as error:
            if error.code != "unknown_bin":
                raise
            unknown = unknown or error
            continue
        if not target.is_active:
            raise _out_of_service(target)
        return target
    assert unknown is not None
    raise unknown


_PHOTO_LINK = URLValidator(schemes=["https"])
_NO_NUL = ProhibitNullCharactersValidator()


def _public_https(link: str) -> bool:
    """An https address on a host name that is not an IP address or an obviously local name
    (``localhost``, ``.local``, ``.internal``, a name without a dot), with no user or password
    in it. A name that resolves inside the city's network still passes: a planner's browser,
    not the server, opens the link."""
    if len(link) > MEDIA_URL_MAX_LENGTH or "\x00" in link:  # the validator lets a NUL through
        return False
    try:
        _PHOTO_LINK(link)
    except ValidationError:
        return False
    parts = urlsplit(link)
    if parts.username is not None or parts.password is not None:
        return False
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host and host != "localhost" and not host.endswith((".localhost", ".local", ".internal"))
    return False


def _out_of_service(bin: Bin) -> ValidationError:
    return ValidationError(
        _("Bin %(ref)s is out of service and cannot be reported.") % {"ref": bin.ref}, code="inactive_bin"
    )


def report_bin(
    ref: str,
    problem: str,
    *,
    note: str = "",
    channel: str = ReportChannel.WEB,
    phone: str = "",
    language: str = "",
    photo: Photo | None = None,
    media_url: str = "",
    at: datetime | None = None,
) -> ReportOutcome:
    """A resident reports bin ``ref`` full, damaged or otherwise wrong, with an optional photo
    (made safe by ``photos.prepare``) or the web address of one (an Open311 app's ``media_url``).

    The reference is read as :func:`find_bin` reads it. Refused with a message on the field: no
    or an unknown reference, one that matches more than one bin, a bin out of service, no
    or an unknown problem, a note over 500 characters, a phone number that is not one, a photo
    address that is not https on a public host. A repeat of an open report (same bin and problem) adds to
    its count (and a note or photo it lacked, and its number as a follower) and returns it
    (``repeated``)."""
    errors: dict[str, list[ValidationError]] = {}
    target: Bin | None = None
    try:
        target = reportable_bin(ref)
    except ValidationError as error:
        errors["bin"] = error.error_list
    if not problem:
        errors["problem"] = [ValidationError(_("Choose what is wrong with the bin."), code="required")]
    elif problem not in ReportProblem.values:
        errors["problem"] = [ValidationError(_("Choose full, damaged or something else."), code="invalid_problem")]
    text = clean_text(note or "").strip()  # the page, the API and Open311 alike
    if (note_problem := _note_problem(text)) is not None:
        errors["note"] = [note_problem]
    link = (media_url or "").strip()
    if link and not _public_https(link):
        errors["media_url"] = [
            ValidationError(
                _("Give the photo's public web address, starting with https:// (at most %(max)d characters).")
                % {"max": MEDIA_URL_MAX_LENGTH},
                code="invalid_media_url",
            )
        ]
    if channel not in ReportChannel.values:
        errors["channel"] = [ValidationError(_("Unknown channel."), code="invalid_channel")]
    number = ""
    if phone:
        try:
            number = normalise_phone(phone)
        except ValidationError as error:
            errors["phone"] = [error]
    if errors:
        raise ValidationError(errors)
    assert target is not None
    # The language follows the page or keyword (not typed by the resident): unknown means English.
    language = language if language in Language.values else ""
    # Only a full bin gets news (that it was emptied), so only then is a number worth keeping.
    number = number if problem == ReportProblem.FULL else ""
    when = at or timezone.now()
    with _new_photo_files() as stored, transaction.atomic():
        # Reports of a bin, their resolutions and its collections take the bin's lock in turn, so
        # two residents reporting at once share one open report and none is added to a closed one.
        locked = Bin.objects.select_for_update().get(pk=target.pk)
        if not locked.is_active:
            raise ValidationError({"bin": _out_of_service(locked)})
        report = BinReport.objects.filter(bin=target, problem=problem, resolved_at__isnull=True).first()
        repeated = report is not None
        followed = False
        if report is not None:
            report.count += 1
            report.last_reported_at = when
            if text and not report.note:
                report.note = text
            # A later number follows the report with its own time, so retention ages it from
            # when this resident reported, not from the report's first.
            if number and number != report.phone:
                followed = _follow(report, number, language, when)
            if link and not report.media_url:
                report.media_url = link
            fields = ["count", "last_reported_at", "note", "media_url"]
        else:
            report = BinReport(
                bin=target,
                problem=problem,
                note=text,
                channel=channel,
                phone=number,
                language=language if number else "",
                media_url=link,
                created_at=when,
                last_reported_at=when,
            )
            fields = []
        if photo is not None and not report.photo:
            _keep_photo(report.photo, photo, stored)
            fields.append("photo")
        if report.pk is None:
            report.save()
        else:
            report.save(update_fields=fields)
        publish(BinReported(report_id=report.pk, bin_id=target.pk, problem=problem, repeated=repeated, channel=channel))
    return ReportOutcome(report, repeated, texted=bool(number) and (report.phone == number or followed))


def _follow(report: BinReport, number: str, language: str, when: datetime) -> bool:
    """Keep another resident's ``number`` on an open report (the caller holds the bin's lock), so
    they are texted too: True if it is kept, False once the report has ``FOLLOWERS_MAX``. A
    number already following is kept from this report on, in the language used now."""
    if report.followers.filter(phone=number).update(created_at=when, language=language):
        return True
    if report.followers.count() >= FOLLOWERS_MAX:
        return False
    ReportFollower.objects.create(report=report, phone=number, language=language, created_at=when)
    return True


def resolve_report(report: BinReport, resolution: str, *, user: User | None, at: datetime | None = None) -> BinReport:
    """Staff close an open report: the bin was collected, or the report is dismissed (a planner,
    or None: the platform)."""
    _require_planner(user)
    if resolution not in ReportResolution.values:
        raise _invalid("resolution", _("Choose collected or dismissed."), "invalid_resolution")
    with transaction.atomic():
        Bin.objects.select_for_update().filter(pk=report.bin_id).first()
        current = BinReport.objects.select_related("bin").get(pk=report.pk)
        if current.resolved_at is not None:
            raise _invalid("resolution", _("This report is already resolved."), "already_resolved")
        _resolve(current, resolution, at or timezone.now())
    report.resolved_at, report.resolution, report.phone = current.resolved_at, current.resolution, current.phone
    return report


def _close_reports(bin: Bin, resolution: str, when: datetime, *, problem: str | None = None) -> int:
    """Resolve ``bin``'s open reports last made by ``when`` (each saved, so each is audited)."""
    Bin.objects.select_for_update().filter(pk=bin.pk).first()
    open_reports = BinReport.objects.filter(bin=bin, resolved_at__isnull=True, last_reported_at__lte=when)
    if problem is not None:
        open_reports = open_reports.filter(problem=problem)
    closed = 0
    for report in open_reports.select_related("bin"):
        _resolve(report, resolution, when)
        closed += 1
    return closed


def _resolve(report: BinReport, resolution: str, when: datetime) -> None:
    """Close one open report (the caller holds the bin's lock); saved, so it is audited."""
    report.resolved_at, report.resolution = when, resolution
    _tell_reporter(report)
    report.save(update_fields=["resolved_at", "resolution", "phone"])
    publish(ReportResolved(report_id=report.pk, bin_id=report.bin_id, resolution=resolution))


def _tell_reporter(report: BinReport) -> None:
    """A report being resolved: text the residents who reported it full and left a number (its
    first and its followers) that the bin was emptied (queued with the resolution, sent once it
    commits), then forget their numbers, their only use here (the message log keeps them for its
    own retention). A city that deleted the text, a number the gateway cannot take or any other
    failure costs that message, never the collection or the other residents' texts."""
    followers = list(report.followers.all())
    if report.problem == ReportProblem.FULL and report.resolution == ReportResolution.COLLECTED:
        assert report.resolved_at is not None
        emptied_at = timezone.localtime(report.resolved_at)
        # A planner may resolve a report days later: then the text says which day.
        same_day = emptied_at.date() == timezone.localdate()
        context = {
            "bin": report.bin.ref,
            "report": report.pk,
            "time": emptied_at.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M"),
        }
        residents = {f.phone: f.language for f in followers}
        if report.phone:
            residents[report.phone] = report.language  # one text a number, whatever happened
        for phone, language in residents.items():
            _text_emptied(report, phone, language, context)
    for follower in followers:
        follower.delete()  # one by one, so each is audited
    report.phone = ""


def _text_emptied(report: BinReport, phone: str, language: str, context: dict[str, Any]) -> None:
    try:
        with transaction.atomic():  # a savepoint: whatever fails here leaves the resolution whole
            notifications.send_to_address(
                phone, "sms", TEMPLATE_REPORT_COLLECTED, context, language=language or Language.ENGLISH
            )
    except ValidationError as error:  # e.g. the city deleted the text: that turns it off
        logger.warning("Bin report %s: an emptied message was not sent: %s", report.pk, error.messages)
    except Exception:
        logger.exception("Bin report %s: an emptied message could not be queued", report.pk)


def clear_report_phones(now: datetime | None = None) -> int:
    """Retention: remove the phone numbers, notes and photos of reports older than
    CITYOS_WASTE_REPORT_PHONE_DAYS (a note may name someone though residents are asked not to; a
    photo may show someone), and followers' numbers kept that long. Photo files are deleted once
    the cleared rows are committed. Returns the reports cleared plus the followers forgotten."""
    days = conf.report_phone_days()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    # Its own transaction, holding no report's lock: resolving a report locks its followers
    # first and then the report, so taking them in the other order could deadlock.
    with transaction.atomic():
        forgotten, _by_model = ReportFollower.objects.filter(created_at__lt=cutoff).delete()
        if forgotten:
            record_retention(
                "waste.ReportFollower",
                forgotten,
                f"Phone numbers of {forgotten} residents following bin reports for more than {days} days removed",
            )
    cleared = _clear_old(
        BinReport.objects.filter(created_at__lt=cutoff),
        {"phone": "", "note": "", "photo": "", "media_url": ""},
        "photo",
        f"Phone numbers, notes and photos of {{n}} bin reports older than {days} days removed",
    )
    return cleared + forgotten


def clear_crew_photos(now: datetime | None = None) -> int:
    """Retention: delete the photos crews took of bins they could not collect (a parked car's may
    show its number plate, or a person) once older than CITYOS_WASTE_REPORT_PHONE_DAYS, like
    residents' photos; the files once that commits. The stop keeps why and the crew's note.
    Returns the stops cleared."""
    days = conf.report_phone_days()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return _clear_old(
        Stop.objects.filter(missed_at__lt=cutoff),
        {"missed_photo": ""},
        "missed_photo",
        f"Photos of {{n}} bins crews could not collect, older than {days} days, removed",
    )


def _clear_old(rows: models.QuerySet[Any], blank: Mapping[str, str], photo: str, description: str) -> int:
    """Blank the fields ``blank`` names in ``rows`` (personal data past its retention), with a
    ``retention`` audit entry (``description``, ``{n}`` the rows cleared), in one transaction; the
    files their ``photo`` field named are deleted once it commits."""
    with transaction.atomic():
        # Locked as read, so a repeat cannot add a photo between reading the names and clearing.
        old = list(rows.select_for_update().exclude(**blank).values_list("pk", photo))
        files = [name for _pk, name in old if name]
        cleared = rows.model._default_manager.filter(pk__in=[pk for pk, _name in old]).update(**blank)
        if cleared:
            record_retention(rows.model._meta.label, cleared, description.format(n=cleared))
        transaction.on_commit(lambda: _delete_files(files))
    return cleared


ORPHAN_GRACE = timedelta(days=1)
# Where photos are kept, and the field of the rows that name them.
PHOTO_FOLDERS: tuple[tuple[str, type[models.Model], str], ...] = (
    (PHOTO_DIR, BinReport, "photo"),
    (STOP_PHOTO_DIR, Stop, "missed_photo"),
)


def sweep_orphan_photos(now: datetime | None = None) -> int:
    """Delete photo files (residents' and crews') that no report or stop names, older than a day:
    left by a worker killed between writing a photo and committing its row, or by a plan deleted
    with its stops (the day spares an upload still in flight)."""
    storage = private_storage()
    named: set[str] = set()
    for _folder, model, field_name in PHOTO_FOLDERS:
        named.update(model._default_manager.exclude(**{field_name: ""}).values_list(field_name, flat=True))
    cutoff = ((now or timezone.now()) - ORPHAN_GRACE).timestamp()
    orphans = [
        name
        for folder, _model, _field in PHOTO_FOLDERS
        if (root := Path(storage.path(folder))).is_dir()
        for file in root.rglob("*")
        if file.is_file()
        and (name := file.relative_to(storage.location).as_posix()) not in named
        and file.stat().st_mtime < cutoff
    ]
    _delete_files(orphans)
    if orphans:
        logger.warning("Deleted %d photos that no bin report or stop named", len(orphans))
    return len(orphans)


# The photo files written by the outermost write under way (see _new_photo_files).
_writing_photos: ContextVar[list[str] | None] = ContextVar("waste_writing_photos", default=None)


@contextmanager
def _new_photo_files() -> Iterator[list[str]]:
    """The names of the photo files a write keeps (see :func:`_keep_photo`): deleted if the write
    fails or is refused, so nothing is half-saved. Wraps the write's transaction. A write inside
    another (a crew's damaged-bin report inside its mark) adds to the outer one's list: its files
    are deleted if it fails, and also if the outer write fails after it returned, when its rows
    are rolled back with the outer transaction."""
    outer = _writing_photos.get()
    stored: list[str] = [] if outer is None else outer
    token = _writing_photos.set(stored) if outer is None else None
    first = len(stored)
    try:
        yield stored
    except BaseException:
        _delete_files(stored[first:])
        del stored[first:]
        raise
    finally:
        if token is not None:
            _writing_photos.reset(token)


def _keep_photo(field: FieldFile, photo: Photo, stored: list[str]) -> None:
    """Write a cleaned photo to ``field``'s private storage under a new random name (never one
    from the phone), noting it in ``stored`` (from :func:`_new_photo_files`)."""
    field.save(f"{uuid.uuid4().hex}.jpg", ContentFile(photo.jpeg), save=False)
    stored.append(field.name or "")


def _delete_files(names: Sequence[str]) -> None:
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:  # logged and left for an operator: no row names the file any more
            logger.exception("Photo %s could not be deleted", name)


# --- Simulation -------------------------------------------------------------------------------


COMPARISON_ABANDONED_AFTER = timedelta(minutes=10)  # a running simulation reports every few seconds


class ComparisonRunning(Exception):
    """Another simulation is running: the machine runs one at a time."""

    def __init__(self, comparison: Comparison | None) -> None:
        super().__init__(_("A simulation is already running: wait for it to finish, then run yours."))
        self.comparison = comparison


class _GivenUp(Exception):
    """The comparison being simulated was given up meanwhile: stop simulating it."""


def _plan_days(plan_days: Iterable[int] | None) -> frozenset[int]:
    working = shift_days() or frozenset(range(7))
    fleet_days = frozenset(plan_days) if plan_days is not None else working
    if not fleet_days or not fleet_days <= frozenset(range(7)):
        raise _invalid("plan_days", _("Choose at least one weekday for the plan's trucks."), "invalid")
    return fleet_days


def _simulated_city(*, load: bool = True) -> tuple[list[Bin], list[Vehicle], DisposalSite]:
    """The bins, vehicles and disposal site a simulation runs on; ``load=False`` only checks
    they exist (when it is asked for, before a job loads them)."""
    bins = Bin.objects.filter(is_active=True, longitude__isnull=False, latitude__isnull=False)
    vehicles = Vehicle.objects.filter(is_active=True).select_related("depot")
    if not bins.exists() or not vehicles.exists():
        raise _invalid("bins", _("A comparison needs bins with a location and a vehicle in service."), "empty")
    disposal = _disposal()
    return (list(bins), list(vehicles), disposal) if load else ([], [], disposal)


def give_up_silent_comparisons(now: datetime | None = None) -> int:
    """Mark failed ("abandoned") a running simulation not heard from for
    ``COMPARISON_ABANDONED_AFTER``: its worker stopped, or none took it up."""
    stale = (now or timezone.now()) - COMPARISON_ABANDONED_AFTER
    return Comparison.objects.filter(status=ComparisonStatus.RUNNING, updated_at__lt=stale).update(
        status=ComparisonStatus.FAILED, error=ComparisonFailure.ABANDONED
    )


def _new_comparison(
    days: int, seed: int, seconds: float, plan_days: Iterable[int] | None, *, enqueue: bool
) -> Comparison:
    fleet_days = _plan_days(plan_days)
    _simulated_city(load=False)  # refuse at once what the simulation would refuse
    give_up_silent_comparisons()
    try:
        with transaction.atomic():
            comparison = Comparison.objects.create(
                status=ComparisonStatus.RUNNING,
                days=days,
                seed=seed,
                solver_seconds=seconds,
                plan_days=format_weekdays(fleet_days),
            )
            if enqueue:
                transaction.on_commit(lambda: _enqueue_simulation(comparison.pk))
    except IntegrityError:  # the database holds one running comparison at most
        raise ComparisonRunning(Comparison.objects.filter(status=ComparisonStatus.RUNNING).first()) from None
    return comparison


def _enqueue_simulation(comparison_id: int) -> None:
    # Failed at once, the slot is free for the next rather than blocked for 10 minutes.
    _enqueue(
        "simulate_comparison",
        comparison_id,
        Comparison.objects.filter(pk=comparison_id, status=ComparisonStatus.RUNNING),
        status=ComparisonStatus.FAILED,
        error=ComparisonFailure.CRASHED,
    )


def request_comparison(
    *,
    user: User | None,
    days: int = 30,
    seed: int = 1,
    seconds: float = 0.5,
    plan_days: Iterable[int] | None = None,
) -> Comparison:
    """Ask for a simulation of the city's bins under the fixed round and the plan (a planner, or
    None: the platform); a job runs it (:func:`complete_comparison`) and records its progress.
    One runs at a time (:class:`ComparisonRunning`); one not heard from for
    ``COMPARISON_ABANDONED_AFTER`` is given up."""
    _require_planner(user)
    return _new_comparison(days, seed, seconds, plan_days, enqueue=True)


def run_comparison(
    *, days: int = 30, seed: int = 1, seconds: float = 0.5, plan_days: Iterable[int] | None = None
) -> Comparison:
    """Simulate at once and store the comparison (the demo and tests; pages and the API
    request one with :func:`request_comparison`)."""
    comparison = _new_comparison(days, seed, seconds, plan_days, enqueue=False)
    return complete_comparison(comparison.pk, raise_errors=True)


def _fail(comparison_id: int, error: ComparisonFailure) -> None:
    Comparison.objects.filter(pk=comparison_id, status=ComparisonStatus.RUNNING).update(
        status=ComparisonStatus.FAILED, error=error
    )


def complete_comparison(comparison_id: int, *, raise_errors: bool = False) -> Comparison:
    """Run a requested comparison, recording its progress; store its results, or why it failed.

    The same simulation as ``bench/waste_compare.py``: the fixed round is each bin's stored
    round weekdays (``simulate.round_days`` where a bin has none), the plan the production
    policy with the fleet out on the comparison's ``plan_days``, so a city can see what planning
    from its sensors on fewer days would drive. A comparison given up meanwhile (silent too
    long) stops at its next progress report and stays failed."""
    claimed = Comparison.objects.filter(pk=comparison_id, status=ComparisonStatus.RUNNING).update(
        updated_at=timezone.now()
    )
    comparison = Comparison.objects.get(pk=comparison_id)
    if not claimed:
        return comparison

    def progress(done: int, total: int) -> None:
        # Every few days: the page polls it, and a silent job is given up.
        if done == 1 or done % 3 == 0:
            reported = Comparison.objects.filter(pk=comparison_id, status=ComparisonStatus.RUNNING).update(
                done_steps=done, steps=total, updated_at=timezone.now()
            )
            if not reported:
                raise _GivenUp

    try:
        results, bins, vehicles = _simulate(comparison, _plan_days(comparison.plan_weekdays or None), progress)
    except _GivenUp:
        return Comparison.objects.get(pk=comparison_id)
    except ValidationError:
        _fail(comparison_id, ComparisonFailure.CITY)
        if raise_errors:
            raise
        return Comparison.objects.get(pk=comparison_id)
    except Exception:
        logger.exception("waste comparison failed", extra={"comparison": comparison_id})
        _fail(comparison_id, ComparisonFailure.CRASHED)
        if raise_errors:
            raise
        return Comparison.objects.get(pk=comparison_id)
    except BaseException:  # the worker is stopping: say so rather than leave it running
        _fail(comparison_id, ComparisonFailure.CRASHED)
        raise
    with transaction.atomic():
        comparison = Comparison.objects.select_for_update().get(pk=comparison_id)
        if comparison.status != ComparisonStatus.RUNNING:  # given up just now
            return comparison
        comparison.status = ComparisonStatus.DONE
        comparison.error = ""
        comparison.results = results
        comparison.bins, comparison.vehicles = bins, vehicles
        comparison.done_steps = comparison.steps = max(comparison.steps, 1)
        comparison.save()
    return comparison


def _simulate(
    comparison: Comparison, fleet_days: frozenset[int], progress: Callable[[int, int], None]
) -> tuple[dict[str, Any], int, int]:
    from cityos.waste import simulate

    bins, vehicles, disposal = _simulated_city()
    sites = [
        (
            i,
            float(b.longitude or 0),
            float(b.latitude or 0),
            int(b.capacity_litres),
            DENSITY_KG_PER_LITRE.get(b.kind, 0.12),
        )
        for i, b in enumerate(bins)
    ]
    # Each bin fills in the simulation as its own history says (where it has one).
    unfitted = [b for b in bins if b.fill_rate is None or b.forecast_at is None]
    histories = fill_histories(unfitted, timezone.localtime()) if unfitted else {}
    weekly: list[float | None] = []
    for b in bins:
        if b.fill_rate is not None and b.forecast_at is not None:  # fitted by the hourly job
            weekly.append(b.fill_rate * 168)
            continue
        model = forecast.fit(histories[b.pk])
        weekly.append(model.mean_rate * 168 if model.observations >= 24 else None)
    depot = vehicles[0].depot
    centre = (sum(s[1] for s in sites) / len(sites), sum(s[2] for s in sites) / len(sites))
    scenario = simulate.make_scenario(sites, seed=comparison.seed, centre=centre, weekly_fill=weekly)
    midnight = datetime(2026, 1, 5)
    trucks = tuple(_truck(v, midnight.date(), timezone.make_aware(midnight)) for v in vehicles)
    rounds = {i: b.round_days for i, b in enumerate(bins) if b.round_days}
    working = shift_days() or frozenset(range(7))
    scenario = simulate.Scenario(
        scenario.bins,
        _site(depot, "depot"),
        _site(disposal, "disposal"),
        trucks,
        midnight,
        shift_days=fleet_days,
        # The old round's areas are the city's shift days; it also runs on any day a bin's names.
        round_shift_days=working,
        co2_kg_per_km=vehicles[0].co2_kg_per_km,
        rounds=rounds or None,
    )
    travel: TravelModel = conf.travel_model()  # type: ignore[assignment]
    results = simulate.run(
        scenario,
        comparison.days,
        seed=comparison.seed,
        policy=policy(bins),
        seconds=comparison.solver_seconds,
        travel=travel,
        progress=progress,
    )
    return results, len(bins), len(vehicles)


def holds_planner(user: object) -> bool:
    return holds_any_role(user, conf.PLANNER_ROLES)
