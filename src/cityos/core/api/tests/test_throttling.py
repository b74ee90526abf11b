"""Rate limits per client: anonymous by address, tokens by token, sessions by person, and the
portal's own pages in a bucket of their own (per address, bounded: a claim moves, never frees)."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client, override_settings

from cityos.core.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db

URL = "/api/v1/meta/languages"
LIBRARY = "203.0.113.5"
CSRF_SECRET = "a" * 32  # the form of the site's CSRF cookie
PORTAL = {"Sec-Fetch-Site": "same-origin"}


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


@override_settings(CITYOS_API_RATE_ANON="1/m", CITYOS_API_RATE_CLIENT="2/m")
def test_two_tokens_from_one_address_each_get_their_own_budget(make_token, token_client):
    first = Client(REMOTE_ADDR=LIBRARY, headers={"Authorization": f"Bearer {make_token().secret}"})
    second = Client(REMOTE_ADDR=LIBRARY, headers={"Authorization": f"Bearer {make_token().secret}"})
    assert [first.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert [second.get(URL).status_code for _ in range(2)] == [200, 200]
    assert second.get(URL)["X-RateLimit-Limit"] == "2"


@override_settings(CITYOS_API_RATE_ANON="2/m", CITYOS_API_RATE_CLIENT="5/m")
def test_a_signed_in_resident_is_not_blocked_by_anonymous_traffic_from_the_same_address(resident):
    anonymous = Client(REMOTE_ADDR=LIBRARY)
    assert anonymous.get(URL).status_code == 200
    signed_in = Client(REMOTE_ADDR=LIBRARY)
    signed_in.force_login(resident)
    assert [signed_in.get(URL).status_code for _ in range(3)] == [200, 200, 200]
    assert [anonymous.get(URL).status_code for _ in range(2)] == [200, 429]  # the resident took none
    answer = signed_in.get(URL)
    assert answer.status_code == 200 and answer["X-RateLimit-Limit"] == "5"


@override_settings(CITYOS_API_RATE_ANON="1/m", CITYOS_TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget():
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    assert proxy.get(URL, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
    assert proxy.get(URL, headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200
    # A client's own entry to the left of what the proxy appended changes nothing.
    assert proxy.get(URL, headers={"X-Forwarded-For": "1.1.1.1, 198.51.100.1"}).status_code == 429


@override_settings(CITYOS_API_RATE_ANON="1/m", CITYOS_API_RATE_PORTAL="3/m")
def test_the_portals_own_pages_do_not_eat_the_anonymous_api_budget():
    page = Client(REMOTE_ADDR=LIBRARY)
    page.cookies["csrftoken"] = CSRF_SECRET
    answers = [page.get(URL, headers=PORTAL) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0]["X-RateLimit-Limit"] == "3"
    assert Client(REMOTE_ADDR=LIBRARY).get(URL).status_code == 200  # a third-party app's budget is whole
    # A browser without Sec-Fetch-Site is known by a Referer on this site.
    assert_problem(page.get(URL, headers={"Referer": "http://testserver/map/"}), 429)


@override_settings(CITYOS_API_RATE_ANON="1/m", CITYOS_API_RATE_PORTAL="2/m")
def test_claiming_to_be_the_portal_only_moves_a_script_to_another_bounded_bucket():
    script = Client(REMOTE_ADDR=LIBRARY)
    assert script.get(URL).status_code == 200
    assert script.get(URL).status_code == 429
    script.cookies["csrftoken"] = CSRF_SECRET
    assert [script.get(URL, headers=PORTAL).status_code for _ in range(3)] == [200, 200, 429]
    # Neither a cross-site request nor one without the site's cookie is the portal's.
    assert script.get(URL, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 429
    fresh = Client(REMOTE_ADDR="198.51.100.7")
    fresh.cookies["csrftoken"] = "not-a-csrf-secret"
    assert fresh.get(URL, headers=PORTAL)["X-RateLimit-Limit"] == "1"


@override_settings(CITYOS_API_RATE_ANON="1/m")
def test_a_429_carries_retry_after_and_rate_limit_headers_in_traditional_chinese():
    client = Client(REMOTE_ADDR=LIBRARY, headers={"Accept-Language": "zh-Hant"})
    assert client.get(URL).status_code == 200
    refused = client.get(URL)
    body = assert_problem(refused, 429)
    assert body["type"] == "urn:cityos:problem:rate-limited"
    assert body["detail"] == "此用戶端傳送了過多請求。請稍候再試。"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Limit"] == "1" and refused["X-RateLimit-Remaining"] == "0"
