"""Cases and their visits: what is recorded, what is refused (nothing half-saved), confirming
publishes the venue visits for exposure alerts, and contacts who fall ill link the chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cityos.checkin import services as checkin_services
from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.health import selectors, services
from cityos.health.models import Case, CaseVisit, Classification, FollowUp, FollowUpStatus, LabResult
from cityos.health.tests.conftest import at, days_ago

pytestmark = pytest.mark.django_db


def test_a_case_is_recorded_with_its_visits_and_a_readable_reference(officer):
    case = services.record_case(
        officer,
        name="Mei Chen",
        onset_date=days_ago(2),
        visits=[
            {"place": "Harbour Market", "start": at(3, 9), "end": at(3, 10)},
            {"place": "Pier 4 Ferry", "start": at(2, 8), "end": at(2, 9)},
        ],
    )
    assert case.ref == f"C{case.created_at:%Y}-{case.pk:05d}"
    assert case.classification == Classification.SUSPECTED and case.lab_result == LabResult.PENDING
    assert [v.place for v in case.visits.all()] == ["Harbour Market", "Pier 4 Ferry"]


def test_a_visit_that_ends_before_it_starts_is_refused_and_nothing_is_saved(officer):
    with pytest.raises(ValidationError) as refused:
        services.record_case(
            officer,
            name="Mei Chen",
            visits=[
                {"place": "Harbour Market", "start": at(3, 9), "end": at(3, 10)},
                {"place": "Pier 4 Ferry", "start": at(2, 9), "end": at(2, 8)},
            ],
        )
    assert refused.value.message_dict == {"visits.1.end": ["The visit ends before it starts. Check the times."]}
    assert not Case.objects.exists() and not CaseVisit.objects.exists()


def test_a_visit_still_going_on_or_longer_than_a_day_is_refused(officer):
    now = timezone.now()
    with pytest.raises(ValidationError) as refused:
        services.record_case(
            officer,
            name="Mei Chen",
            visits=[
                {"place": "Harbour Market", "start": now - timedelta(hours=1), "end": now + timedelta(hours=3)},
                {"place": "Pier 4 Ferry", "start": now - timedelta(days=3), "end": now - timedelta(days=1)},
            ],
        )
    assert refused.value.message_dict == {
        "visits.0.end": ["The visit ends in the future. Give the time it ended."],
        "visits.1.end": ["The visit lasts more than a day: give each day at the place as its own visit."],
    }
    assert not Case.objects.exists()


# The arguments are built when each case runs, not when the suite is collected: a run that crosses
# midnight would otherwise find "tomorrow" already today.
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (lambda: {"name": ""}, "name", "Give the person's name or pick their resident account."),
        (lambda: {"onset_date": days_ago(-2)}, "onset_date", "This date is in the future. Give the date it happened."),
        (lambda: {"lab_date": days_ago(-1)}, "lab_date", "This date is in the future. Give the date it happened."),
        (lambda: {"classification": "cured"}, "classification", "Pick one of the choices offered."),
        (lambda: {"lab_result": "maybe"}, "lab_result", "Pick one of the choices offered."),
        (lambda: {"classification": "confirmed"}, "classification", "A confirmed case needs a positive lab result."),
        (
            lambda: {"visits": [{"place": "", "start": at(1), "end": at(0)}]},
            "visits.0.place",
            "Give the venue code from the poster or name the place.",
        ),
        (
            lambda: {"visits": [{"place": "Gym", "start": at(-1), "end": at(-2)}]},
            "visits.0.start",
            "The visit starts in the future. Check the date.",
        ),
        (
            lambda: {"visits": [{"venue_code": "NOSUCH", "start": at(2), "end": at(1)}]},
            "visits.0.venue_code",
            "No venue has this code. Check the poster, or name the place instead.",
        ),
    ],
)
def test_each_bad_input_is_refused_with_a_message_that_says_what_to_fix(officer, changes, field, message):
    arguments = {"name": "Mei Chen", **changes()}
    with pytest.raises(ValidationError) as refused:
        services.record_case(officer, **arguments)
    assert message in refused.value.message_dict[field]
    assert not Case.objects.exists()


def test_the_refusal_is_translated(officer):
    from django.utils import translation

    with translation.override("es"), pytest.raises(ValidationError) as refused:
        services.record_case(officer, name="X", visits=[{"place": "Gym", "start": at(1, 10), "end": at(1, 9)}])
    assert refused.value.message_dict["visits.0.end"] == ["La visita termina antes de empezar. Revisa las horas."]


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.OPERATOR, Role.SERVICE_AGENT])
def test_only_health_officers_and_administrators_record_cases(db, role):
    with pytest.raises(PermissionDenied):
        services.record_case(StaffFactory(roles=[role]), name="Mei Chen")
    assert services.record_case(StaffFactory(roles=[Role.ADMINISTRATOR]), name="Mei Chen").pk


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def test_confirming_publishes_the_venue_visits_after_commit(officer, case, django_capture_on_commit_callbacks):
    venue = checkin_services.register_venue(officer, name="Lantern Noodle House", contact_email="owner@example.org")
    services.add_visit(officer, case, {"venue_code": venue.short_code, "start": at(2, 18), "end": at(2, 20)})
    with mock.patch("cityos.core.events._dispatch") as dispatch:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.confirm_case(officer, case)
            assert not dispatch.called  # nothing leaves before the transaction commits
        for callback in callbacks:
            callback()
    events = [c.args[0] for c in dispatch.call_args_list if c.args[0].name == "health.case_visits_confirmed"]
    assert len(events) == 1
    event = events[0]
    assert event.case_ref == case.ref and event.confirmed_by_user_id == officer.pk
    # Only visits with a venue code can be matched against check-ins; times travel in UTC.
    assert event.visits == [
        {"venue_code": venue.short_code, "start": utc(at(2, 18)).isoformat(), "end": utc(at(2, 20)).isoformat()}
    ]
    case.refresh_from_db()
    assert case.classification == Classification.CONFIRMED and case.lab_result == LabResult.POSITIVE


def test_the_check_in_module_proposes_an_exposure_alert_from_the_event(
    officer, case, immediate_tasks, django_capture_on_commit_callbacks
):
    venue = checkin_services.register_venue(officer, name="Lantern Noodle House", contact_email="owner@example.org")
    services.add_visit(officer, case, {"venue_code": venue.short_code, "start": at(2, 18), "end": at(2, 20)})
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_case(officer, case)
    from cityos.checkin import selectors as checkin_selectors

    assert [a.case_ref for a in checkin_selectors.alerts()] == [case.ref]


def test_a_visit_added_to_a_confirmed_case_is_published_too(officer, case):
    case = services.confirm_case(officer, case)
    venue = checkin_services.register_venue(officer, name="Riverside Gym", contact_email="owner@example.org")
    with mock.patch("cityos.health.services.publish") as publish:
        services.add_visit(officer, case, {"venue_code": venue.short_code, "start": at(1, 7), "end": at(1, 8)})
    assert publish.call_args.args[0].visits[0]["venue_code"] == venue.short_code


def test_a_case_cannot_be_confirmed_twice(officer, case):
    services.confirm_case(officer, case)
    with pytest.raises(ValidationError) as refused:
        services.confirm_case(officer, Case.objects.get(pk=case.pk))
    assert refused.value.message_dict == {"classification": ["This case is already confirmed."]}


def test_a_contact_who_falls_ill_becomes_a_case_linked_in_the_chain(officer, case, contact):
    child = services.contact_becomes_case(officer, contact)
    grandchild_contact = services.add_contact(
        officer, child, name="Ana", relationship="work", last_exposure=days_ago(1)
    )
    grandchild = services.contact_becomes_case(officer, grandchild_contact)
    assert child.source_case == case and grandchild.source_case == child

    root = selectors.chain_of(grandchild)
    assert [(n.case.ref, n.depth) for n in selectors.flatten(root)] == [
        (case.ref, 0),
        (child.ref, 1),
        (grandchild.ref, 2),
    ]
    # Follow-ups after today stop: the contact is now managed as a case.
    assert not FollowUp.objects.filter(contact=contact, status=FollowUpStatus.DUE, day__gt=days_ago(0)).exists()
    with pytest.raises(ValidationError):
        services.contact_becomes_case(officer, contact)


def test_the_chain_graph_is_an_accessible_svg(officer, case, contact):
    from cityos.health.chain import render_svg

    child = services.contact_becomes_case(officer, contact)
    svg = str(render_svg(selectors.chain_of(case), highlight=child.pk))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg
    assert case.ref in svg and child.ref in svg and svg.count("<line") == 1
