"""Hourly limits of the public forms: an anonymous client by address, a signed-in person or a
token by account, and what a form acts on (a phone number, an email address) across every
address, so that a library's shared address is not locked out and a spread-out script still is."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.test import Client, RequestFactory

from cityos.core.accounts.models import User
from cityos.core.accounts.tests.factories import TEST_PASSWORD, ResidentFactory
from cityos.core.api.tests.conftest import assert_problem
from cityos.core.ratelimit import HOUR, Refusal, contact_target, hourly_refusal, over_hourly_limit, retry_after

LIBRARY = "203.0.113.5"


def request_from(address: str = LIBRARY, user: object | None = None, token: object | None = None) -> Any:
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.user = user or AnonymousUser()
    if token is not None:
        request.api_token = token
    return request


def test_a_form_allows_its_limit_an_hour_from_one_address_then_refuses() -> None:
    request = request_from()
    assert [over_hourly_limit(request, "sign-up", 3) for _ in range(4)] == [False, False, False, True]


def test_other_forms_and_other_addresses_keep_their_own_counts() -> None:
    first, other = request_from(), request_from("198.51.100.7")
    assert not over_hourly_limit(first, "sign-up", 1)
    assert over_hourly_limit(first, "sign-up", 1)
    assert not over_hourly_limit(first, "waste-report", 1)
    assert not over_hourly_limit(other, "sign-up", 1)


def test_a_signed_in_person_is_counted_by_account_not_by_the_shared_address() -> None:
    mei, ana = SimpleNamespace(pk=1, is_authenticated=True), SimpleNamespace(pk=2, is_authenticated=True)
    assert over_hourly_limit(request_from(), "waste-report", 0)  # the address's budget is spent
    assert not over_hourly_limit(request_from(user=mei), "waste-report", 1)
    assert not over_hourly_limit(request_from(user=ana), "waste-report", 1)
    assert over_hourly_limit(request_from("198.51.100.7", user=mei), "waste-report", 1)  # Mei, elsewhere


def test_two_tokens_from_one_address_are_counted_each_on_its_own() -> None:
    first, second = SimpleNamespace(pk=10), SimpleNamespace(pk=11)
    assert not over_hourly_limit(request_from(token=first), "waste-report", 1)
    assert over_hourly_limit(request_from(token=first), "waste-report", 1)
    assert not over_hourly_limit(request_from(token=second), "waste-report", 1)


def test_a_target_is_limited_across_every_address() -> None:
    def attempt(address: str, phone: str) -> Refusal | None:
        return hourly_refusal(request_from(address), "sign-up", 100, targets=[contact_target(phone)], per_target=2)

    assert attempt("198.51.100.1", "+1 415 555 0100") is None
    assert attempt("198.51.100.2", "(415) 555-0100") is None  # the same number, however typed
    assert attempt("198.51.100.3", "415.555.0100") is Refusal.TARGET
    assert attempt("198.51.100.3", "+1 415 555 0199") is None  # another number from that address


def test_a_client_already_refused_does_not_use_up_a_targets_budget() -> None:
    spent = request_from()
    assert hourly_refusal(spent, "sign-up", 0, targets=["phone:+14155550100"], per_target=1) is Refusal.CLIENT
    assert (
        hourly_refusal(request_from("198.51.100.1"), "sign-up", 1, targets=["phone:+14155550100"], per_target=1) is None
    )


def test_targets_are_kept_in_the_cache_only_as_keyed_hashes() -> None:
    hourly_refusal(request_from(), "sign-up", 5, targets=[contact_target("Mei@Example.org")], per_target=1)
    keys = " ".join(str(key) for key in cache._cache)  # type: ignore[attr-defined]  # the local-memory cache
    assert "cityos:sign-up:target:" in keys and "mei@example.org" not in keys.lower()


def test_counts_are_per_clock_hour_and_retry_after_is_the_rest_of_it(monkeypatch) -> None:
    assert retry_after(now=5 * HOUR + 600) == HOUR - 600
    monkeypatch.setattr("cityos.core.ratelimit.time.time", lambda: 5 * HOUR + 3590.0)
    assert not over_hourly_limit(request_from(), "sign-up", 1)
    assert over_hourly_limit(request_from(), "sign-up", 1)
    monkeypatch.setattr("cityos.core.ratelimit.time.time", lambda: 6 * HOUR + 1.0)
    assert not over_hourly_limit(request_from(), "sign-up", 1)


# --- Sign-up: the web form and the API share one count -------------------------------------

SIGN_UP_API = "/api/v1/accounts/sign-up"


def sign_up_page(client: Client, **fields: str) -> Any:
    data = {"first_name": "Mei", "email": "", "phone": "", "language": "en", "password": TEST_PASSWORD, **fields}
    return client.post("/accounts/sign-up/", data, headers={"Accept-Language": fields.get("language", "en")})


@pytest.mark.django_db
def test_a_library_signs_up_more_residents_than_the_old_ten_from_one_address(settings) -> None:
    settings.CITYOS_SIGNUP_LIMIT_PER_HOUR = 60
    library = Client(REMOTE_ADDR=LIBRARY)
    for number in range(25):
        assert sign_up_page(library, email=f"reader{number}@example.org").status_code == 302
        library.logout()
    assert User.objects.filter(email__startswith="reader").count() == 25


@pytest.mark.django_db
def test_one_phone_number_is_tried_only_a_few_times_an_hour_from_anywhere(settings) -> None:
    settings.CITYOS_SIGNUP_LIMIT_PER_CONTACT_PER_HOUR = 2
    ResidentFactory(phone="+14155550100")  # taken: each try is refused, and counted
    tries = [
        sign_up_page(Client(REMOTE_ADDR=f"198.51.100.{n}"), phone=spelling)
        for n, spelling in enumerate(["+1 415 555 0100", "(415) 555-0100", "415.555.0100"], start=1)
    ]
    assert [t.status_code for t in tries] == [200, 200, 429]
    assert "Too many sign-ups were tried with this email address or phone number" in tries[2].content.decode()
    assert 0 < int(tries[2]["Retry-After"]) <= HOUR
    # The API counts with the page: the same number is refused there too, as a problem.
    api = Client(REMOTE_ADDR="198.51.100.9").post(
        SIGN_UP_API, {"phone": "+14155550100", "password": TEST_PASSWORD}, content_type="application/json"
    )
    assert_problem(api, 429)
    assert api["Retry-After"]


@pytest.mark.django_db
def test_a_refused_sign_up_is_a_429_with_retry_after_in_traditional_chinese(settings) -> None:
    settings.CITYOS_SIGNUP_LIMIT_PER_HOUR = 1
    library = Client(REMOTE_ADDR=LIBRARY)
    assert sign_up_page(library, email="first@example.org", language="zh-hant").status_code == 302
    library.logout()
    refused = sign_up_page(library, email="second@example.org", language="zh-hant")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= HOUR
    assert "從這個連線建立的帳號太多了。請一小時後再試。" in refused.content.decode()
    assert not User.objects.filter(email="second@example.org").exists()
    api = Client(REMOTE_ADDR=LIBRARY).post(
        SIGN_UP_API,
        {"email": "third@example.org", "password": TEST_PASSWORD},
        content_type="application/json",
        headers={"Accept-Language": "zh-Hant"},
    )
    assert assert_problem(api, 429)["detail"] == "此用戶端傳送了過多請求。請稍候再試。"
    assert 0 < int(api["Retry-After"]) <= HOUR
