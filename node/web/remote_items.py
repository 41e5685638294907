"""`/remote/{id}`: a peer's practice, journey or outcome as this node holds it, on a page of this site, in
the reader's language: the same templates as ours, with the discussion kept here and links to its
origin. Lists and search link here, so a reader stays on their network's site and reads every
language the peer wrote; the object's identity stays the origin's (AS2 clients are sent there)."""

from typing import Any

from aiohttp import web

from protocol.handles import handle_text
from protocol.langmap import pick
from protocol.outcomes import LIST_SECTIONS

from .. import social
from ..appkeys import DB, URLS
from ..db import Database
from ..i18n import language_name
from ..listing import origin_names
from ..negotiation import wants_activity_json
from ..page_images import attachments_at
from ..remote_content import RemoteItem, find_remote
from ..teasers import written_summary
from ..urls import KIND_PATHS, Urls, remote_page
from ..views import address_line, license_label, osm_url, time_range, when
from .images import serve
from .language import reader, render
from .pages import comments, parse_details, texts_in


async def get_remote_item(request: web.Request) -> web.StreamResponse:
    """The page, or a redirect to the origin for ActivityPub clients (the object is the origin's); 410
    once its author deleted it, 404 for an id this node never held."""
    db, urls = request.app[DB], request.app[URLS]
    item = await find_remote(db, int(request.match_info["id"]))
    if item is None:
        raise web.HTTPNotFound(text="Not found")
    if wants_activity_json(request):
        raise web.HTTPFound(item.iri)  # deleted too: its origin answers with the Tombstone
    who = reader(request, item=True)
    if item.deleted_at:
        return render(request, "deleted.html", {"stored": item, "alternate": item.iri}, who=who, status=410)
    langs = [t.lang for t in item.translations] or [item.default_lang]
    context = await remote_item_context(db, urls, item, who.content_lang(langs, item.default_lang), ui_lang=who.ui)
    context["page_iri"] = f"{urls.base}{remote_page(item.id)}"
    return render(request, f"{item.kind}.html", context, who=who)


async def remote_item_context(db: Database, urls: Urls, item: RemoteItem, lang: str,
                              ui_lang: str) -> dict[str, Any]:
    """What practice.html, journey.html and outcome.html show of a peer's item (node/web/pages.item_context
    for ours): its fields as its origin sent them (its summary without the teaser Mastodon gets), its
    discussion as known here, its node by the name the peer directory knows; a journey's `.ics` is served
    here (web/feeds.py), joining is at its origin."""
    pub = item.publication(urls)  # its themes link to this node's tag pages
    text = pub.translation(lang)
    context: dict[str, Any] = {
        "pub": pub, "text": text, "stored": item,
        "summary": written_summary(item.kind, text.summary, item.fields, item.tags, text.lang, item.default_lang),
        "origin_name": (await origin_names(db, [item.origin])).get(item.origin),
        "alternate": item.iri, "kind": item.kind,
        "remote": item, "author_iri": item.attributed_to, "author_name": item.author_name or item.author_handle
        or item.attributed_to, "translations": [{"tag": t.lang, "name": language_name(t.lang)}
                                                for t in pub.translations if t.lang != text.lang],
        "all_translations": [t.lang for t in pub.translations], "comments": await comments(db, item.iri, text.lang),
        "feed_path": f"/{KIND_PATHS[item.kind]}.atom", "reactions": await social.counts(db, item.iri, local=False),
        "comments_mode": "remote", **texts_in(pub, text),
        "osm_url": osm_url, "license_label": license_label, "address_line": address_line,
        "image_at": f"{remote_page(item.id)}/images/",
    }
    # Its images at their addresses here (node/remote_media.py): attachments by their place in the list,
    # those of its texts by their key (node/page_images.py).
    details = context["details"] = attachments_at(_details(item), lambda n, _: f"{remote_page(item.id)}/media/{n}")
    if item.kind == "journey":
        zone = details.timezone if details else "UTC"
        context.update({
            "counts": {}, "programme": None, "ics_path": f"{remote_page(item.id)}.ics",
            "when": when(details.start_time, details.end_time, zone, ui_lang) if details else None,
            "time_range": lambda start, end: time_range(start, end, zone, ui_lang,
                                                        first_day=details.start_time if details else None),
            "rsvp_url": (details.rsvp_iri if details else None) or item.url,
            "network_handle": await _handle(db, item.audience),
            "outcomes": await _linked(db, "COALESCE(c.context, c.in_reply_to) = ? AND c.kind = 'outcome'",
                                      item.iri, text.lang),
        })
    elif item.kind == "outcome":
        context["sections"] = [(term, details.section(term)) for term in LIST_SECTIONS]
        journeys = await _linked(db, "c.iri = (SELECT COALESCE(context, in_reply_to) FROM remote_content"
                                     " WHERE iri = ?) AND c.kind = 'journey'", item.iri, text.lang)
        context["journey"] = journeys[0] if journeys else None
    return context


def _details(item: RemoteItem) -> Any:
    """The item's structured details, as its kind's parser reads them (None when there are none)."""
    return parse_details(item.kind, item.fields, item.default_lang)


async def get_remote_media(request: web.Request) -> web.StreamResponse:
    """`/remote/{id}/media/{n}`: the item's n-th attachment, when it is an image, kept here."""
    item = await find_remote(request.app[DB], int(request.match_info["id"]))
    details = _details(item) if item is not None and not item.deleted_at else None
    attachments = details.attachments if details is not None else ()
    n = int(request.match_info["n"])
    image = n < len(attachments) and attachments[n].kind == "Image"
    return await serve(request, attachments[n].url if image else None)


async def _handle(db: Database, actor_iri: str | None) -> str | None:
    """`@name@host` of the origin's network (its Group, the item's `audience`), when known here."""
    if actor_iri is None:
        return None
    row = await db.fetch_one("SELECT username, host FROM remote_actors WHERE iri = ?", (actor_iri,))
    return handle_text(row["username"], row["host"]) if row else None


async def _linked(db: Database, where: str, iri: str, lang: str) -> list[dict[str, Any]]:
    """Peers' items matched by `where` (one `?`: `iri`), as linked titles to their pages here."""
    rows = await db.fetch_all(
        "SELECT c.id, c.default_lang, t.lang, t.title FROM remote_content c"
        f" JOIN remote_translations t ON t.content_id = c.id WHERE c.deleted_at IS NULL AND {where} ORDER BY c.id",
        (iri,))
    found: dict[int, dict[str, Any]] = {}
    for r in rows:
        found.setdefault(r["id"], {"id": r["id"], "default": r["default_lang"], "titles": {}})["titles"][r["lang"]] \
            = r["title"]
    return [{"iri": remote_page(i), "title": pick(e["titles"], lang, e["default"]), "when": None}
            for i, e in found.items()]
