from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

# The browser fixtures live with the front doors' tests; the waste pages reuse them.
from cityos.core.web.tests.conftest import _chromium, page, sign_in_browser  # noqa: F401


@pytest.fixture(autouse=True)
def _quick_solver() -> Iterator[None]:
    """Plans solve for a fraction of a second in tests."""
    with override_settings(CITYOS_WASTE_SOLVER_SECONDS="0.3"):
        yield


def install_follow_up_text() -> None:
    """The emptied-bin text migration 0004 installs; a transactional test's flush removes it."""
    import importlib

    from cityos.core.notifications import services as notifications

    texts = importlib.import_module("cityos.waste.migrations.0004_report_collected_text")
    notifications.install_templates((texts.KEY, "", language, subject, body) for language, subject, body in texts.TEXTS)
