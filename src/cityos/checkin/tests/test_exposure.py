"""The exposure engine: who overlapped a case's visit, alerts reviewed and sent once, by channel
and language; venue owners told without names; health roles only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from cityos.checkin import selectors, services
from cityos.checkin.events import CaseVisitsConfirmed
from cityos.checkin.models import AlertState, ExposureAlert
from cityos.checkin.tests.factories import VenueFactory, visit
from cityos.core.accounts.models import Language, Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.notifications.models import Message
from cityos.core.registry import registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def venue():
    return VenueFactory(name="Lotus Tea House", contact_email="owner@tea.example.org")


@pytest.fixture
def start() -> datetime:
    return (timezone.now() - timedelta(days=2)).replace(hour=12, minute=0, second=0, microsecond=0)


def case_visit(venue, start, minutes=60):
    return {
        "venue_code": venue.short_code,
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
    }


def propose(officer, venue, start, **kwargs) -> ExposureAlert:
    (alert,) = services.propose_exposure_alert("CASE-1", [case_visit(venue, start)], proposed_by=officer, **kwargs)
    return alert


def matched_people(alert):
    return {m.person_id for m in alert.matches.all()}


def test_someone_there_during_the_visit_is_matched_and_someone_the_day_before_is_not(officer, venue, start):
    inside, outside, elsewhere = ResidentFactory(), ResidentFactory(), ResidentFactory()
    visit(venue, start + timedelta(minutes=20), person=inside)
    visit(venue, start - timedelta(days=1), person=outside)
    visit(VenueFactory(), start + timedelta(minutes=20), person=elsewhere)
    alert = propose(officer, venue, start)
    assert matched_people(alert) == {inside.pk}
    assert alert.state == AlertState.PROPOSED
    assert alert.buffer_minutes == 30


def test_the_buffer_widens_the_window_on_both_sides(officer, venue, start):
    after = ResidentFactory()
    before_and_left = ResidentFactory()
    visit(venue, start + timedelta(minutes=60 + 25), person=after)  # 25 minutes after the case left
    # arrived 50 minutes early and left 20 minutes before the case came
    visit(venue, start - timedelta(minutes=50), person=before_and_left, out=start - timedelta(minutes=20))
    assert matched_people(propose(officer, venue, start)) == {after.pk, before_and_left.pk}
    (narrow,) = services.propose_exposure_alert(
        "CASE-2", [case_visit(venue, start)], buffer_minutes=10, proposed_by=officer
    )
    assert matched_people(narrow) == set()


def test_the_default_buffer_is_a_setting(settings, officer, venue, start):
    settings.CITYOS_CHECKIN_BUFFER_MINUTES = 5
    late = ResidentFactory()
    visit(venue, start + timedelta(minutes=60 + 20), person=late)
    alert = propose(officer, venue, start)
    assert alert.buffer_minutes == 5
    assert matched_people(alert) == set()


def test_a_stay_without_check_out_counts_as_an_hour(officer, venue, start):
    stayed, gone = ResidentFactory(), ResidentFactory()
    visit(venue, start - timedelta(minutes=80), person=stayed)  # presumed there until 20 minutes before: in buffer
    visit(venue, start - timedelta(minutes=100), person=gone)  # presumed gone 40 minutes before: outside
    assert matched_people(propose(officer, venue, start)) == {stayed.pk}


def test_matching_twenty_visits_is_one_query(officer, start):
    venues = [VenueFactory() for _ in range(20)]
    for v in venues:
        visit(v, start + timedelta(minutes=5), person=ResidentFactory())
    with CaptureQueriesContext(connection) as queries:
        found = selectors.exposed_check_ins([(v.pk, start, start + timedelta(hours=1)) for v in venues])
    assert len(queries) == 1
    assert [len(f) for f in found] == [1] * 20


def test_proposing_the_same_visit_again_returns_the_same_alert(officer, venue, start):
    visit(venue, start + timedelta(minutes=5), person=ResidentFactory())
    first = propose(officer, venue, start)
    again = propose(officer, venue, start)
    assert first.pk == again.pk
    assert again.matches.count() == 1


def test_sending_reaches_each_person_once_in_their_language_and_tells_the_venue(templates, officer, venue, start):
    chinese = ResidentFactory(language=Language.TRADITIONAL_CHINESE)
    spanish_visitor = "+14155550177"
    visit(venue, start + timedelta(minutes=10), person=chinese)
    visit(venue, start + timedelta(minutes=40), person=chinese)  # came back: still one person
    made = visit(venue, start + timedelta(minutes=15), contact=spanish_visitor)
    made.language = Language.SPANISH
    made.save()
    alert = propose(officer, venue, start)
    assert alert.matches.count() == 2
    services.send_exposure_alert(alert, officer)
    services.send_exposure_alert(alert, officer)  # a second click sends nothing more
    to_person = Message.objects.get(recipient=chinese)
    assert to_person.template_key == services.TEMPLATE_EXPOSED
    assert to_person.language == "zh-hant"
    assert "Lotus Tea House" in to_person.body and "14" in to_person.body
    to_contact = Message.objects.get(address=spanish_visitor)
    assert (to_contact.channel, to_contact.language) == ("sms", "es")
    assert to_contact.body.startswith("Salud municipal")
    to_owner = Message.objects.get(address="owner@tea.example.org")
    assert to_owner.template_key == services.TEMPLATE_VENUE_OWNER
    assert chinese.first_name not in to_owner.body and spanish_visitor not in to_owner.body
    assert Message.objects.count() == 3
    alert.refresh_from_db()
    assert alert.state == AlertState.SENT and alert.owner_notified and alert.sent_by == officer


def test_a_person_is_alerted_once_per_case_even_across_two_visits(templates, officer, venue, start):
    person = ResidentFactory()
    visit(venue, start + timedelta(minutes=10), person=person)
    visit(venue, start + timedelta(hours=3), person=person)
    alerts = services.propose_exposure_alert(
        "CASE-9", [case_visit(venue, start), case_visit(venue, start + timedelta(hours=3))], proposed_by=officer
    )
    for alert in alerts:
        services.send_exposure_alert(alert, officer)
    assert Message.objects.filter(recipient=person).count() == 1


def test_a_venue_owner_with_an_account_is_told_in_their_language(templates, officer, start):
    owner = ResidentFactory(language=Language.SPANISH)
    venue = VenueFactory(owner=owner, contact_email="")
    (alert,) = services.propose_exposure_alert("C", [case_visit(venue, start)], proposed_by=officer)
    services.send_exposure_alert(alert, officer)
    message = Message.objects.get(recipient=owner)
    assert message.language == "es" and message.subject.startswith("Una exposición")


def test_a_dismissed_alert_cannot_be_sent(templates, officer, venue, start):
    alert = services.dismiss_exposure_alert(propose(officer, venue, start), officer)
    with pytest.raises(ValidationError) as error:
        services.send_exposure_alert(alert, officer)
    assert services.error_codes(error.value) == {"dismissed"}
    with pytest.raises(ValidationError):
        services.dismiss_exposure_alert(alert, officer)


def test_without_templates_nothing_is_half_sent(officer, venue, start):
    visit(venue, start + timedelta(minutes=10), person=ResidentFactory())
    alert = propose(officer, venue, start)
    with pytest.raises(ValidationError):
        services.send_exposure_alert(alert, officer)
    alert.refresh_from_db()
    assert alert.state == AlertState.PROPOSED
    assert not alert.matches.filter(notified_at__isnull=False).exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.CASEWORKER])
def test_only_health_officers_propose_and_send(templates, officer, venue, start, role):
    other = StaffFactory(roles=[role])
    with pytest.raises(PermissionDenied):
        propose(other, venue, start)
    alert = propose(officer, venue, start)
    with pytest.raises(PermissionDenied):
        services.send_exposure_alert(alert, other)
    with pytest.raises(PermissionDenied):
        services.send_exposure_alert(alert, ResidentFactory())
    assert services.send_exposure_alert(alert, StaffFactory(roles=[Role.ADMINISTRATOR])).state == AlertState.SENT


@pytest.mark.parametrize(
    ("visits", "code"),
    [
        ([], "required"),
        ([{"venue_code": "NOPE", "start": "2026-01-01T10:00", "end": "2026-01-01T11:00"}], "venue"),
        ([{"venue_code": "{code}", "start": "yesterday", "end": "today"}], "time"),
        ([{"venue_code": "{code}", "start": "2026-01-01T11:00", "end": "2026-01-01T10:00"}], "ends_before_start"),
        ([{"venue_code": "{code}", "start": "2999-01-01T10:00", "end": "2999-01-01T11:00"}], "future"),
        ([{"venue_code": "{code}", "start": "2026-01-01T10:00", "end": "2199-12-31T00:00"}], "future"),
        ([{"venue_code": "{code}", "start": "2026-01-01T10:00", "end": "2026-01-03T10:00"}], "too_long"),
    ],
)
def test_bad_visits_are_refused_and_nothing_is_proposed(officer, venue, visits, code):
    visits = [{**v, "venue_code": v["venue_code"].replace("{code}", venue.short_code)} for v in visits]
    with pytest.raises(ValidationError) as error:
        services.propose_exposure_alert("CASE-1", visits, proposed_by=officer)
    assert code in services.error_codes(error.value)
    assert not ExposureAlert.objects.exists()


def test_a_visit_that_ends_before_it_starts_is_named_by_its_number(officer, venue, start):
    visits = [case_visit(venue, start), {**case_visit(venue, start), "end": (start - timedelta(hours=1)).isoformat()}]
    with pytest.raises(ValidationError) as error:
        services.propose_exposure_alert("CASE-1", visits, proposed_by=officer)
    assert error.value.message_dict["visits"] == ["Visit 2 ends before it starts."]


def test_the_health_apps_event_proposes_alerts_for_review(officer, venue, start):
    person = ResidentFactory()
    visit(venue, start + timedelta(minutes=10), person=person)
    event = CaseVisitsConfirmed(case_ref="H-42", confirmed_by_user_id=officer.pk, visits=[case_visit(venue, start)])
    services.on_case_visits_confirmed(event)
    services.on_case_visits_confirmed(event)  # delivered twice: still one alert
    alert = ExposureAlert.objects.get()
    assert (alert.case_ref, alert.state, alert.proposed_by) == ("H-42", AlertState.PROPOSED, officer)
    assert matched_people(alert) == {person.pk}


def test_a_resident_sees_only_the_alerts_that_reached_them(templates, officer, venue, start):
    person, other = ResidentFactory(), ResidentFactory()
    visit(venue, start + timedelta(minutes=10), person=person)
    services.send_exposure_alert(propose(officer, venue, start), officer)
    assert list(selectors.exposure_alerts_for(person)) == list(ExposureAlert.objects.all())
    assert not selectors.exposure_alerts_for(other).exists()


def test_the_health_event_is_subscribed_durably():
    from cityos.core.registry import registry

    (subscription,) = [s for s in registry.subscriptions if s.event_name == "health.case_visits_confirmed"]
    assert subscription.handler is services.on_case_visits_confirmed and subscription.durable


def test_staff_see_the_exposure_texts_named_in_their_language():
    with translation.override("es"):
        assert registry.message_label(services.TEMPLATE_EXPOSED) == "Posible exposición: aviso a los visitantes"
        assert registry.message_label(services.TEMPLATE_VENUE_OWNER) == "Posible exposición: aviso al local"
