"""Delivery: retries with back-off, then failed; rate limits; gateways; receipts; retention."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from cityos.core.accounts.tests.factories import ResidentFactory
from cityos.core.audit.models import AuditAction, AuditEntry
from cityos.core.notifications import services
from cityos.core.notifications.models import ChannelPreference, Message, MessageState
from cityos.core.notifications.tests import doubles
from cityos.core.notifications.tests.conftest import drain, time_passes

pytestmark = pytest.mark.django_db


def queue_welcome(person, capture, channels=None):
    with capture(execute=True):
        return services.send_to_person(person, "welcome", channels=channels)


def deferred_jobs():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path__endswith="deliver_message")


@pytest.mark.usefixtures("db_tasks", "flaky_transport")
def test_a_failing_transport_is_retried_with_back_off_then_marked_failed(
    welcome, settings, django_capture_on_commit_callbacks
):
    settings.CITYOS_MESSAGE_MAX_ATTEMPTS = 3
    settings.CITYOS_MESSAGE_RETRY_BASE_SECONDS = 30
    doubles.behaviour["fail_times"] = 99
    message = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)

    waits = []
    for attempt in (1, 2):
        started = timezone.now()
        assert drain() == 1
        message.refresh_from_db()
        assert (message.state, message.attempts, message.last_error) == ("queued", attempt, "503 gateway busy")
        wait = message.next_attempt_at - started
        waits.append(wait)
        job = deferred_jobs().get()
        assert job.run_after == message.next_attempt_at  # the queue holds the retry until then
        assert drain() == 0  # nothing runs early
        time_passes(wait)

    assert timedelta(seconds=29) < waits[0] <= timedelta(seconds=31)
    assert timedelta(seconds=59) < waits[1] <= timedelta(seconds=61)  # exponential: twice as long
    assert drain() == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.FAILED, 3)
    assert message.last_error == "503 gateway busy" and message.failed_at is not None
    assert message.next_attempt_at is None and not deferred_jobs().exists()
    assert len(doubles.calls) == 3


@pytest.mark.usefixtures("db_tasks", "flaky_transport")
def test_a_transport_that_recovers_sends_on_the_retry(welcome, django_capture_on_commit_callbacks):
    doubles.behaviour["fail_times"] = 1
    message = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    drain()
    time_passes(timedelta(minutes=5))
    drain()
    message.refresh_from_db()
    assert (message.state, message.attempts, message.provider_message_id) == ("sent", 2, f"flaky-{message.pk}")


@pytest.mark.usefixtures("db_tasks", "flaky_transport")
def test_a_permanent_error_fails_at_once(welcome, django_capture_on_commit_callbacks):
    doubles.behaviour["permanent"] = True
    message = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    drain()
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("failed", 1, "550 mailbox does not exist")
    assert not deferred_jobs().exists()


@pytest.mark.usefixtures("db_tasks", "flaky_transport")
def test_a_bug_in_a_transport_is_logged_and_retried(welcome, caplog, django_capture_on_commit_callbacks):
    doubles.behaviour["bug"] = True
    message = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    drain()
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("queued", 1)
    assert message.last_error == "a bug in the city's transport" and message.next_attempt_at is not None
    logged = [r for r in caplog.records if r.getMessage() == "transport raised an unexpected error"]
    assert len(logged) == 1 and logged[0].message_id == message.pk and logged[0].exc_info


@pytest.mark.usefixtures("db_tasks")
def test_over_the_rate_limit_a_message_is_rescheduled_not_dropped(
    welcome, settings, django_capture_on_commit_callbacks
):
    settings.CITYOS_RATE_LIMITS = {"email": 2}
    messages = [queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks) for _ in range(3)]
    started = timezone.now()
    drain()

    states = [Message.objects.get(pk=m.pk) for m in messages]
    assert [m.state for m in states] == ["sent", "sent", "queued"]
    waiting = states[2]
    assert waiting.attempts == 0  # a rate-limit wait is not a failed attempt
    assert started < waiting.next_attempt_at <= started.replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert deferred_jobs().get().run_after == waiting.next_attempt_at

    time_passes(timedelta(minutes=1))
    cache.clear()  # a new minute: the last minute's count has expired
    drain()
    waiting.refresh_from_db()
    assert waiting.state == MessageState.SENT


@pytest.mark.usefixtures("immediate_tasks")
def test_the_sweeper_enqueues_due_messages_and_revives_stuck_ones(
    welcome, settings, django_capture_on_commit_callbacks
):
    # The immediate backend cannot defer, so a rate-limited message waits for the sweeper.
    settings.CITYOS_RATE_LIMITS = {"email": 1}
    _first, second = (queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks) for _ in range(2))
    second.refresh_from_db()
    assert second.state == MessageState.QUEUED
    stuck = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    Message.objects.filter(pk=stuck.pk).update(
        state=MessageState.SENDING, sending_at=timezone.now() - timedelta(hours=1)
    )
    settings.CITYOS_RATE_LIMITS = {}

    time_passes(timedelta(minutes=5))
    assert services.requeue_due() == 2

    assert set(Message.objects.values_list("state", flat=True)) == {MessageState.SENT}


@pytest.mark.usefixtures("immediate_tasks")
def test_a_delivery_report_marks_the_message_delivered_or_failed(welcome, django_capture_on_commit_callbacks):
    sent = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    sent.refresh_from_db()
    services.record_delivery_report(sent.provider_message_id, "delivered")
    sent.refresh_from_db()
    assert sent.state == MessageState.DELIVERED and sent.delivered_at is not None

    other = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    other.refresh_from_db()
    services.record_delivery_report(other.provider_message_id, "failed", "Handset unreachable")
    other.refresh_from_db()
    assert (other.state, other.last_error) == (MessageState.FAILED, "Handset unreachable")


@pytest.mark.parametrize(
    ("provider_id", "status", "field"), [("nope", "delivered", "id"), ("", "delivered", "id"), ("x", "read", "status")]
)
def test_a_delivery_report_for_an_unknown_message_or_status_is_rejected(provider_id, status, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.record_delivery_report(provider_id, status)
    assert field in caught.value.message_dict


# --- HTTP gateways: a real HTTP server in a thread ------------------------------------------


class Gateway(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[dict] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Gateway.received.append(
            {"auth": self.headers.get("Authorization"), "json": json.loads(self.rfile.read(length))}
        )
        status = Gateway.answers.pop(0) if Gateway.answers else 200
        body = json.dumps({"id": f"gw-{len(Gateway.received)}"} if status == 200 else {"error": "nope"}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    Gateway.answers, Gateway.received = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/send"
    settings.CITYOS_SMS_GATEWAY_URL = url
    settings.CITYOS_WHATSAPP_GATEWAY_URL = url
    settings.CITYOS_GATEWAY_TOKEN = "gateway-secret"
    yield Gateway
    server.shutdown()
    server.server_close()


@pytest.fixture
def texter(db):
    person = ResidentFactory(first_name="Tom", email=None, phone="+14155550111")
    ChannelPreference.objects.create(user=person, channels=["sms"])
    return person


@pytest.mark.usefixtures("db_tasks")
def test_an_sms_goes_to_the_gateway_as_json_with_the_bearer_token(
    welcome, gateway, texter, django_capture_on_commit_callbacks
):
    message = queue_welcome(texter, django_capture_on_commit_callbacks)
    drain()
    message.refresh_from_db()
    assert (message.state, message.provider_message_id) == ("sent", "gw-1")
    request = gateway.received[0]
    assert request["auth"] == "Bearer gateway-secret"
    assert request["json"] == {
        "to": "+14155550111",
        "body": "Hello Tom, welcome to the city.",
        "language": "en",
        "reference": str(message.pk),
        "channel": "sms",
    }


@pytest.mark.usefixtures("db_tasks")
def test_a_gateway_5xx_is_retried_and_a_4xx_fails(welcome, gateway, texter, django_capture_on_commit_callbacks):
    gateway.answers[:] = [503, 400]
    message = queue_welcome(texter, django_capture_on_commit_callbacks)
    drain()
    message.refresh_from_db()
    assert message.state == "queued" and "503" in message.last_error
    time_passes(timedelta(minutes=5))
    drain()
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 2) and "400" in message.last_error


@pytest.mark.usefixtures("db_tasks")
def test_an_unreachable_gateway_is_a_transient_error(welcome, settings, texter, django_capture_on_commit_callbacks):
    settings.CITYOS_SMS_GATEWAY_URL = "http://127.0.0.1:9/closed"
    message = queue_welcome(texter, django_capture_on_commit_callbacks)
    drain()
    message.refresh_from_db()
    assert message.state == "queued" and "could not be reached" in message.last_error


@pytest.mark.usefixtures("immediate_tasks")
def test_without_a_gateway_messages_go_to_the_outbox(
    welcome, settings, texter, outbox_dir, django_capture_on_commit_callbacks
):
    settings.CITYOS_SMS_GATEWAY_URL = ""
    message = queue_welcome(texter, django_capture_on_commit_callbacks)
    message.refresh_from_db()
    line = json.loads((outbox_dir / "sms.jsonl").read_text().splitlines()[-1])
    assert line["id"] == message.provider_message_id and line["to"] == "+14155550111"
    assert line["body"] == "Hello Tom, welcome to the city."


def test_a_city_can_plug_in_its_own_transport(settings):
    from cityos.core.notifications.transports import transport_for

    settings.CITYOS_NOTIFICATION_TRANSPORTS = {"sms": "cityos.core.notifications.tests.doubles.FlakyTransport"}
    assert type(transport_for("sms")).__name__ == "FlakyTransport"
    assert type(transport_for("email")).__name__ == "EmailTransport"


# --- Retention -----------------------------------------------------------------------------


@pytest.mark.usefixtures("immediate_tasks")
def test_retention_removes_old_addresses_and_texts_and_audits_it(welcome, settings, django_capture_on_commit_callbacks):
    settings.CITYOS_MESSAGE_RETENTION_DAYS = 30
    old = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    recent = queue_welcome(ResidentFactory(), django_capture_on_commit_callbacks)
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    assert services.apply_retention() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.address, old.subject, old.body) == ("", "", "") and old.redacted_at is not None
    assert old.state == MessageState.SENT  # the delivery record stays, for statistics
    assert recent.address and recent.body
    entry = AuditEntry.objects.get(action=AuditAction.RETENTION)
    assert entry.object_type == "notifications.Message" and entry.changes == {"deleted": 1}
    assert services.apply_retention() == 0  # already removed: nothing more, no new entry
    assert AuditEntry.objects.filter(action=AuditAction.RETENTION).count() == 1


def test_the_retention_and_sweeper_jobs_are_registered():
    from cityos.core.registry import registry

    assert registry.periodic_jobs["notifications.retention"].every == timedelta(days=1)
    assert registry.periodic_jobs["notifications.requeue"].every == timedelta(minutes=1)
    assert set(registry.personal_fields("notifications.Message")) >= {"address", "body"}


@pytest.mark.redis
def test_rate_limits_are_counted_in_redis_so_every_worker_shares_them(settings, require_redis):
    import uuid

    import redis

    from cityos.core.notifications import ratelimit

    prefix = f"notif-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": require_redis,
            "KEY_PREFIX": prefix,
        }
    }
    settings.CITYOS_RATE_LIMITS = {"sms": 2}
    now = timezone.now()

    granted = [ratelimit.reserve("sms", now) for _ in range(2)]
    third, fifth = ratelimit.reserve("sms", now), (ratelimit.reserve("sms", now), ratelimit.reserve("sms", now))[1]

    assert granted == [None, None]
    assert third == now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert fifth == now.replace(second=0, microsecond=0) + timedelta(minutes=2)  # spread, not all next minute
    # Another process sees the same count: it lives in Redis, not in this process.
    keys = redis.Redis.from_url(require_redis).keys(f"{prefix}*rate:sms*")
    assert len(keys) == 1
    redis.Redis.from_url(require_redis).delete(*keys)
