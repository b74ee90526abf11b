"""A broadcast reaches a real SMTP server (aiosmtpd, started here) through the database queue."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django_tasks_db.management.commands.db_worker import Worker

from cityos.core.accounts.models import Language, Role
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.geo.tests.factories import DistrictFactory
from cityos.core.notifications import services
from cityos.core.notifications.models import Message, MessageState
from cityos.core.notifications.selectors import Segment

REFUSED = "refused@example.org"


class Inbox:
    """An SMTP server's mailbox: keeps what it accepts, refuses one address."""

    def __init__(self) -> None:
        self.received: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Harbourview <no-reply@harbourview.example>"
    yield inbox
    controller.stop()


def run_worker() -> None:
    """The database-queue worker that `cityos worker --batch` runs, in this process."""
    Worker(
        queue_names=["notifications"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="smtp-test",
        excluded_queue_names=[],
    ).run()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("db_tasks")
def test_a_message_to_a_segment_reaches_a_real_smtp_server_in_each_language(smtp_server, welcome):
    harbour = DistrictFactory(name="Harbour")
    ResidentFactory(first_name="Ana", email="ana@example.org", district=harbour, language=Language.SPANISH)
    ResidentFactory(first_name="Hao", email="hao@example.org", district=harbour, language=Language.TRADITIONAL_CHINESE)
    ResidentFactory(first_name="Elsewhere", district=DistrictFactory())
    operator = StaffFactory(roles=[Role.OPERATOR])

    broadcast = services.send_to_segment(Segment(district_ids=(harbour.pk,)), "welcome", sent_by=operator)
    assert set(Message.objects.filter(broadcast=broadcast).values_list("state", flat=True)) == {"queued"}
    run_worker()

    arrived = {mail["To"]: mail for mail in smtp_server.received}
    assert set(arrived) == {"ana@example.org", "hao@example.org"}
    ana, hao = arrived["ana@example.org"], arrived["hao@example.org"]
    assert (ana["Subject"], ana["Content-Language"]) == ("Bienvenida, Ana", "es")
    assert "Hola Ana, te damos la bienvenida" in ana.get_content()
    assert (hao["Subject"], hao["Content-Language"]) == ("歡迎，Hao", "zh-Hant")  # noqa: RUF001
    assert "Hao您好" in hao.get_content()
    assert ana["From"] == "Harbourview <no-reply@harbourview.example>"

    messages = Message.objects.filter(broadcast=broadcast)
    assert {m.state for m in messages} == {MessageState.SENT}
    assert {m.provider_message_id for m in messages} == {mail["Message-ID"].strip("<>") for mail in arrived.values()}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("db_tasks")
def test_an_address_the_smtp_server_refuses_is_failed_without_retry(smtp_server, welcome):
    person = ResidentFactory(email=REFUSED)
    message = services.send_to_person(person, "welcome")
    run_worker()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.FAILED, 1)
    assert "550" in message.last_error and smtp_server.received == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("db_tasks")
def test_an_smtp_server_that_is_down_is_retried_later(smtp_server, settings, welcome):
    settings.EMAIL_PORT = free_port()  # nothing listens there
    message = services.send_to_person(ResidentFactory(), "welcome")
    run_worker()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.QUEUED, 1)
    assert "Connection" in message.last_error or "refused" in message.last_error.lower()
    assert message.next_attempt_at is not None
