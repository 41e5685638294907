"""Middlewares: security headers on every response, and JSON errors instead of tracebacks (a full disk:
503 with Retry-After, not 500)."""

import errno
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from .appkeys import CONFIG
from .diskspace import RETRY_AFTER_SECONDS, disk_full_cause

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Images from this node only: other servers' are served from its cache (node/page_images.py), so no
# reader's browser tells another server it read a page.
CSP = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _add_security_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every response, errors included, carries nosniff and a referrer policy; HTML gets a strict CSP."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _add_security_headers(exc)
        raise
    _add_security_headers(response)
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unexpected errors become a logged 500 with a short JSON body; HTTP errors pass through."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            # aiohttp's static files handler asked for a name longer than the file system allows.
            raise web.HTTPNotFound(text="Not found") from None
        full = disk_full_cause(exc, request.app[CONFIG].data_dir)
        if full is not None:  # the inbox's senders retry later; /readyz says not ready meanwhile
            log.error("disk full on %s %s: %s", request.method, request.path, full)
            return web.json_response({"error": "disk full"}, status=503,
                                     headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)
