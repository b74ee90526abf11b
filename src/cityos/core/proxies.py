"""The client's address, also behind the city's reverse proxies.

X-Forwarded-For is read only when the socket's peer is one of ``CITYOS_TRUSTED_PROXIES``
(CIDRs; none by default). Each proxy appends the address it was called from, so the list is
read from the right: trusted proxies are skipped and the first address that is not one of them
is the client. Entries further left were written by the client itself and could be anything,
e.g. a forged address to escape a rate limit, so they are never read past that point.

The older ``CITYOS_TRUST_X_FORWARDED_FOR`` (deprecated) trusts the peer whatever it is, one hop:
the last entry, as before. Audit ("from where"), the rate limits and django-axes' sign-in
lockouts (``AXES_CLIENT_IP_CALLABLE``) all ask :func:`client_address`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# An IPv6 client gets a whole /64 from its provider and may change addresses within it at will:
# rate limits count the /64 as one client, as an IPv4 address is one.
IPV6_RATE_PREFIX = 64


def client_address(request: HttpRequest) -> str | None:
    """The client's address as text (IPv4-mapped IPv6 as IPv4), or the raw REMOTE_ADDR when it
    is no address (a test client's, a Unix socket's), or None without one."""
    raw_peer = request.META.get("REMOTE_ADDR") or ""
    peer = parse_address(raw_peer)
    if peer is None:
        return raw_peer or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    networks = trusted_networks(tuple(getattr(settings, "CITYOS_TRUSTED_PROXIES", ())))
    if not networks:
        if getattr(settings, "CITYOS_TRUST_X_FORWARDED_FOR", False):
            last = parse_address(forwarded.rsplit(",", 1)[-1])
            return str(last or peer)
        return str(peer)
    if not _is_trusted(peer, networks):
        return str(peer)
    closest = peer
    for entry in reversed(forwarded.split(",")):
        if not entry.strip():
            continue
        hop = parse_address(entry)
        if hop is None:
            # A trusted proxy passed on something that is no address: nothing to its left can be
            # believed, so the last proxy seen stands for the client.
            break
        if not _is_trusted(hop, networks):
            return str(hop)
        closest = hop
    # Every hop was a trusted proxy (a client inside the city's own network): the farthest one.
    return str(closest)


def rate_limit_address(request: HttpRequest) -> str:
    """The client's address as rate limits count it: an IPv6 address's /64, else the address."""
    address = client_address(request)
    parsed = parse_address(address or "")
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_RATE_PREFIX), strict=False))
    return address or "unknown"


def parse_address(text: str) -> Address | None:
    """``text`` as an address, also as a proxy may write it: ``[2001:db8::1]:443``,
    ``203.0.113.5:51234``; None when it is none (``unknown``, an obfuscated id, garbage)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def trusted_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    """``CITYOS_TRUSTED_PROXIES`` parsed (cached: settings change only in tests)."""
    networks: list[Network] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(f"CITYOS_TRUSTED_PROXIES: {cidr!r} is not an address or CIDR") from error
    return tuple(networks)


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)
