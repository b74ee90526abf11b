"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Iterator
from typing import cast

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import ResidentFactory, StaffFactory

IN_CI = os.environ.get("CI") == "true"


def need(available: bool, what: str) -> None:
    """Skip with a visible reason when a service is missing, except in CI where it must be there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available here")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def require_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    need(bool(path), "Chromium (apt-get install chromium)")
    return path


@pytest.fixture
def require_redis() -> str:
    need(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def _fresh_cache_and_lockouts() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def resident(db: None) -> User:
    return cast(User, ResidentFactory())


def verified_client(user: User) -> Client:
    """A browser session for ``user`` that has passed the TOTP step."""
    client = Client()
    client.force_login(user, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client(db: None) -> Callable[..., tuple[User, Client]]:
    def make(*roles: str) -> tuple[User, Client]:
        user = cast(User, StaffFactory(roles=list(roles) or [Role.OPERATOR]))
        return user, verified_client(user)

    return make
