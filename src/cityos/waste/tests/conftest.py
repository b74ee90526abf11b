from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def _quick_solver() -> Iterator[None]:
    """Plans solve for a fraction of a second in tests."""
    with override_settings(CITYOS_WASTE_SOLVER_SECONDS="0.3"):
        yield
