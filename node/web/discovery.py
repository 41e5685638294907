"""WebFinger, host-meta and NodeInfo: how other servers find this node and its actors."""

import json
from urllib.parse import urlsplit

from aiohttp import web

from protocol.errors import ParseError
from protocol.handles import Handle
from protocol.nodeinfo import NodeStats, build_nodeinfo, build_nodeinfo_links
from protocol.webfinger import build_host_meta, build_jrd, parse_resource

from .. import __version__
from ..appkeys import CONFIG, DB, SETTINGS, URLS
from ..urls import INSTANCE_ACTOR_USERNAME

CORS = {"Access-Control-Allow-Origin": "*"}


async def get_webfinger(request: web.Request) -> web.Response:
    """RFC 7033: `acct:name@host` or an actor URL of ours; 400 when malformed, 404 when unknown."""
    config, urls, db = request.app[CONFIG], request.app[URLS], request.app[DB]
    resources = request.query.getall("resource", [])
    if len(resources) != 1:
        return web.json_response({"error": "exactly one resource parameter is required"}, status=400, headers=CORS)
    try:
        query = parse_resource(resources[0])
    except ParseError as exc:
        return web.json_response({"error": exc.reason}, status=400, headers=CORS)
    username: str | None = None
    if query.handle is not None:
        if query.handle.host != config.domain:
            return web.json_response({"error": f"{query.handle.host} is not this server"}, status=404, headers=CORS)
        username = query.handle.username
    elif query.url is not None:
        parts = urlsplit(query.url)
        path = parts.path
        # Scheme and host compare case-insensitively (RFC 3986 6.2.2.1).
        if f"{parts.scheme.lower()}://{parts.netloc.lower()}" == urls.base:
            if path == "/actor":
                username = INSTANCE_ACTOR_USERNAME
            elif path.startswith("/users/") and "/" not in path[7:]:
                username = path[7:]
    row = await db.fetch_one("SELECT username FROM actors WHERE username = ?", (username,)) if username else None
    if row is None:
        return web.json_response({"error": "no such account here"}, status=404, headers=CORS)
    username = row["username"]
    iri = urls.actor(username)
    jrd = build_jrd(handle=Handle(username, config.domain), actor_iri=iri, profile_url=iri)
    return web.json_response(
        jrd, content_type="application/jrd+json", headers={**CORS, "Cache-Control": "public, max-age=600"}
    )


async def get_host_meta(request: web.Request) -> web.Response:
    return web.Response(
        text=build_host_meta(request.app[URLS].base), content_type="application/xrd+xml", headers=CORS
    )


async def get_nodeinfo_links(request: web.Request) -> web.Response:
    urls = request.app[URLS]
    return web.json_response(build_nodeinfo_links(urls.base, urls.actor(INSTANCE_ACTOR_USERNAME)), headers=CORS)


async def get_nodeinfo(request: web.Request) -> web.Response:
    config, db = request.app[CONFIG], request.app[DB]
    users = int(await db.fetch_value("SELECT count(*) FROM users"))
    posts = int(await db.fetch_value("SELECT count(*) FROM objects WHERE deleted_at IS NULL"))
    doc = build_nodeinfo(
        version=__version__,
        open_registrations=False,
        stats=NodeStats(users_total=users, users_active_month=users, users_active_halfyear=users, local_posts=posts),
        metadata={"nodeName": request.app[SETTINGS].title, "network": f"@{config.network}@{config.domain}",
                  "languages": list(request.app[SETTINGS].languages)},
    )
    profile = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
    # Bytes, not text: aiohttp rewrites a text response's Content-Type and drops the quotes the profile URL needs.
    return web.Response(body=json.dumps(doc).encode(), headers={**CORS, "Content-Type": profile})
