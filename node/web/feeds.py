"""Feeds: Atom for the whole network and per type, iCalendar for all journeys and for each one.
Texts are in the reader's language when a translation exists (`?lang=`, cookie, Accept-Language)."""

from datetime import UTC, datetime

from aiohttp import web

from protocol.journeys import parse_journey_details
from protocol.objects import Publication

from .. import __version__, clock
from ..appkeys import CONFIG, DB, SETTINGS, URLS
from ..calendar import build_calendar
from ..content import StoredObject, find_object, latest_objects, load_publication
from ..feeds import atom_feed, entry_from
from ..i18n import translator
from ..remote_content import find_remote, latest_remote
from ..urls import KIND_PATHS
from .language import VARY, reader

FEED_SIZE = 50
MAX_JOURNEYS = 1000
TYPE_NAMES = {"practice": "Practices", "journey": "Learning journeys", "outcome": "Meeting outcomes"}
PATH_KINDS = {path: kind for kind, path in KIND_PATHS.items()}


def _response(body: bytes, content_type: str) -> web.Response:
    return web.Response(body=body, content_type=content_type, charset="utf-8",
                        headers={"Vary": VARY, "Cache-Control": "public, max-age=300"})


async def get_atom(request: web.Request) -> web.Response:
    """`/feed.atom` (everything) and `/practices.atom`, `/journeys.atom`, `/outcomes.atom`."""
    config, db, urls = request.app[CONFIG], request.app[DB], request.app[URLS]
    kind = PATH_KINDS.get(request.match_info.get("kind", ""))
    who = reader(request)
    _ = translator(who.ui)
    names = {r["username"]: r["name"] for r in await db.fetch_all("SELECT username, name FROM actors")}
    entries = []
    for stored in await latest_objects(db, FEED_SIZE, kind):
        pub = await load_publication(db, urls, stored, config.network)
        lang = who.content_lang([t.lang for t in pub.translations], pub.default_lang)
        entries.append(entry_from(pub, lang, names.get(stored.author) or stored.author))
    path = f"/{KIND_PATHS[kind]}.atom" if kind else "/feed.atom"
    site = request.app[SETTINGS].title
    title = f"{site} — {_(TYPE_NAMES[kind])}" if kind else site
    body = atom_feed(feed_iri=f"{urls.base}{path}", site_url=f"{urls.base}/", title=title, lang=who.ui,
                     entries=entries, fallback_updated=clock.iso(), generator_version=__version__)
    return _response(body, "application/atom+xml")


async def _publications(request: web.Request, objects: list[StoredObject]) -> list[Publication]:
    config, db, urls = request.app[CONFIG], request.app[DB], request.app[URLS]
    return [await load_publication(db, urls, stored, config.network) for stored in objects]


async def _journeys(request: web.Request, pubs: list[Publication]) -> web.Response:
    """A calendar of journeys (ours and the peers' we hold): the latest MAX_JOURNEYS by start."""
    who = reader(request)
    journeys = [(pub, details) for pub in pubs if (details := parse_journey_details(pub.extra, pub.default_lang))]
    journeys.sort(key=lambda j: datetime.fromisoformat(j[1].start_time).astimezone(UTC))
    journeys = journeys[-MAX_JOURNEYS:]
    lang = who.ui
    if len(pubs) == 1 and journeys:
        lang = who.content_lang([t.lang for t in journeys[0][0].translations], journeys[0][0].default_lang)
    name = f"{request.app[SETTINGS].title} — {translator(who.ui)(TYPE_NAMES['journey'])}"
    return _response(build_calendar(journeys, name=name, lang=lang), "text/calendar")


async def get_journeys_ics(request: web.Request) -> web.Response:
    """`/journeys.ics`: every journey, past and upcoming (cancelled ones say so), ours and those of the peers
    we hold, as `/journeys` lists them."""
    db, urls = request.app[DB], request.app[URLS]
    ours = await _publications(request, await latest_objects(db, MAX_JOURNEYS, "journey"))
    peers = [item.publication(urls) for item in await latest_remote(db, MAX_JOURNEYS, kind="journey")]
    return await _journeys(request, ours + peers)


async def get_journey_ics(request: web.Request) -> web.Response:
    """`/journeys/{slug}.ics`: one journey."""
    stored = await find_object(request.app[DB], "journey", request.match_info["slug"])
    if stored is None:
        raise web.HTTPNotFound(text="Not found")
    if stored.deleted_at:
        raise web.HTTPGone(text="This journey was deleted")
    return await _journeys(request, await _publications(request, [stored]))


async def get_remote_journey_ics(request: web.Request) -> web.Response:
    """`/remote/{id}.ics`: a peer's journey we hold, to add to one's calendar as ours are."""
    item = await find_remote(request.app[DB], int(request.match_info["id"]))
    if item is None or item.kind != "journey":
        raise web.HTTPNotFound(text="Not found")
    if item.deleted_at:
        raise web.HTTPGone(text="This journey was deleted")
    return await _journeys(request, [item.publication(request.app[URLS])])
