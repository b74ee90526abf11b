"""The browser fixtures live with the front doors' tests; the check-in pages reuse them."""

from __future__ import annotations

from typing import cast

import pytest

from cityos.checkin.demo import install_templates
from cityos.core.accounts.models import Role, User
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.web.tests.conftest import _chromium, page, sign_in_browser  # noqa: F401


@pytest.fixture
def templates(db: None) -> int:
    return install_templates()


@pytest.fixture
def officer(db: None) -> User:
    return cast(User, StaffFactory(roles=[Role.HEALTH_OFFICER]))
