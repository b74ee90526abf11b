"""Decoding and storing batches: once only, duplicates skipped, bad messages dead-lettered."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from cityos.core.accounts.models import User
from cityos.sensing.ingest import store
from cityos.sensing.ingest.store import Message, store_batch
from cityos.sensing.models import Datastream, DeadLetter, IngestReceipt, Observation

pytestmark = pytest.mark.django_db


def topic(datastream: Datastream) -> str:
    return f"v1.1/Datastreams({datastream.pk})/Observations"


def message(datastream: Datastream, body: object) -> Message:
    return Message(topic(datastream), orjson.dumps(body))


def test_a_message_is_stored_once_and_its_redelivery_is_not(temperature: Datastream) -> None:
    first = message(temperature, {"result": 21.5, "phenomenonTime": "2026-03-01T08:00:00Z"})
    outcome = store_batch([first])
    assert outcome.stored == 1 and outcome.duplicates == 0
    observation = Observation.objects.get(pk=outcome.observation_ids[0])
    assert observation.result == 21.5 and observation.datastream_id == temperature.pk
    again = store_batch([first, first])
    assert again.stored == 0 and again.duplicates == 2
    assert Observation.objects.filter(datastream=temperature).count() == 1
    assert IngestReceipt.objects.filter(key=first.key, minute=29_539_200).exists()  # 2026-03-01 08:00 UTC


def test_the_same_digest_in_another_minute_is_another_message(temperature: Datastream) -> None:
    """Receipts are keyed by the message's own minute and its digest: a digest seen under
    another minute (a 64-bit collision across time) does not make a new message a duplicate."""
    body = message(temperature, {"result": 21.5, "phenomenonTime": "2026-03-01T08:00:00Z"})
    IngestReceipt.objects.create(minute=12345, key=body.key, received_at=timezone.now())
    assert store_batch([body]).stored == 1
    assert store_batch([body]).duplicates == 1


def test_a_message_without_a_time_is_still_stored_once(temperature: Datastream) -> None:
    body = message(temperature, {"result": 3.0})
    assert store_batch([body]).stored == 1
    assert store_batch([body]).duplicates == 1
    assert IngestReceipt.objects.filter(minute=0, key=body.key).exists()


def test_a_duplicate_inside_one_batch_is_stored_once(temperature: Datastream) -> None:
    one = message(temperature, {"result": 1, "phenomenonTime": "2026-03-01T08:00:00Z"})
    other = message(temperature, {"result": 1, "phenomenonTime": "2026-03-01T08:01:00Z"})
    outcome = store_batch([one, other, one])
    assert (outcome.stored, outcome.duplicates) == (2, 1)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"result": "warm"}', "its result must be a number"),
        (b'{"result": 3, "phenomenonTime": "2026-03-01T08:00:00"}', "has no time zone"),
        (b'{"value": 3}', "has no property 'value'"),
        (b"[1, 2]", "must be a JSON object"),
        # PostgreSQL cannot store a NUL; a time past the year 9999 in UTC cannot be read back.
        (b'{"result": 1, "phenomenonTime": "2026-03-01T08:00:00Z", "parameters": {"a": "\\u0000"}}', "Null"),
        (b'{"result": 1, "phenomenonTime": "9999-12-31T23:59:59-14:00"}', "out of range"),
        (b'{"result": 1, "phenomenonTime": "0001-01-01T00:00:00+14:00"}', "out of range"),
    ],
)
def test_bad_messages_go_to_dead_letters_with_their_reason(
    temperature: Datastream, payload: bytes, reason: str
) -> None:
    outcome = store_batch([Message(topic(temperature), payload), message(temperature, {"result": 2.0})])
    assert outcome.stored == 1
    letters = list(DeadLetter.objects.all())
    assert letters and all(reason in letter.reason for letter in letters)
    assert all(letter.topic == topic(temperature) and letter.source == DeadLetter.Source.MQTT for letter in letters)


def test_unknown_datastream_and_wrong_topic_are_dead_letters(temperature: Datastream) -> None:
    outcome = store_batch(
        [
            Message("v1.1/Datastreams(999999)/Observations", b'{"result": 1}'),
            Message("v1.1/Things(1)/Observations", b'{"result": 1}'),
            message(temperature, {"result": 3.0}),
        ]
    )
    assert outcome.stored == 1 and outcome.dead_letters == 2
    reasons = " | ".join(DeadLetter.objects.values_list("reason", flat=True))
    assert "no Datastream with @iot.id 999999" in reasons
    assert "'v1.1/Things(1)/Observations' takes no observations" in reasons


def test_a_gateway_list_stores_good_members_and_dead_letters_bad_ones(temperature: Datastream) -> None:
    body = [{"result": float(i), "phenomenonTime": f"2026-03-01T08:0{i}:00Z"} for i in range(5)] + [{"result": "x"}]
    outcome = store_batch([message(temperature, body)])
    assert outcome.stored == 5 and outcome.dead_letters == 1
    assert orjson.loads(DeadLetter.objects.get().payload) == {"result": "x"}


def test_a_member_refused_while_storing_is_traced_back_to_its_own_message(temperature: Datastream) -> None:
    """Results are checked against the datastream only when stored, after the batch's messages
    were pooled: the dead letter must still hold the right member of the right message."""
    first = [{"result": 1.0, "phenomenonTime": "2026-03-01T08:00:00Z"}]
    second = [
        {"result": 2.0, "phenomenonTime": "2026-03-01T08:01:00Z"},
        {"result": "warm", "phenomenonTime": "2026-03-01T08:02:00Z"},
        {"result": 4.0, "phenomenonTime": "2026-03-01T08:03:00Z", "parameters": {"battery": 80}},
    ]
    elsewhere = Message("v1.1/Datastreams(999999)/Observations", orjson.dumps(first))
    outcome = store_batch([message(temperature, first), elsewhere, message(temperature, second)])
    assert (outcome.stored, outcome.dead_letters) == (3, 2)
    letters = {letter.topic: orjson.loads(letter.payload) for letter in DeadLetter.objects.all()}
    assert letters == {topic(temperature): second[1], elsewhere.topic: first[0]}
    stored = Observation.objects.filter(datastream=temperature).order_by("phenomenon_time_start")
    assert [o.result for o in stored] == [1.0, 2.0, 4.0] and stored[2].parameters == {"battery": 80}


def test_create_observations_data_array(temperature: Datastream, door: Datastream) -> None:
    body = [
        {
            "Datastream": {"@iot.id": temperature.pk},
            "components": ["phenomenonTime", "result"],
            "dataArray": [["2026-03-01T08:00:00Z", 20.1], ["2026-03-01T08:01:00Z", 20.2], ["bad", 1]],
        },
        {"Datastream": {"@iot.id": door.pk}, "components": ["result"], "dataArray": [[True], [3]]},
    ]
    outcome = store_batch([Message(store.CREATE_OBSERVATIONS_TOPIC, orjson.dumps(body))])
    assert outcome.stored == 3 and outcome.dead_letters == 2
    rows = [orjson.loads(letter.payload) for letter in DeadLetter.objects.order_by("pk")]
    assert rows[0]["dataArray"] == [["bad", 1]] and rows[1]["dataArray"] == [[3]]


def test_a_data_array_naming_a_component_twice_is_one_dead_letter(temperature: Datastream) -> None:
    body = [
        {
            "Datastream": {"@iot.id": temperature.pk},
            "components": ["result", "phenomenonTime", "result"],
            "dataArray": [[20.1, "2026-03-01T08:00:00Z", 20.2]],
        }
    ]
    outcome = store_batch([Message(store.CREATE_OBSERVATIONS_TOPIC, orjson.dumps(body))])
    assert (outcome.stored, outcome.dead_letters) == (0, 1)
    assert "components names ['result'] more than once" in DeadLetter.objects.get().reason


def test_what_the_server_published_is_ignored(temperature: Datastream) -> None:
    echo = message(temperature, {"@iot.id": 5, "@iot.selfLink": "http://x/Observations(5)", "result": 1.0})
    outcome = store_batch([echo])
    assert outcome.stored == 0 and outcome.ignored == 1 and not DeadLetter.objects.exists()


def test_replay_stores_a_fixed_dead_letter_and_records_who(temperature: Datastream, operator: User) -> None:
    store_batch([Message(f"v1.1/Datastreams({temperature.pk})/Observations", b'{"result": 4}')])
    assert not DeadLetter.objects.exists()
    store_batch([Message(topic(temperature), b'{"result": "4"}')])
    letter = DeadLetter.objects.get()
    store.replay(letter, by=operator)
    letter.refresh_from_db()
    assert letter.replayed_by == operator and letter.replayed_at is not None
    assert "must be a number" in letter.replay_outcome  # still bad: nothing stored
    letter.payload = '{"result": 4.5}'
    letter.save()
    store.replay(letter, by=operator)
    letter.refresh_from_db()
    assert letter.replay_outcome.startswith("Stored 1")
    assert Observation.objects.filter(datastream=temperature, result_number=4.5).exists()


def test_replay_by_someone_of_another_department_is_refused(temperature: Datastream) -> None:
    from cityos.sensing.tests.conftest import operator_of

    stranger = operator_of(None)
    stranger.staff_roles.all().delete()
    store_batch([Message(topic(temperature), b"{broken")])
    letter = DeadLetter.objects.get()
    letter.payload = '{"result": 1.0}'
    store.replay(letter, by=stranger)
    assert "may not add observations" in letter.replay_outcome
    assert not Observation.objects.filter(datastream=temperature).exists()


def test_old_receipts_are_pruned(temperature: Datastream) -> None:
    store_batch([message(temperature, {"result": 1.0})])
    assert store.prune_receipts(hours=24) == 0
    assert store.prune_receipts(now=timezone.now() + timedelta(hours=25), hours=24) == 1


def test_a_message_that_breaks_its_batch_becomes_a_dead_letter_and_the_rest_are_kept(
    temperature: Datastream, monkeypatch: pytest.MonkeyPatch
) -> None:
    decode = store.decode

    def decode_or_break(one: Message) -> store.Decoded:
        if b"poison" in one.payload:
            raise RuntimeError("a case no check foresaw")
        return decode(one)

    monkeypatch.setattr(store, "decode", decode_or_break)
    batch = [message(temperature, {"result": float(i), "phenomenonTime": f"2026-03-01T08:0{i}:00Z"}) for i in range(3)]
    poison = message(temperature, {"result": 9.0, "parameters": {"note": "poison"}})
    with pytest.raises(RuntimeError):
        store_batch([*batch, poison])  # the batch alone fails whole
    outcome = store.store_each([*batch, poison])
    assert (outcome.stored, outcome.dead_letters) == (3, 1)
    letter = DeadLetter.objects.get()
    assert "RuntimeError" in letter.reason and b"poison" in letter.payload.encode()
    again = store.store_each([*batch, poison])  # delivered again (a crash before the acknowledgement)
    assert (again.stored, again.dead_letters, again.duplicates) == (0, 0, 4) and DeadLetter.objects.count() == 1
