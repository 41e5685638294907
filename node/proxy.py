"""Behind a reverse proxy: the client's address and scheme come from `X-Forwarded-For` and
`X-Forwarded-Proto`, but only when the TCP peer is one of `trusted_proxies`; anyone else could forge
them. The Host header is never replaced: HTTP Signatures cover it, and the node builds its IRIs from
`base_url`, so the proxy must pass the original Host through unchanged."""

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def _is_trusted(address: str | None, networks: tuple[Network, ...]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in networks)


def forwarded_client(
    remote: str | None, forwarded_for: str | None, forwarded_proto: str | None, networks: tuple[Network, ...]
) -> tuple[str | None, str | None]:
    """(client address, scheme) for a request from `remote`, or (None, None) to keep the socket's.
    X-Forwarded-For is read right to left, skipping trusted proxies: the first untrusted address is
    the client (the left part is whatever the client chose to send)."""
    if not networks or not _is_trusted(remote, networks):
        return None, None
    client = None
    if forwarded_for:
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            client = hop
            if not _is_trusted(hop, networks):
                break
    scheme = None
    if forwarded_proto:
        proto = forwarded_proto.split(",")[-1].strip().lower()
        scheme = proto if proto in ("http", "https") else None
    return client, scheme


def forwarded_middleware(trusted_proxies: Iterable[str]) -> Middleware:
    """A middleware that sets `request.remote` and `request.scheme` from a trusted proxy's headers."""
    networks = parse_networks(trusted_proxies)

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        client, scheme = forwarded_client(
            request.remote, request.headers.get("X-Forwarded-For"), request.headers.get("X-Forwarded-Proto"), networks
        )
        if client is None and scheme is None:
            return await handler(request)
        if client is not None and scheme is not None:
            return await handler(request.clone(remote=client, scheme=scheme))
        if client is not None:
            return await handler(request.clone(remote=client))
        assert scheme is not None
        return await handler(request.clone(scheme=scheme))

    return forwarded
