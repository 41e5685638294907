"""Our organizers' replies (`/notes/{token}`, dereferenceable as ActivityPub asks) and an item's `likes`
and `shares` collections (a count, as Mastodon publishes them: who liked is not listed)."""

import json

from aiohttp import web

from protocol.jsonld import OUTGOING_CONTEXT

from ..appkeys import DB, URLS
from ..content import find_object
from ..negotiation import activity_json, json_error, wants_activity_json
from ..social import counts
from ..urls import KIND_PATHS

PATH_KINDS = {path: kind for kind, path in KIND_PATHS.items()}


async def get_note(request: web.Request) -> web.StreamResponse:
    """AS2 for servers; a browser goes to the item the reply is under."""
    iri = request.app[URLS].note(request.match_info["token"])
    row = await request.app[DB].fetch_one(
        "SELECT root_iri, document FROM comments WHERE iri = ? AND actor_id IS NOT NULL", (iri,))
    if row is None:
        return json_error(404, "no such note")
    if not wants_activity_json(request):
        raise web.HTTPSeeOther(f"{row['root_iri']}#comments")
    return activity_json({"@context": OUTGOING_CONTEXT, **json.loads(row["document"])})


async def get_reactions(request: web.Request) -> web.Response:
    """`/{kind}/{slug}/likes` and `/shares`."""
    stored = await find_object(request.app[DB], PATH_KINDS[request.match_info["kind"]], request.match_info["slug"])
    if stored is None:
        return json_error(404, "no such object")
    if stored.deleted_at:
        return json_error(410, "deleted")
    which = request.match_info["which"]
    total = (await counts(request.app[DB], stored.iri))[which]
    return activity_json({"@context": OUTGOING_CONTEXT, "id": f"{stored.iri}/{which}", "type": "Collection",
                          "totalItems": total})
