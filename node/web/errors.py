"""Error pages for people: a browser that meets a 400, 403, 404, 405, 410, 413, 429 or 5xx gets a page
in its reader's language (templates/error.html) with the same status and headers (`Allow`, `Retry-After`);
ActivityPub and JSON clients keep the JSON (or plain) errors the handlers give. Only errors that are not
already a page are replaced: a form re-rendered with its 400, or a deleted item's 410 page, pass as they
are. The page shows no detail of the error: the traceback of a 500 is in the log (node/middleware.py)."""

import logging

import aiohttp_jinja2
from aiohttp import web

from ..middleware import Handler
from .language import VARY, reader, ui_context

log = logging.getLogger(__name__)
PAGES = frozenset({400, 401, 403, 404, 405, 410, 413, 429})
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Set-Cookie")
_HTML = ("text/html", "application/xhtml+xml")


def prefers_html(request: web.Request) -> bool:
    """True when Accept names HTML with a weight at least that of every other type it names (a browser);
    `*/*` alone (curl) or a JSON or AS2 type first (programs) keep the machine-readable error."""
    best_html, best_other = 0.0, 0.0
    for part in request.headers.get("Accept", "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        media, q = pieces[0].lower(), 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in _HTML:
            best_html = max(best_html, q)
        elif media and media != "*/*" and not media.endswith("/*"):
            best_other = max(best_other, q)
    return best_html > 0 and best_html >= best_other


def _wants_page(request: web.Request, response: web.StreamResponse) -> bool:
    status = response.status
    if status < 400 or (status not in PAGES and status < 500) or response.prepared:
        return False
    return response.content_type != "text/html" and prefers_html(request)


def error_page(request: web.Request, status: int, original: web.StreamResponse | None = None) -> web.Response:
    """The error page for `status`, in the reader's language; a failure here gives a plain-text page."""
    try:
        who = reader(request)
        context = {**ui_context(request, who), "status": status, "kind": status if status in PAGES else 500,
                   "path": request.path}
        text = aiohttp_jinja2.render_string("error.html", request, context)
        response = web.Response(text=text, status=status, content_type="text/html")
    except Exception:  # the error page must not fail: never a traceback, never a second 500 page
        log.exception("error page for %s failed", status)
        response = web.Response(text=f"Error {status}", status=status)
    response.headers["Vary"] = VARY
    response.headers["Cache-Control"] = "no-store"
    if original is not None:
        for name in KEPT_HEADERS:
            for value in original.headers.getall(name, []):
                response.headers.add(name, value)
    return response


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Between the security headers (so the page gets the CSP) and the JSON 500 of error_middleware."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if not _wants_page(request, exc):
            raise
        return error_page(request, exc.status, exc)
    if _wants_page(request, response):
        return error_page(request, response.status, response)
    return response
