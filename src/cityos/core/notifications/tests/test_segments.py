"""Sending to a segment: who is in it, who may send, and what a broadcast records."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from cityos.core.accounts.models import Language, Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications import selectors, services
from cityos.core.notifications.models import Broadcast, ChannelPreference, Message, MessageState
from cityos.core.notifications.selectors import Segment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


@pytest.fixture
def city(db):
    north, south = DistrictFactory(name="North"), DistrictFactory(name="South")
    people = {
        "ana": ResidentFactory(first_name="Ana", district=north, language=Language.SPANISH),
        "hao": ResidentFactory(first_name="Hao", district=north, language=Language.TRADITIONAL_CHINESE),
        "tom": ResidentFactory(first_name="Tom", district=north, language=Language.ENGLISH),
        "sue": ResidentFactory(first_name="Sue", district=south, language=Language.ENGLISH),
    }
    return {"north": north, "south": south, **people}


@pytest.fixture
def operator(db):
    return StaffFactory(roles=[Role.OPERATOR])


def members(segment):
    return {p.first_name for p in selectors.segment_members(segment)}


def test_a_segment_narrows_by_district_and_language(city):
    assert members(Segment(district_ids=(city["north"].pk,))) == {"Ana", "Hao", "Tom"}
    assert members(Segment(district_ids=(city["north"].pk,), languages=("en",))) == {"Tom"}
    assert members(Segment(languages=("en", "es"))) == {"Ana", "Tom", "Sue"}


def test_a_role_segment_reaches_staff_holding_it(city):
    health = StaffFactory(first_name="Hana", roles=[Role.HEALTH_OFFICER])
    StaffFactory(first_name="Otto", roles=[Role.OPERATOR])
    assert members(Segment(audience="staff", roles=(Role.HEALTH_OFFICER,))) == {health.first_name}
    assert "Hana" in members(Segment(audience="everyone")) and "Ana" in members(Segment(audience="everyone"))


def test_a_district_segment_of_staff_reaches_staff_scoped_to_it(city):
    scoped = StaffFactory(first_name="Nina", roles=[Role.CASEWORKER])
    scoped.staff_roles.get().districts.set([city["north"]])
    StaffFactory(first_name="Whole", roles=[Role.CASEWORKER])
    assert members(Segment(audience="staff", district_ids=(city["north"].pk,))) == {"Nina"}


def test_a_broadcast_reaches_each_person_in_their_language(city, operator, welcome, django_capture_on_commit_callbacks):
    ChannelPreference.objects.create(user=city["tom"], channels=["email"], opted_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = services.send_to_segment(Segment(district_ids=(city["north"].pk,)), "welcome", sent_by=operator)

    assert (broadcast.recipient_count, broadcast.suppressed_count) == (3, 1)
    assert broadcast.created_by == operator and broadcast.segment["district_ids"] == [city["north"].pk]
    states = {m.recipient.first_name: (m.state, m.language) for m in Message.objects.filter(broadcast=broadcast)}
    assert states == {"Ana": ("sent", "es"), "Hao": ("sent", "zh-hant"), "Tom": ("suppressed", "en")}
    assert sorted(e.subject for e in mail.outbox) == ["Bienvenida, Ana", "歡迎，Hao"]  # noqa: RUF001
    assert selectors.broadcast_counts(broadcast)["sent"] == 2


def test_delivery_is_enqueued_only_after_the_send_commits(
    city, operator, welcome, db_tasks, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.send_to_segment(Segment(district_ids=(city["south"].pk,)), "welcome", sent_by=operator)
        assert DBTaskResult.objects.count() == 0
    for callback in callbacks:
        callback()
    job = DBTaskResult.objects.get(task_path__endswith="deliver_message")
    assert job.queue_name == "notifications"
    assert Message.objects.get().state == MessageState.QUEUED


# --- Who may send ------------------------------------------------------------------------


def test_a_district_scoped_operator_may_message_their_district_only(city, welcome):
    scoped = StaffFactory(roles=[Role.OPERATOR])
    scoped.staff_roles.get().districts.set([city["north"]])
    services.send_to_segment(Segment(district_ids=(city["north"].pk,)), "welcome", sent_by=scoped)
    for segment in (Segment(district_ids=(city["south"].pk,)), Segment()):
        with pytest.raises(PermissionDenied):
            services.send_to_segment(segment, "welcome", sent_by=scoped)
    assert Broadcast.objects.count() == 1


@pytest.mark.parametrize("role", [Role.DATA_PUBLISHER, None])
def test_data_publishers_and_residents_may_not_broadcast(city, welcome, role):
    sender = StaffFactory(roles=[role]) if role else city["ana"]
    with pytest.raises(PermissionDenied):
        services.send_to_segment(Segment(), "welcome", sent_by=sender)
    assert not Broadcast.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.OPERATOR, Role.HEALTH_OFFICER, Role.CASEWORKER, Role.SERVICE_AGENT, Role.ADMINISTRATOR]
)
def test_every_messaging_role_may_broadcast_city_wide(city, welcome, role):
    assert services.may_message(StaffFactory(roles=[role]), [])


# --- Rejected segments ---------------------------------------------------------------------


def rejected(field, segment, key="welcome", sent_by=None, **kwargs):
    with pytest.raises(ValidationError) as caught:
        services.send_to_segment(segment, key, sent_by=sent_by, **kwargs)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert not Broadcast.objects.exists() and not Message.objects.exists()
    return caught.value.message_dict[field][0]


def test_an_empty_segment_is_rejected(city, welcome, operator):
    text = rejected("segment", Segment(district_ids=(city["south"].pk,), languages=("zh-hant",)), sent_by=operator)
    assert "No one matches" in text


def test_unknown_districts_languages_roles_and_audiences_are_rejected(city, welcome):
    assert "999999" in rejected("district_ids", Segment(district_ids=(999999,)))
    assert "fr" in rejected("languages", Segment(languages=("fr",)))
    assert "mayor" in rejected("roles", Segment(audience="staff", roles=("mayor",)))
    rejected("roles", Segment(audience="residents", roles=(Role.OPERATOR,)))
    rejected("audience", Segment(audience="tourists"))


def test_a_broadcast_with_an_unknown_template_or_channel_is_rejected(city, welcome):
    rejected("template_key", Segment(), key="nope")
    rejected("channels", Segment(), channels=["pigeon"])


@pytest.mark.parametrize(
    "context",
    [
        {"bad key": "x"},
        {"person": "x"},
        {"details": ["a", "list"]},
        {"details": "x" * 2001},
        {f"k{i}": "v" for i in range(21)},
    ],
)
def test_broadcast_details_must_be_few_short_named_values(city, welcome, context):
    rejected("context", Segment(), context=context)


def test_staff_with_a_role_in_the_role_list_is_counted_once(city, welcome, django_capture_on_commit_callbacks):
    StaffFactory(roles=[Role.OPERATOR, Role.CASEWORKER])
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = services.send_to_segment(
            Segment(audience="staff", roles=(Role.OPERATOR, Role.CASEWORKER)), "welcome", sent_by=None
        )
    assert broadcast.recipient_count == 1
