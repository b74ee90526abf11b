"""Rate limits per client: anonymous by address, tokens by token, sessions by person."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client, override_settings

from cityos.core.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/meta/languages"


@override_settings(CITYOS_API_RATE_ANON="2/m")
def test_anonymous_clients_are_limited_by_address_with_headers():
    client = Client(REMOTE_ADDR="203.0.113.5")
    first = client.get(URL)
    assert first["X-RateLimit-Limit"] == "2" and first["X-RateLimit-Remaining"] == "1"
    assert int(first["X-RateLimit-Reset"]) <= 60
    assert client.get(URL)["X-RateLimit-Remaining"] == "0"
    response = client.get(URL)
    assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    # Another address has its own budget.
    assert Client(REMOTE_ADDR="203.0.113.6").get(URL).status_code == 200


@override_settings(CITYOS_API_RATE_ANON="1/m")
def test_a_forged_forwarded_for_header_does_not_reset_the_budget():
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert client.get(URL, headers={"X-Forwarded-For": "1.1.1.1"}).status_code == 200
    assert client.get(URL, headers={"X-Forwarded-For": "2.2.2.2"}).status_code == 429


@override_settings(CITYOS_API_RATE_ANON="1/m", CITYOS_API_RATE_CLIENT="3/m")
def test_each_token_has_its_own_budget_at_the_client_rate(make_token, token_client):
    first, second = token_client(make_token().secret), token_client(make_token().secret)
    assert [first.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert second.get(URL).status_code == 200


@override_settings(CITYOS_API_RATE_ANON="1/m", CITYOS_API_RATE_CLIENT="2/m")
def test_a_session_is_limited_per_person(resident):
    laptop, phone = Client(), Client()
    laptop.force_login(resident)
    phone.force_login(resident)
    assert laptop.get(URL).status_code == 200
    assert phone.get(URL).status_code == 200
    assert laptop.get(URL).status_code == 429


def test_limits_are_counted_in_redis_when_it_is_the_cache(require_redis, make_token, token_client):
    redis_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": require_redis,
            # Other test runs share this Redis database: keep to our own keys.
            "KEY_PREFIX": f"cityos-api-test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=redis_cache, CITYOS_API_RATE_ANON="2/m", CITYOS_API_RATE_CLIENT="1/m"):
        from django.core.cache import cache

        anonymous = Client(REMOTE_ADDR="198.51.100.7")
        assert [anonymous.get(URL).status_code for _ in range(3)] == [200, 200, 429]
        client = token_client(make_token().secret)
        assert [client.get(URL).status_code for _ in range(2)] == [200, 429]
        keys = list(cache._cache.get_client().scan_iter(f"{cache.key_prefix}:*"))
        assert len(keys) == 2  # one for the address, one for the token
        cache.delete_many([k.decode().split(":", 2)[2] for k in keys])


def test_an_unreachable_cache_lets_requests_through():
    broken = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with override_settings(CACHES=broken):
        assert Client().get(URL).status_code == 200
