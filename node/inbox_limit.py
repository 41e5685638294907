"""Per-domain inbox rate limit: each sending server may deliver `inbox_rate_per_minute` activities a
minute (a minute's worth in a burst); past that, `429 Too Many Requests` with `Retry-After`, which every
fediverse server honours by retrying later (nothing is lost).

The domain is the one named by the signature's keyId. Only activities the inbox accepted (202, so the
signature verified) are counted: a forger naming someone else's keyId cannot spend that server's
allowance. Refusals are cheap and bounded (size, nesting, the cost bound of JSON-LD compaction)."""

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from protocol.iri import iri_host

from .negotiation import json_error
from .ratelimit import RateLimiter, retry_after_header

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
# keyId="..." (draft-cavage, in Signature or Authorization) and keyid="..." (RFC 9421 Signature-Input).
_KEY_ID = re.compile(r'keyid\s*=\s*"([^"]{1,2048})"', re.IGNORECASE)


def claimed_domain(request: web.Request) -> str:
    """The host of the keyId the request claims to be signed with ("" when there is none)."""
    for name in ("Signature", "Signature-Input", "Authorization"):
        match = _KEY_ID.search(request.headers.get(name, "")[:8192])
        if match:
            return iri_host(match.group(1))
    return ""


def inbox_rate_limit(per_minute: int, limiter: RateLimiter | None = None) -> Middleware:
    """A middleware limiting POSTs to inboxes per sending domain; `per_minute` 0 turns it off."""
    buckets = limiter or (RateLimiter(per_minute, 60.0) if per_minute > 0 else None)

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        if buckets is None or request.method != "POST" or not request.path.endswith("/inbox"):
            return await handler(request)
        domain = claimed_domain(request)
        if not domain:
            return await handler(request)
        wait = buckets.wait(domain)
        if wait > 0:
            response = json_error(429, f"too many activities from {domain}: retry later")
            response.headers["Retry-After"] = retry_after_header(wait)
            return response
        response = await handler(request)
        if response.status == 202:
            buckets.spend(domain)
        return response

    return limit
