"""Fixtures for the notifications tests: task backends, templates, a queue driver, clocks."""
# ruff: noqa: RUF001 - Chinese texts use full-width punctuation

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import TestCase
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max

from cityos.core.accounts.models import Language
from cityos.core.notifications.models import Message, MessageTemplate
from cityos.core.notifications.tests.factories import TemplateFactory

QUEUES = ["default", "notifications", "events"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # These tests make many people; argon2 is for real passwords, not for fixtures.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def immediate_tasks(settings) -> None:
    """Jobs run the moment they are enqueued (after commit), in this process."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": QUEUES}}


@pytest.fixture
def db_tasks(settings) -> None:
    """Jobs wait in the database queue until :func:`drain` (or a worker) runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path) -> None:
    # The outbox (var/outbox) and voice audio (media) of a test stay in its own folder.
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def outbox_dir(tmp_path):
    return tmp_path / "outbox"


@pytest.fixture
def welcome(db: None) -> list[MessageTemplate]:
    """ "welcome" in English, Traditional Chinese and Spanish."""
    return [
        TemplateFactory(),
        TemplateFactory(
            language=Language.TRADITIONAL_CHINESE,
            subject="歡迎，{{ person.first_name }}",
            body="{{ person.first_name }}您好，歡迎使用市政服務。",
        ),
        TemplateFactory(
            language=Language.SPANISH,
            subject="Bienvenida, {{ person.first_name }}",
            body="Hola {{ person.first_name }}, te damos la bienvenida a la ciudad.",
        ),
    ]


def drain(queue: str = "notifications") -> int:
    """Run every ready job on ``queue`` the way a worker does (claim, run, record), here."""
    worker = Worker(
        queue_names=[queue],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        job = DBTaskResult.objects.ready().filter(queue_name=queue).order_by("enqueued_at").first()
        if job is None:
            return ran
        job.claim(worker.worker_id)
        # A worker runs outside any transaction; here the test's transaction wraps everything,
        # so what the job defers until commit (retries) runs when the job ends.
        with TestCase.captureOnCommitCallbacks(execute=True):
            worker.run_task(job)
        ran += 1


def time_passes(delta: timedelta) -> None:
    """Move every waiting message and deferred job ``delta`` closer to now."""
    Message.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=F("next_attempt_at") - delta)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).exclude(run_after=get_date_max()).update(
        run_after=F("run_after") - delta
    )


@pytest.fixture
def flaky_transport(settings) -> Iterator[None]:
    from cityos.core.notifications.tests import doubles

    doubles.reset()
    settings.CITYOS_NOTIFICATION_TRANSPORTS = {
        channel: "cityos.core.notifications.tests.doubles.FlakyTransport"
        for channel in ("email", "sms", "whatsapp", "voice")
    }
    yield
    doubles.reset()
