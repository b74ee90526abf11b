"""Hourly limits per address: each form counts on its own, each address on its own."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from cityos.core.ratelimit import over_hourly_limit


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_a_form_allows_its_limit_an_hour_from_one_address_then_refuses() -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.5")
    assert [over_hourly_limit(request, "sign-up", 3) for _ in range(4)] == [False, False, False, True]


def test_other_forms_and_other_addresses_keep_their_own_counts() -> None:
    first = RequestFactory().post("/", REMOTE_ADDR="203.0.113.5")
    other = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
    assert not over_hourly_limit(first, "sign-up", 1)
    assert over_hourly_limit(first, "sign-up", 1)
    assert not over_hourly_limit(first, "waste-report", 1)
    assert not over_hourly_limit(other, "sign-up", 1)
