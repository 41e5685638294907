"""`GET /peers`: the peer directory, as JSON for programs and as a page for people."""

from aiohttp import web

from ..appkeys import DB, URLS
from ..negotiation import wants_activity_json
from ..peers import directory
from .language import reader, render


def _wants_json(request: web.Request) -> bool:
    """JSON for `application/json` (or AS2 types) unless HTML is asked for too; browsers send text/html."""
    accept = request.headers.get("Accept", "")
    return wants_activity_json(request) or ("application/json" in accept and "text/html" not in accept)


async def get_peers(request: web.Request) -> web.Response:
    peers = await directory(request.app[DB], request.app[URLS].base)
    if _wants_json(request):
        return web.json_response(peers, headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*"})
    return render(request, "peers.html", {"peers": peers}, who=reader(request))
