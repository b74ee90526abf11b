"""Contacts are followed up daily for the quarantine period after their last exposure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from cityos.health import selectors, services
from cityos.health.models import Contact, FollowUp, FollowUpStatus
from cityos.health.tests.conftest import days_ago

pytestmark = pytest.mark.django_db


def test_a_contact_gets_one_follow_up_a_day_for_14_days_after_the_last_exposure(officer, case):
    contact = services.add_contact(officer, case, name="Luis", relationship="household", last_exposure=days_ago(3))
    days = list(contact.follow_ups.values_list("day", flat=True))
    assert len(days) == 14
    assert days[0] == days_ago(2) and days[-1] == days_ago(3) + timedelta(days=14)
    assert set(contact.follow_ups.values_list("status", flat=True)) == {FollowUpStatus.DUE}


def test_the_period_is_a_setting(officer, case, settings):
    settings.CITYOS_HEALTH_FOLLOW_UP_DAYS = 10
    contact = services.add_contact(officer, case, name="Luis", relationship="work", last_exposure=days_ago(0))
    assert contact.follow_ups.count() == 10


def test_todays_follow_ups_are_listed_until_recorded(officer, contact):
    due = selectors.follow_ups_due()
    assert [f.contact for f in due] == [contact]
    services.record_follow_up(officer, due[0], status=FollowUpStatus.WELL)
    assert not selectors.follow_ups_due().exists()


def test_a_follow_up_with_symptoms_keeps_them(officer, contact):
    today = FollowUp.objects.get(contact=contact, day=days_ago(0))
    services.record_follow_up(officer, today, status="symptoms", symptoms=["fever", "cough"], notes="Mild")
    today.refresh_from_db()
    assert today.symptoms == ["cough", "fever"] and today.recorded_by == officer and today.recorded_at
    assert today.symptom_labels == ["Cough", "Fever"]


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"status": "due"}, "status", "Pick one of the choices offered."),
        ({"status": "symptoms"}, "symptoms", "Tick the symptoms the contact has."),
        ({"status": "well", "symptoms": ["fever"]}, "status", "Symptoms are ticked: choose 'Seen, has symptoms'."),
        ({"status": "symptoms", "symptoms": ["hiccups"]}, "symptoms", "Pick symptoms from the list."),
    ],
)
def test_bad_follow_ups_are_refused(officer, contact, arguments, field, message):
    today = FollowUp.objects.get(contact=contact, day=days_ago(0))
    with pytest.raises(ValidationError) as refused:
        services.record_follow_up(officer, today, **arguments)
    assert message in refused.value.message_dict[field]
    today.refresh_from_db()
    assert today.status == FollowUpStatus.DUE


def test_a_later_days_follow_up_cannot_be_recorded_yet(officer, contact):
    tomorrow = FollowUp.objects.get(contact=contact, day=days_ago(-1))
    with pytest.raises(ValidationError) as refused:
        services.record_follow_up(officer, tomorrow, status="well")
    assert refused.value.message_dict == {"day": ["This follow-up is for a later day. Record it on that day."]}


# The arguments are built when each case runs, not when the suite is collected: a run that crosses
# midnight would otherwise find "tomorrow" already today.
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        (lambda: {"name": "", "relationship": "household", "last_exposure": days_ago(1)}, "name"),
        (lambda: {"name": "Ana", "relationship": "cousin", "last_exposure": days_ago(1)}, "relationship"),
        (lambda: {"name": "Ana", "relationship": "work", "last_exposure": None}, "last_exposure"),
        (lambda: {"name": "Ana", "relationship": "work", "last_exposure": days_ago(-1)}, "last_exposure"),
    ],
)
def test_bad_contacts_are_refused_and_nothing_is_scheduled(officer, case, arguments, field):
    with pytest.raises(ValidationError) as refused:
        services.add_contact(officer, case, **arguments())
    assert field in refused.value.message_dict
    assert not Contact.objects.exists() and not FollowUp.objects.exists()
