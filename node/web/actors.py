"""Actor documents and their collections (outbox, followers, following), content-negotiated."""

from aiohttp import web

from protocol.collections import build_collection, build_collection_page

from ..accounts import ActorRow, get_actor, local_actor_document
from ..appkeys import CONFIG, DB, URLS
from ..follows import count_follows, list_follows
from ..listing import authored
from ..negotiation import activity_json, activity_json_text, json_error, wants_activity_json
from ..outbox import count_public, outbox_page, page_text
from ..urls import INSTANCE_ACTOR_USERNAME
from .language import reader, render

PAGE_SIZE = 20


async def _actor_or_404(request: web.Request) -> ActorRow:
    """The actor named in the path; `/actor/...` routes (no name) are the instance actor's."""
    username = request.match_info.get("username")
    if username is None:
        actor = await get_actor(request.app[DB], INSTANCE_ACTOR_USERNAME)
    else:
        actor = await get_actor(request.app[DB], username)
    if actor is None or (username is not None and actor.username == INSTANCE_ACTOR_USERNAME):
        raise web.HTTPNotFound(text='{"error": "no such actor"}', content_type="application/json")
    return actor


async def get_actor_page(request: web.Request) -> web.StreamResponse:
    """`/users/{name}`: the actor document for ActivityPub clients, the profile page for browsers."""
    actor = await _actor_or_404(request)
    urls, config, db = request.app[URLS], request.app[CONFIG], request.app[DB]
    if wants_activity_json(request):
        return activity_json(local_actor_document(actor, urls))
    iri = urls.actor(actor.username)
    who = reader(request)
    objects = await authored(db, actor_id=actor.id, everyone=actor.type == "Group", local_node=config.domain,
                             choose=who.content_lang)  # in the reader's language, one query per list
    return render(
        request, "actor.html",
        {"actor": actor, "iri": iri, "handle": f"@{actor.username}@{config.domain}", "objects": objects,
         "followers": await count_follows(db, followee_iri=iri), "alternate": iri,
         "network_iri": urls.actor(config.network)},
        who=who,
    )


async def get_instance_actor(request: web.Request) -> web.Response:
    """The FEP-2677 application actor: always JSON, fetchable without a signature."""
    actor = await get_actor(request.app[DB], INSTANCE_ACTOR_USERNAME)
    if actor is None:
        return json_error(404, "no instance actor")
    return activity_json(local_actor_document(actor, request.app[URLS]))


def int_param(request: web.Request, name: str) -> int | None:
    value = request.query.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise web.HTTPBadRequest(
            text=f'{{"error": "{name} must be a positive integer"}}', content_type="application/json"
        )
    return int(value)


async def get_outbox(request: web.Request) -> web.Response:
    """The outbox (ActivityPub 5.1): public posts, newest first, 20 per page; the network's lists the
    Creates of our items (node/outbox.py says why)."""
    actor = await _actor_or_404(request)
    urls, db = request.app[URLS], request.app[DB]
    iri = f"{urls.actor(actor.username)}/outbox"
    network = actor.username == request.app[CONFIG].network
    if "page" not in request.query:
        total = await count_public(db, actor.id, network=network)
        return activity_json(build_collection(iri=iri, total=total, first=f"{iri}?page=true"))
    max_id = int_param(request, "max_id")
    items = await outbox_page(db, actor.id, before_id=max_id, limit=PAGE_SIZE, network=network)
    page_iri = f"{iri}?page=true" + (f"&max_id={max_id}" if max_id is not None else "")
    next_iri = f"{iri}?page=true&max_id={items[-1][0]}" if len(items) == PAGE_SIZE else None
    page = build_collection_page(iri=page_iri, part_of=iri, items=[], next_iri=next_iri, prev_iri=None)
    return activity_json_text(page_text(page, [text for _, text in items]))  # the stored texts, spliced in


async def _follow_collection(request: web.Request, which: str) -> web.Response:
    actor = await _actor_or_404(request)
    urls, db = request.app[URLS], request.app[DB]
    actor_iri = urls.actor(actor.username)
    iri = f"{actor_iri}/{which}"
    side = {"followee_iri": actor_iri} if which == "followers" else {"follower_iri": actor_iri}
    if "page" not in request.query:
        total = await count_follows(db, **side)
        return activity_json(build_collection(iri=iri, total=total, first=f"{iri}?page=true"))
    after = int_param(request, "after") or 0
    rows = await list_follows(db, after_id=after, limit=PAGE_SIZE, **side)
    page_iri = f"{iri}?page=true" + (f"&after={after}" if after else "")
    next_iri = f"{iri}?page=true&after={rows[-1][0]}" if len(rows) == PAGE_SIZE else None
    return activity_json(
        build_collection_page(iri=page_iri, part_of=iri, items=[other for _, other in rows], next_iri=next_iri,
                              prev_iri=None)
    )


async def get_followers(request: web.Request) -> web.Response:
    return await _follow_collection(request, "followers")


async def get_following(request: web.Request) -> web.Response:
    return await _follow_collection(request, "following")
