"""Reads of the check-in app (public facade)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cityos.checkin import conf
from cityos.checkin.models import AlertState, CheckIn, ExposureAlert, Venue
from cityos.core.accounts.models import User

# A check-in without a check-out counts as a stay of this long.
ASSUMED_STAY = timedelta(minutes=60)
# Check-outs later than this after arrival are not believed (a forgotten check-out).
LONGEST_STAY = timedelta(hours=12)


def venue_choices() -> list[tuple[str, str]]:
    """(SMS code, name) of every venue, for a health officer recording where a case went."""
    return list(Venue.objects.order_by("name").values_list("short_code", "name"))


def venues(search: str = "", *, active: bool | None = None) -> QuerySet[Venue]:
    found = Venue.objects.select_related("district", "owner")
    if search:
        found = found.filter(Q(name__icontains=search) | Q(address__icontains=search) | Q(short_code__iexact=search))
    if active is not None:
        found = found.filter(is_active=active)
    return found.order_by("name", "pk")


def venues_of(owner: User) -> QuerySet[Venue]:
    return Venue.objects.filter(owner=owner).order_by("name", "pk")


def check_ins_of(person: User) -> QuerySet[CheckIn]:
    """A resident's own visits, newest first (only what retention has kept)."""
    return CheckIn.objects.filter(person=person).select_related("venue").order_by("-checked_in_at")


def exposed_check_ins(
    visits: Sequence[tuple[int, datetime, datetime]], *, buffer_minutes: int | None = None
) -> list[list[CheckIn]]:
    """For each (venue id, start, end), the check-ins whose stay overlaps the visit widened by
    the buffer on both sides; one query for all visits, each arm a range scan of the
    (venue, checked_in_at) index.

    A stay runs from check-in to check-out, or for ``ASSUMED_STAY`` when there is none.
    """
    if not visits:
        return []
    buffer = timedelta(minutes=conf.buffer_minutes() if buffer_minutes is None else buffer_minutes)
    arms = [
        Q(venue_id=venue_id, checked_in_at__gte=start - buffer - LONGEST_STAY, checked_in_at__lte=end + buffer)
        for venue_id, start, end in visits
    ]
    left_at = ExpressionWrapper(
        Coalesce(F("checked_out_at"), F("checked_in_at") + ASSUMED_STAY), output_field=DateTimeField()
    )
    rows = list(
        CheckIn.objects.filter(reduce(or_, arms))
        .annotate(left_at=left_at)
        .only(
            "pk",
            "venue_id",
            "person_id",
            "contact_encrypted",
            "contact_channel",
            "contact_digest",
            "language",
            "checked_in_at",
            "checked_out_at",
        )
        .order_by("checked_in_at", "pk")
    )
    result: list[list[CheckIn]] = []
    for venue_id, start, end in visits:
        window_start, window_end = start - buffer, end + buffer
        result.append(
            [
                row
                for row in rows
                if row.venue_id == venue_id
                and row.checked_in_at <= window_end
                and min(row.left_at, row.checked_in_at + LONGEST_STAY) >= window_start  # type: ignore[attr-defined]
            ]
        )
    return result


def alerts(state: str = "", search: str = "") -> QuerySet[ExposureAlert]:
    found = ExposureAlert.objects.select_related("venue").order_by("-proposed_at", "-pk")
    if state in AlertState.values:
        found = found.filter(state=state)
    if search:
        found = found.filter(Q(case_ref__icontains=search) | Q(venue__name__icontains=search))
    return found


def exposure_alerts_for(person: User) -> QuerySet[ExposureAlert]:
    """The sent alerts that reached ``person`` (for their own health page); never who else."""
    return (
        ExposureAlert.objects.filter(state=AlertState.SENT, matches__person=person, matches__notified_at__isnull=False)
        .select_related("venue")
        .distinct()
        .order_by("-visit_start")
    )


# --- Activity for health staff: check-ins and exposures by day, district and venue ----------


@dataclass(frozen=True)
class Activity:
    days: list[date]
    per_day: list[int]
    # district id (None: venues without a district) -> (check-ins, exposures)
    per_district: dict[int | None, tuple[int, int]]
    # (venue id, name, district id, check-ins, exposures), busiest first
    per_venue: list[tuple[int, str, int | None, int, int]]


def activity(start: date, end: date, *, district_id: int | None = None) -> Activity:
    """Counts only (no person): check-ins per local day, and check-ins and exposure alerts
    (proposed or sent, by visit start) per district and per venue, from ``start`` to ``end``."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    visits = CheckIn.objects.filter(checked_in_at__gte=since, checked_in_at__lt=until)
    alerts = ExposureAlert.objects.filter(visit_start__gte=since, visit_start__lt=until).exclude(
        state=AlertState.DISMISSED
    )
    if district_id is not None:
        visits = visits.filter(venue__district_id=district_id)
        alerts = alerts.filter(venue__district_id=district_id)
    by_day = dict(
        visits.annotate(day=TruncDate("checked_in_at", tzinfo=zone)).values_list("day").annotate(n=Count("pk"))
    )
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    venue_visits = dict(visits.values_list("venue_id").annotate(n=Count("pk")))
    venue_alerts = dict(alerts.values_list("venue_id").annotate(n=Count("pk")))
    per_venue: list[tuple[int, str, int | None, int, int]] = [
        (pk, name, district, venue_visits.get(pk, 0), venue_alerts.get(pk, 0))
        for pk, name, district in Venue.objects.filter(pk__in=set(venue_visits) | set(venue_alerts)).values_list(
            "pk", "name", "district_id"
        )
    ]
    per_venue.sort(key=lambda row: (-row[4], -row[3], row[1]))
    per_district: dict[int | None, tuple[int, int]] = {}
    for _pk, _name, district, n_visits, n_alerts in per_venue:
        before = per_district.get(district, (0, 0))
        per_district[district] = (before[0] + n_visits, before[1] + n_alerts)
    return Activity(days, [by_day.get(day, 0) for day in days], per_district, per_venue)
