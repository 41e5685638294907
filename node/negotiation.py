"""Content negotiation: one IRI per thing, HTML for browsers, AS2 JSON for ActivityPub clients."""

from typing import Any

from aiohttp import web

from protocol.jsonld import dumps_document

AS2_MEDIA_TYPE = "application/activity+json"
_AS2_TYPES = ("application/activity+json", "application/ld+json")


def wants_activity_json(request: web.Request) -> bool:
    """True when the Accept header prefers AS2 (`application/activity+json`, or `application/ld+json`
    with or without the ActivityStreams profile) over HTML, weighing `q` values."""
    best_as2, best_html = -1.0, -1.0
    for part in request.headers.get("Accept", "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        q = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in _AS2_TYPES:
            best_as2 = max(best_as2, q)
        elif media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, q)
    return best_as2 > 0 and best_as2 >= best_html


def activity_json(document: dict[str, Any], status: int = 200, cache_seconds: int = 60) -> web.Response:
    """An AS2 response; `Vary: Accept` because the same IRI also serves HTML."""
    return activity_json_text(dumps_document(document), status, cache_seconds)


def activity_json_text(text: str, status: int = 200, cache_seconds: int = 60) -> web.Response:
    """`activity_json` for a document already serialised (a stored activity, a page spliced from them)."""
    return web.Response(text=text, status=status, content_type=AS2_MEDIA_TYPE,
                        headers={"Vary": "Accept", "Cache-Control": f"public, max-age={cache_seconds}"})


def json_error(status: int, reason: str) -> web.Response:
    """The error body every API refusal uses: `{"error": reason}`."""
    return web.json_response({"error": reason}, status=status)
