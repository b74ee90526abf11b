"""The client's address: the socket's, unless it is one of the city's trusted proxies; then the
rightmost X-Forwarded-For address that is not a trusted proxy. Never the header by default."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from cityos.core.proxies import client_address, rate_limit_address

PROXIES = ["10.0.0.0/8", "2001:db8:f::/48"]


def request_from(peer: str, forwarded: str | None = None) -> Any:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


def test_by_default_the_forwarded_header_is_never_read(settings):
    assert settings.CITYOS_TRUSTED_PROXIES == []
    assert client_address(request_from("10.0.0.2", "198.51.100.7")) == "10.0.0.2"


def test_the_header_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(settings):
    settings.CITYOS_TRUSTED_PROXIES = PROXIES
    # A client talking to the app directly cannot name another address for itself.
    assert client_address(request_from("203.0.113.5", "198.51.100.7")) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_address_it_appended_is_the_client(settings):
    settings.CITYOS_TRUSTED_PROXIES = PROXIES
    assert client_address(request_from("10.0.0.2", "198.51.100.7")) == "198.51.100.7"


def test_the_rightmost_address_that_is_not_a_trusted_proxy_is_the_client(settings):
    settings.CITYOS_TRUSTED_PROXIES = PROXIES
    # The client forged "1.1.1.1"; the load balancer (10.1.2.3) appended the real client, and the
    # inner proxy (10.0.0.2, the peer) appended the load balancer.
    forwarded = "1.1.1.1, 198.51.100.7, 10.1.2.3"
    assert client_address(request_from("10.0.0.2", forwarded)) == "198.51.100.7"


def test_garbage_from_a_proxy_stops_the_walk_at_the_last_proxy_seen(settings):
    settings.CITYOS_TRUSTED_PROXIES = PROXIES
    assert client_address(request_from("10.0.0.2", "198.51.100.7, unknown, 10.1.2.3")) == "10.1.2.3"


def test_a_client_inside_the_trusted_network_is_the_farthest_hop(settings):
    settings.CITYOS_TRUSTED_PROXIES = PROXIES
    assert client_address(request_from("10.0.0.2", "10.9.9.9, 10.1.2.3")) == "10.9.9.9"
    assert client_address(request_from("10.0.0.2")) == "10.0.0.2"


def test_ports_brackets_and_mapped_ipv4_are_read_as_the_address(settings):
    settings.CITYOS_TRUSTED_PROXIES = PROXIES
    assert client_address(request_from("10.0.0.2", "198.51.100.7:51234")) == "198.51.100.7"
    assert client_address(request_from("10.0.0.2", "[2001:db8:1::5]:443")) == "2001:db8:1::5"
    assert client_address(request_from("::ffff:10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    assert client_address(request_from("2001:db8:f::1", "198.51.100.7")) == "198.51.100.7"


def test_the_deprecated_switch_still_trusts_one_hop(settings):
    settings.CITYOS_TRUST_X_FORWARDED_FOR = True
    assert client_address(request_from("10.0.0.2", "1.1.1.1, 198.51.100.7")) == "198.51.100.7"


def test_a_proxy_setting_that_is_no_network_is_refused(settings):
    settings.CITYOS_TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.internal"]
    with pytest.raises(ImproperlyConfigured, match=r"proxy\.internal"):
        client_address(request_from("10.0.0.2", "198.51.100.7"))


def test_rate_limits_count_an_ipv6_clients_whole_slash_64_as_one():
    first = rate_limit_address(request_from("2001:db8:1:2::5"))
    other_address_same_home = rate_limit_address(request_from("2001:db8:1:2:ffff::9"))
    neighbour = rate_limit_address(request_from("2001:db8:1:3::5"))
    assert first == other_address_same_home == "2001:db8:1:2::/64" != neighbour
    assert rate_limit_address(request_from("203.0.113.5")) == "203.0.113.5"
