"""Fixtures of the health tests: people in each role and a few records made through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import pytest
from django.test import Client
from django.utils import timezone

from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory
from cityos.core.web.tests.conftest import _chromium, page, sign_in_browser  # noqa: F401
from cityos.health import services
from cityos.health.models import Case, Contact

QUEUES = ["default", "notifications", "events", "checkin"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Jobs (durable event subscribers included) run as soon as they are enqueued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}


@pytest.fixture
def officer(db: None) -> User:
    return cast(User, StaffFactory(roles=[Role.HEALTH_OFFICER]))


@pytest.fixture
def officer_client(officer: User) -> Client:
    from cityos.conftest import verified_client

    return verified_client(officer)


def give_reason(client: Client, url: str, reason: str = "Calling contacts of this case") -> None:
    """Answer the reason page in front of ``url``."""
    response = client.post(url, {"reason": reason})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def reasoned(officer_client: Client) -> Callable[[str], Client]:
    def ask(url: str) -> Client:
        give_reason(officer_client, url)
        return officer_client

    return ask


def case_form(**changes: str) -> dict[str, str]:
    """The fields of the page that records a case (``/health/cases/new/``): a suspected case with
    room for two visits and none filled in, with ``changes`` (e.g. ``**{"visits-0-place": ...}``)."""
    form = {
        "account": "",
        "name": "Mei Chen",
        "contact_details": "",
        "classification": "suspected",
        "lab_result": "pending",
        "visits-TOTAL_FORMS": "2",
        "visits-INITIAL_FORMS": "0",
    }
    return {**form, **changes}


def at(days_ago: int, hour: int = 12) -> datetime:
    """``hour`` o'clock on the city's clock, ``days_ago`` days before today (the city's days)."""
    return timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=days_ago), time(hour)))


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def case(officer: User) -> Case:
    return services.record_case(
        officer,
        name="Mei Chen",
        contact_details="+1 212 555 0101",
        onset_date=days_ago(3),
        visits=[{"place": "Harbour Market", "start": at(4, 10), "end": at(4, 11)}],
    )


@pytest.fixture
def contact(officer: User, case: Case) -> Contact:
    return services.add_contact(officer, case, name="Luis Pérez", relationship="household", last_exposure=days_ago(2))


@pytest.fixture
def person(db: None) -> User:
    return cast(User, ResidentFactory(phone="+12125550142"))
