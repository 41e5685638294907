"""`POST /inbox` (shared) and `POST /users/{name}/inbox` (personal): see node/inbox.py for the rules and
node/inbox_limit.py for what a POST may cost before its signature is proven."""

from aiohttp import web

from ..accounts import get_actor
from ..appkeys import DB, FETCHER, INBOX_WORKER, INTAKE, URLS
from ..inbox import Claim, InboxRejection, check_media_type, receive, screen
from ..inbox_limit import Sender, Slot
from ..negotiation import json_error
from ..ratelimit import retry_after_header


async def _post(request: web.Request, recipient_actor_id: int | None) -> web.Response:
    intake, sender = request.app[INTAKE], Sender.of(request)
    claim: Claim | None = None
    slot: Slot | None = None
    try:
        intake.admit(sender)
    except InboxRejection as exc:  # not counted again: the sender is already past its allowance
        return _refusal(request, exc)
    try:
        check_media_type(request.headers.get("Content-Type", ""))
        intake.check_length(request)
        claim = await screen(request.app[DB], method=request.method, path=request.raw_path,
                             headers=request.headers, urls=request.app[URLS])
        slot = intake.hold(sender.address)
        claim.on_verified = slot.release  # the request no longer counts as unverified
        body = await intake.read(request, slot)
        received = await receive(
            db=request.app[DB], fetcher=request.app[FETCHER], claim=claim, body=body,
            recipient_actor_id=recipient_actor_id, urls=request.app[URLS],
        )
    except InboxRejection as exc:
        intake.count(sender, proven=claim is not None and claim.verified)
        return _refusal(request, exc)
    finally:
        if slot is not None:
            slot.release()
    intake.count(sender, proven=True)
    if received.queued:
        request.app[INBOX_WORKER].wakeup.set()
    return web.Response(status=202)


def _refusal(request: web.Request, exc: InboxRejection) -> web.Response:
    """The JSON error; the connection is closed when the body was not read (aiohttp drops what is left of
    it for a moment, so that the sender reads the answer, then closes)."""
    response = json_error(exc.status, exc.reason)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = retry_after_header(exc.retry_after)
    if not request.content.at_eof():
        response.force_close()
    return response


async def post_shared_inbox(request: web.Request) -> web.Response:
    return await _post(request, None)


async def post_inbox(request: web.Request) -> web.Response:
    actor = await get_actor(request.app[DB], request.match_info["username"])
    if actor is None:
        return json_error(404, "no such actor")
    return await _post(request, actor.id)
