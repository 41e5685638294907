"""Tag pages, our activities (dereferenceable when public) and the health check.
Item pages (practices, journeys, outcomes, programmes) are in node/web/items.py; the home page and
the list pages in node/web/site.py."""

from aiohttp import web

from protocol.hashtags import THEME_KEY_SQL, theme_key

from ..appkeys import CONFIG, DB, SETTINGS, URLS
from ..negotiation import activity_json_text, json_error
from .language import reader, render


async def get_activity(request: web.Request) -> web.Response:
    """Our activities are dereferenceable (ActivityPub 3.1); only public ones are shown."""
    db = request.app[DB]
    iri = request.app[URLS].activity(request.match_info["token"])
    row = await db.fetch_one("SELECT document, public FROM activities WHERE iri = ?", (iri,))
    if row is None or not row["public"]:
        return json_error(404, "no such activity")
    return activity_json_text(row["document"])  # stored as the very text its recipients received


async def get_tag(request: web.Request) -> web.StreamResponse:
    db, config, urls = request.app[DB], request.app[CONFIG], request.app[URLS]
    name = request.match_info["name"].lower()
    rows = await db.fetch_all(  # by key: /tags/food-sovereignty, /tags/FoodSovereignty (what we federate)...
        "SELECT o.iri, t.title, t.summary, g.name FROM object_tags g JOIN objects o ON o.id = g.object_id"
        " JOIN translations t ON t.object_id = o.id AND t.lang = o.default_lang"
        f" WHERE {THEME_KEY_SQL.format('g.name')} = ? AND o.deleted_at IS NULL ORDER BY o.id DESC",
        (theme_key(name),),
    )
    name = rows[0]["name"] if rows else name  # the theme as our items spell it
    return render(request, "tag.html", {"tag": name, "items": rows, "title": request.app[SETTINGS].title,
                                        "network_iri": urls.actor(config.network)}, who=reader(request))


async def get_healthz(request: web.Request) -> web.Response:
    await request.app[DB].fetch_value("SELECT 1")
    return web.json_response({"status": "ok"})
