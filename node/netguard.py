"""Server-side request forgery guard: remote fetches and deliveries never reach private networks.

The check sits in the DNS resolver used by every outgoing connection, so it applies after
resolution and on every redirect, and a name cannot resolve to a public address for the check
and a private one for the connection (DNS rebinding).
"""

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class BlockedAddressError(OSError):
    """The host resolves only to addresses this node refuses to contact."""


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses, v4 and v6
    (including IPv4-mapped and 6to4/NAT64 forms of private IPv4 addresses)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(str(ip.ipv4_mapped))
        if ip.sixtofour is not None:
            return is_public_address(str(ip.sixtofour))
        if ip in ipaddress.ip_network("64:ff9b::/96"):
            return is_public_address(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip.is_site_local:  # fec0::/10: deprecated, yet still routed inside some networks
            return False
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


class GuardedResolver(AbstractResolver):
    """Wraps a resolver and drops every non-public address; raises if none is left. `is_allowed` decides
    what is public: tests let one loopback test server through it, to show that the others are not."""

    def __init__(self, inner: AbstractResolver | None = None, *,
                 is_allowed: Callable[[str], bool] = is_public_address) -> None:
        self._inner = inner or DefaultResolver()
        self._is_allowed = is_allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if self._is_allowed(r["host"])]
        if not allowed:
            raise BlockedAddressError(f"{host} resolves only to private or reserved addresses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def blocked_cause(exc: BaseException) -> BlockedAddressError | None:
    """The guard's refusal behind a connection error (aiohttp wraps what the resolver raised), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BlockedAddressError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def connector_kwargs(allow_private: bool) -> dict[str, Any]:
    """Arguments for `aiohttp.TCPConnector`: the guarded resolver unless private networks are allowed."""
    return {} if allow_private else {"resolver": GuardedResolver()}


def check_url(url: str, allow_private: bool) -> None:
    """Refuse a URL whose host is a non-public IP literal: aiohttp skips the resolver for IP literals,
    so the resolver alone would not catch `http://127.0.0.1/`."""
    if allow_private:
        return
    host = (urlsplit(url).hostname or "").strip("[]")
    if not host:
        raise BlockedAddressError(f"URL has no host: {url[:200]}")
    if host == "localhost" or host.endswith(".localhost"):
        raise BlockedAddressError(f"{host} is a loopback name")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return
    if not is_public_address(host):
        raise BlockedAddressError(f"{host} is not a public address")
