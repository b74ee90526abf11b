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
