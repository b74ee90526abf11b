"""Reads of the check-in app (public facade)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce

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
