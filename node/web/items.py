"""Item IRIs and what hangs off them: practice write-ups, journeys and outcomes (AS2 or their page),
a journey's RSVP Question, an item's replies collection, and programmes (cycles of journeys)."""

import json

from aiohttp import web

from protocol.collections import build_collection, build_collection_page
from protocol.jsonld import AS_CONTEXT_IRI, OUTGOING_CONTEXT
from protocol.langmap import parse_lang_map, pick
from protocol.objects import build_object

from ..appkeys import CONFIG, DB, URLS
from ..comments import count_replies, reply_page
from ..content import AS_TYPES, StoredObject, find_object, load_publication
from ..negotiation import activity_json, json_error, wants_activity_json
from ..polls import build_question_for
from ..urls import KIND_PATHS
from .actors import PAGE_SIZE, int_param
from .language import reader, render
from .pages import item_context, programme_items, programme_name

PATH_KINDS = {path: kind for kind, path in KIND_PATHS.items()}


def _tombstone(stored: StoredObject, former_type: str) -> web.Response:
    """410 Gone with the Tombstone Mastodon expects (`formerType`, `deleted`)."""
    return activity_json({"@context": AS_CONTEXT_IRI, "id": stored.iri, "type": "Tombstone",
                          "formerType": former_type, "deleted": stored.deleted_at}, status=410)


async def _item(request: web.Request) -> StoredObject:
    kind = PATH_KINDS[request.match_info["kind"]]
    stored = await find_object(request.app[DB], kind, request.match_info["slug"])
    if stored is None:
        if wants_activity_json(request):
            raise web.HTTPNotFound(text='{"error": "no such object"}', content_type="application/json")
        raise web.HTTPNotFound(text="Not found")
    return stored


async def get_object(request: web.Request) -> web.StreamResponse:
    """`/practices/{slug}` and siblings: AS2 for ActivityPub clients, the page in the reader's
    language for browsers. A deleted object answers 410: a Tombstone, or a page saying so."""
    stored = await _item(request)
    db, urls, config = request.app[DB], request.app[URLS], request.app[CONFIG]
    if stored.deleted_at:
        if wants_activity_json(request):
            return _tombstone(stored, AS_TYPES[stored.kind])
        who = reader(request)
        return render(request, "deleted.html", {"stored": stored, "alternate": stored.iri}, who=who, status=410)
    publication = await load_publication(db, urls, stored, config.network)
    if wants_activity_json(request):
        return activity_json(build_object(publication))
    who = reader(request, item=True)
    langs = [t.lang for t in publication.translations]
    context = await item_context(db, stored, publication, who.content_lang(langs, publication.default_lang),
                                 ui_lang=who.ui, base=urls.base)
    context["network_handle"] = f"@{config.network}@{config.domain}"
    return render(request, f"{stored.kind}.html", context, who=who)


async def get_rsvp(request: web.Request) -> web.Response:
    """A journey's RSVP poll, always AS2: Mastodon fetches it to show the poll and its counts."""
    db, urls, config = request.app[DB], request.app[URLS], request.app[CONFIG]
    journey = await find_object(db, "journey", request.match_info["slug"])
    if journey is None:
        return json_error(404, "no such journey")
    if journey.deleted_at:
        return _tombstone(journey, "Question")
    question = await build_question_for(db, urls, journey, config.network)
    return activity_json({"@context": OUTGOING_CONTEXT, **question})


async def get_replies(request: web.Request) -> web.Response:
    """`/{kind}/{slug}/replies`: the IRIs of remote replies, oldest first, paged like the followers."""
    stored = await find_object(request.app[DB], PATH_KINDS[request.match_info["kind"]], request.match_info["slug"])
    if stored is None:
        return json_error(404, "no such object")
    if stored.deleted_at:
        return json_error(410, "deleted")
    db = request.app[DB]
    iri = f"{stored.iri}/replies"
    if "page" not in request.query:
        total = await count_replies(db, stored.iri)
        return activity_json(build_collection(iri=iri, total=total, first=f"{iri}?page=true"))
    after = int_param(request, "after") or 0
    rows = await reply_page(db, stored.iri, after=after, limit=PAGE_SIZE)  # approved comments, our replies
    page_iri = f"{iri}?page=true" + (f"&after={after}" if after else "")
    next_iri = f"{iri}?page=true&after={rows[-1][0]}" if len(rows) == PAGE_SIZE else None
    return activity_json(build_collection_page(iri=page_iri, part_of=iri, items=[r[1] for r in rows],
                                               next_iri=next_iri, prev_iri=None))


async def get_programme(request: web.Request) -> web.StreamResponse:
    """`/programmes/{slug}`: a cycle of journeys and their outcomes by date, as an OrderedCollection
    or a page."""
    db, urls, config = request.app[DB], request.app[URLS], request.app[CONFIG]
    row = await db.fetch_one("SELECT id, slug, iri, names, created_at FROM programmes WHERE slug = ?",
                             (request.match_info["slug"],))
    if row is None:
        if wants_activity_json(request):
            return json_error(404, "no such programme")
        raise web.HTTPNotFound(text="Not found")
    programme = {"slug": row["slug"], "iri": row["iri"], "names": parse_lang_map(json.loads(row["names"]))}
    if wants_activity_json(request):
        entries = await programme_items(db, row["id"], config.default_lang)
        items = [iri for j in entries for iri in (j["iri"], *(o["iri"] for o in j["outcomes"]))]
        doc = {"@context": OUTGOING_CONTEXT, "id": row["iri"], "type": "OrderedCollection",
               "name": programme_name(programme, config.default_lang), "attributedTo": urls.actor(config.network),
               "url": row["iri"], "published": row["created_at"], "totalItems": len(items)}
        if items:
            doc["orderedItems"] = items
        if programme["names"]:
            doc["nameMap"] = programme["names"]
        return activity_json(doc)
    who = reader(request)
    name = pick(programme["names"], who.ui, config.default_lang) if programme["names"] else programme["slug"]
    return render(request, "programme.html",
                  {"programme": programme, "name": name, "alternate": row["iri"],
                   "entries": await programme_items(db, row["id"], who.ui)}, who=who)
