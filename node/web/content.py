"""Content pages and documents: practice write-ups, journeys, outcomes, our activities, tags, home."""

import json

import aiohttp_jinja2
from aiohttp import web

from protocol.objects import build_object

from ..appkeys import CONFIG, DB, URLS
from ..content import find_object, latest_objects, load_publication
from ..negotiation import activity_json, html_page, json_error, wants_activity_json
from ..urls import KIND_PATHS

PATH_KINDS = {path: kind for kind, path in KIND_PATHS.items()}


async def get_object(request: web.Request) -> web.StreamResponse:
    """`/practices/{slug}` and siblings: AS2 for ActivityPub clients, the page for browsers.
    A deleted object answers 410 with a Tombstone, as Mastodon expects."""
    kind = PATH_KINDS[request.match_info["kind"]]
    db, urls, config = request.app[DB], request.app[URLS], request.app[CONFIG]
    stored = await find_object(db, kind, request.match_info["slug"])
    if stored is None:
        if wants_activity_json(request):
            return json_error(404, "no such object")
        raise web.HTTPNotFound(text="Not found")
    if stored.deleted_at:
        return activity_json({"id": stored.iri, "type": "Tombstone", "deleted": stored.deleted_at}, status=410)
    publication = await load_publication(db, urls, stored, config.network)
    if wants_activity_json(request):
        return activity_json(build_object(publication))
    lang = request.query.get("lang")
    comments = await db.fetch_all(
        "SELECT iri, attributed_to, document, received_at FROM remote_objects WHERE in_reply_to = ?"
        " AND deleted_at IS NULL ORDER BY id",
        (stored.iri,),
    )
    return html_page(
        "object.html", request,
        {"pub": publication, "text": publication.translation(lang), "stored": stored, "alternate": stored.iri,
         "author_iri": urls.actor(stored.author),
         "comments": [{"author": c["attributed_to"], "doc": json.loads(c["document"])} for c in comments]},
    )


async def get_activity(request: web.Request) -> web.Response:
    """Our activities are dereferenceable (ActivityPub 3.1); only public ones are shown."""
    db = request.app[DB]
    iri = request.app[URLS].activity(request.match_info["token"])
    row = await db.fetch_one("SELECT document, public FROM activities WHERE iri = ?", (iri,))
    if row is None or not row["public"]:
        return json_error(404, "no such activity")
    return activity_json(json.loads(row["document"]))


async def get_home(request: web.Request) -> web.StreamResponse:
    config, db, urls = request.app[CONFIG], request.app[DB], request.app[URLS]
    items = []
    for stored in await latest_objects(db, 20):
        pub = await load_publication(db, urls, stored, config.network)
        items.append({"iri": stored.iri, "kind": stored.kind, "text": pub.translation(), "published": pub.published})
    return aiohttp_jinja2.render_template(
        "home.html", request,
        {"items": items, "network_iri": urls.actor(config.network), "handle": f"@{config.network}@{config.domain}",
         "alternate": urls.actor(config.network)},
    )


async def get_tag(request: web.Request) -> web.StreamResponse:
    db, config, urls = request.app[DB], request.app[CONFIG], request.app[URLS]
    name = request.match_info["name"].lower()
    rows = await db.fetch_all(
        "SELECT o.iri, t.title, t.summary FROM object_tags g JOIN objects o ON o.id = g.object_id JOIN translations t"
        " ON t.object_id = o.id AND t.lang = o.default_lang WHERE g.name = ? AND o.deleted_at IS NULL"
        " ORDER BY o.id DESC",
        (name,),
    )
    return aiohttp_jinja2.render_template("tag.html", request, {"tag": name, "items": rows, "title": config.title,
                                                                 "network_iri": urls.actor(config.network)})


async def get_healthz(request: web.Request) -> web.Response:
    await request.app[DB].fetch_value("SELECT 1")
    return web.json_response({"status": "ok"})
