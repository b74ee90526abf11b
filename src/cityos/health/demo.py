"""The demo city's public health: a chain of three generations of cases with their contacts and
daily follow-ups, two weeks of residents' declarations, and people in quarantine (one of whom
missed a check-in, which raised a task)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from cityos.checkin import selectors as checkin_selectors
from cityos.core.accounts.models import Role, User
from cityos.core.audit.context import Actor, acting_as
from cityos.core.registry import DemoContext
from cityos.health import services
from cityos.health.models import (
    Case,
    Channel,
    Declaration,
    FollowUp,
    FollowUpStatus,
    Quarantine,
    QuarantineCheckIn,
    Relationship,
    Symptom,
)
from cityos.health.triage import triage

CENTRE = (40.7128, -73.9060)  # the demo city's centre (see cityos.core.geo.demo)
PLACES = ["Harbour Market", "Riverside Gym", "Central Library", "Pier 4 Ferry", "Lantern Noodle House"]


def _officer() -> User | None:
    return (
        User.objects.filter(
            Q(staff_roles__role=Role.HEALTH_OFFICER) | Q(staff_roles__role=Role.ADMINISTRATOR), is_active=True
        )
        .order_by("-staff_roles__role")  # descending: health_officer before administrator
        .first()
    )


def build(ctx: DemoContext) -> None:
    officer = _officer()
    residents = list(User.objects.residents().order_by("pk")[:60])
    if officer is None or len(residents) < 20 or Case.objects.exists():
        ctx.say("health: skipped (no health officer, too few residents, or already built)")
        return
    with acting_as(Actor(user_id=officer.pk, label="demo", channel="cli", reason="demo city")):
        _cases(ctx, officer, residents)
        _declarations(ctx, residents[20:])
        _quarantines(ctx, officer, residents[10:14])
    ctx.say(
        f"health: {Case.objects.count()} cases, {Declaration.objects.count()} declarations, "
        f"{Quarantine.objects.count()} quarantines"
    )


def _visits(ctx: DemoContext, days_ago: int, *, at_venues: bool = False) -> list[dict[str, object]]:
    """Three visits; with ``at_venues``, at venues with posters (so exposure alerts follow)."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    venue_codes = [code for code, _name in checkin_selectors.venue_choices()] if at_venues else []
    visits: list[dict[str, object]] = []
    for offset in range(3):
        start = now - timedelta(days=days_ago + offset, hours=ctx.rng.randint(2, 8))
        where = {"venue_code": ctx.rng.choice(venue_codes)} if venue_codes else {"place": ctx.rng.choice(PLACES)}
        visits.append({**where, "start": start, "end": start + timedelta(minutes=ctx.rng.randint(30, 150))})
    return visits


def _follow_up_past_days(ctx: DemoContext, officer: User, contact_pk: int, sick_after: int | None = None) -> None:
    today = timezone.localdate()
    for number, follow_up in enumerate(FollowUp.objects.filter(contact_id=contact_pk, day__lt=today)):
        if sick_after is not None and number >= sick_after:
            services.record_follow_up(
                officer, follow_up, status=FollowUpStatus.SYMPTOMS, symptoms=[Symptom.FEVER, Symptom.COUGH]
            )
        elif ctx.rng.random() < 0.9:
            services.record_follow_up(officer, follow_up, status=FollowUpStatus.WELL)
        else:
            services.record_follow_up(officer, follow_up, status=FollowUpStatus.NOT_REACHED, notes="No answer")


def _cases(ctx: DemoContext, officer: User, residents: list[User]) -> None:
    today = timezone.localdate()
    first = services.record_case(
        officer,
        person=residents[0],
        classification="confirmed",
        lab_result="positive",
        lab_date=today - timedelta(days=9),
        onset_date=today - timedelta(days=11),
        interview_notes="Works at the harbour market; symptoms began after a family dinner.",
        visits=_visits(ctx, 12, at_venues=True),
    )
    generation = [first]
    person_index = 1
    for depth in range(2):
        next_generation: list[Case] = []
        for case in generation:
            for n in range(3):
                person = residents[person_index]
                person_index += 1
                contact = services.add_contact(
                    officer,
                    case,
                    person=person,
                    contact_details=person.phone or person.email or "",
                    relationship=[Relationship.HOUSEHOLD, Relationship.WORK, Relationship.SOCIAL][n],
                    last_exposure=today - timedelta(days=10 - 4 * depth),
                )
                sick = n == 0
                _follow_up_past_days(ctx, officer, contact.pk, sick_after=3 if sick else None)
                if sick:
                    child = services.contact_becomes_case(
                        officer, contact, onset_date=today - timedelta(days=6 - 4 * depth)
                    )
                    if depth == 0:
                        child = services.confirm_case(officer, child, lab_date=today - timedelta(days=5))
                    next_generation.append(child)
        generation = next_generation
    # A second, unlinked suspected case waiting for its lab result.
    services.record_case(
        officer,
        name="Walk-in patient",
        contact_details="+1 212 555 0188",
        onset_date=today - timedelta(days=1),
        visits=_visits(ctx, 2),
    )


def _declarations(ctx: DemoContext, residents: list[User]) -> None:
    today = timezone.localdate()
    symptom_values = list(Symptom.values)
    history: list[Declaration] = []
    for person in residents:
        for days_ago in range(1, 14):
            if ctx.rng.random() < 0.4:
                continue
            symptoms = ctx.rng.sample(symptom_values, k=ctx.rng.choice([0, 0, 0, 0, 1, 2]))
            travelled, contact = ctx.rng.random() < 0.05, ctx.rng.random() < 0.03
            reason = triage(symptoms, travelled=travelled, contact_with_case=contact)
            history.append(
                Declaration(
                    person=person,
                    day=today - timedelta(days=days_ago),
                    symptoms=sorted(symptoms),
                    travelled=travelled,
                    contact_with_case=contact,
                    channel=Channel.SMS if ctx.rng.random() < 0.2 else Channel.WEB,
                    flagged=reason is not None,
                    flag_reason=reason or "",
                )
            )
        if ctx.rng.random() < 0.6:
            services.declare(
                person,
                symptoms=ctx.rng.sample(symptom_values, k=ctx.rng.choice([0, 0, 0, 1, 2])),
                travelled=ctx.rng.random() < 0.1,
            )
    Declaration.objects.bulk_create(history)


def _quarantines(ctx: DemoContext, officer: User, people: list[User]) -> None:
    today = timezone.localdate()
    for number, person in enumerate(people):
        lat = CENTRE[0] + ctx.rng.uniform(-0.03, 0.03)
        lon = CENTRE[1] + ctx.rng.uniform(-0.03, 0.03)
        quarantine = services.start_quarantine(
            officer, person, start_date=today - timedelta(days=4), home_lat=lat, home_lon=lon, radius_m=150
        )
        for days_ago in range(4, 0, -1):
            if number == 0 and days_ago == 2:
                continue  # missed one day: the job raises a task
            day = today - timedelta(days=days_ago)
            QuarantineCheckIn.objects.create(
                quarantine=quarantine,
                day=day,
                at=timezone.now() - timedelta(days=days_ago),
                channel=Channel.SMS if number == 3 else Channel.WEB,
                inside=None if number == 3 else True,
            )
    # One checked in away from home today.
    services.check_in(people[1], lat=CENTRE[0] + 0.05, lon=CENTRE[1])
    services.raise_missed_check_ins()
