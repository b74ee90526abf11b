"""Browser fixtures: one headless Debian Chromium per test module, a fresh page per test.

Playwright's sync API keeps an event loop running in the test thread, so Django's guard against
database calls from async code is switched off while the browser runs (the test code itself is
plain synchronous code).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from cityos.core.accounts.models import User

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


class _Chromium:
    """Starts Playwright and Chromium on first use, so skipped tests never start them."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self.browser: Any = None
        self._saved_env: str | None = None

    def get(self, executable: str) -> Any:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self._saved_env = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            self._playwright = sync_playwright().start()
            self.browser = self._playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        return self.browser

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self._playwright.stop()
            if self._saved_env is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self._saved_env


@pytest.fixture(scope="module")
def _chromium() -> Iterator[_Chromium]:
    chromium = _Chromium()
    yield chromium
    chromium.close()


@pytest.fixture
def page(require_chromium: str, _chromium: _Chromium, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A phone-sized page (the portal is phone-first) whose relative URLs go to the live server."""
    context = _chromium.get(require_chromium).new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def assert_accessible(page: Any, what: str) -> None:
    """axe finds no WCAG 2.2 A/AA violation on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{what} ({page.url}):\n{results.generate_report()}"


@pytest.fixture
def sign_in_browser(live_server: Any) -> Callable[..., None]:
    """Puts a signed-in session for ``user`` (staff: past the TOTP step) into a browser page."""

    def sign_in(page: Any, user: User) -> None:
        client = Client()
        client.force_login(user, backend="cityos.core.accounts.backends.EmailOrPhoneBackend")
        if user.is_staff:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
                user=user, name="test", confirmed=True
            )
            session = client.session
            session["otp_device_id"] = device.persistent_id
            session.save()
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in
