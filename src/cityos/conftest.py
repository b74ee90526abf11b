"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
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


def _start_mosquitto(binary: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    folder = Path(tempfile.mkdtemp(prefix="cityos-mosquitto-"))
    conf = folder / "mosquitto.conf"
    # As docs/deploy.md configures production: no QoS 1 message of a slow or restarting worker is
    # dropped (Mosquitto's default queue of 1,000 per session silently drops the rest).
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 0\n"
    )
    process = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - the machine's own binary
    deadline = time.monotonic() + 10
    while not port_open("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"Mosquitto did not start on port {port}")
        time.sleep(0.05)
    return process, f"mqtt://127.0.0.1:{port}", folder


@pytest.fixture(scope="session")
def mosquitto_url() -> Iterator[str]:
    """A Mosquitto of this test run's own (the machine's Mosquitto binary on a free port), so two
    suites run side by side never take each other's messages: every ingest worker subscribes to
    the whole ``v1.1/`` tree. Without the binary, the Mosquitto on 127.0.0.1:1883."""
    binary = shutil.which("mosquitto") or next(
        (path for path in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(path)), None
    )
    if binary is None:
        need(port_open("127.0.0.1", 1883), "Mosquitto (the binary, or a broker on 127.0.0.1:1883)")
        yield "mqtt://127.0.0.1:1883"
        return
    process, url, folder = _start_mosquitto(binary)
    yield url
    process.terminate()
    process.wait(10)
    shutil.rmtree(folder, ignore_errors=True)


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
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request in another one leaves it active in the
    thread, and a later test would otherwise run (and build its data) in that language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


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
