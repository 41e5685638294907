"""`POST /inbox` (shared) and `POST /users/{name}/inbox` (personal): see node/inbox.py for the rules."""

from aiohttp import web

from ..accounts import get_actor
from ..appkeys import DB, FETCHER, INBOX_WORKER, URLS
from ..inbox import MAX_BODY_BYTES, InboxRejection, check_media_type, receive
from ..negotiation import json_error


async def _read_body(request: web.Request) -> bytes:
    """The body, refused past MAX_BODY_BYTES: by its Content-Length before reading, else while reading
    (aiohttp stops at the app's `client_max_size`, a little above) or once read."""
    too_large = InboxRejection(413, f"body larger than {MAX_BODY_BYTES} bytes")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    try:
        body = await request.read()  # one call: iterating over chunks cost 5 % of a busy inbox
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    return body


async def _post(request: web.Request, recipient_actor_id: int | None) -> web.Response:
    try:
        check_media_type(request.headers.get("Content-Type", ""))
        body = await _read_body(request)
        received = await receive(
            db=request.app[DB], fetcher=request.app[FETCHER], method=request.method, path=request.raw_path,
            headers=request.headers, body=body, recipient_actor_id=recipient_actor_id,
            urls=request.app[URLS],
        )
    except InboxRejection as exc:
        return json_error(exc.status, exc.reason)
    if received.queued:
        request.app[INBOX_WORKER].wakeup.set()
    return web.Response(status=202)


async def post_shared_inbox(request: web.Request) -> web.Response:
    return await _post(request, None)


async def post_inbox(request: web.Request) -> web.Response:
    actor = await get_actor(request.app[DB], request.match_info["username"])
    if actor is None:
        return json_error(404, "no such actor")
    return await _post(request, actor.id)
