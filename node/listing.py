"""What the public list pages show (the practices library, the journeys calendar, the outcomes, the home
page): our items and the peers' items we hold, as cards in the reader's language. A page costs a fixed
number of queries whatever its length: one for the rows, then one per side (ours, the peers') for all
their translations, their themes and the journeys outcomes belong to. Portable SQL only; the free-text
part of a filter (a territory) is asked of node/search.py, the one module that speaks FTS5."""

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_date

from protocol.attachments import parse_attachments
from protocol.hashtags import THEME_KEY_SQL, theme_key
from protocol.journeys import parse_journey_details
from protocol.langmap import pick
from protocol.places import parse_place

from .db import Database
from .i18n import babel_locale
from .search import parse_query, search
from .teasers import written_summary
from .urls import KIND_PATHS, REMOTE_PAGES
from .views import When, in_zone, when

PAGE_SIZE = 20
MAX_JOURNEYS = 1000
Choose = Callable[[Sequence[str], str], str]  # (languages on offer, default) -> the one to show

_LOCAL = ("SELECT 1 AS local, o.id, o.iri, o.iri AS url, o.kind, o.default_lang, o.fields, o.journey_id,"
          " NULL AS context, o.published_at AS date, ? AS node FROM objects o"
          " WHERE o.deleted_at IS NULL AND o.kind = ?")
_REMOTE = (f"SELECT 0 AS local, c.id, c.iri, '{REMOTE_PAGES}' || c.id AS url, c.kind, c.default_lang, c.fields,"
           " NULL AS journey_id,"
           " COALESCE(c.context, c.in_reply_to) AS context, COALESCE(c.published_at, c.received_at) AS date,"
           " c.origin AS node FROM remote_content c WHERE c.deleted_at IS NULL AND c.kind = ?")


@dataclass(frozen=True)
class Filters:
    """The library's filters, already bounded: a theme, words of a territory, a language, a node."""

    theme: str | None = None
    territory: str | None = None
    lang: str | None = None
    node: str | None = None
    page: int = 1

    @property
    def active(self) -> bool:
        return any((self.theme, self.territory, self.lang, self.node))


@dataclass(frozen=True)
class Cover:
    """An item's cover on its card: its first image attachment, shown at this node's address (`url |
    image_src(at)`, node/page_images.py: ours as it is, another server's through the image cache at the
    address of the item that names it), with its alt text in `lang`."""

    url: str
    at: str
    alt: str
    lang: str


def _cover(fields: dict[str, Any], lang: str, default_lang: str, at: str) -> Cover | None:
    image = next((a for a in parse_attachments(fields.get("attachment"), default_lang) if a.kind == "Image"), None)
    if image is None:
        return None
    alt_lang = next((k for k in (lang, default_lang) if k in image.alt), next(iter(image.alt), lang))
    return Cover(url=image.url, at=at, alt=image.alt.get(alt_lang, ""), lang=alt_lang)


@dataclass
class Card:
    """One item in a list, in one of its languages; `url` is its page (a peer's item: its page here,
    urls.remote_page)."""

    iri: str
    url: str
    kind: str
    local: bool
    node: str
    date: str | None
    lang: str
    title: str
    summary: str
    languages: list[str]
    themes: list[str] = field(default_factory=list)
    territory: str | None = None
    when: When | None = None
    start: str | None = None
    status: str | None = None
    place: str | None = None
    online: bool = False
    slug: str | None = None
    journey: dict[str, str] | None = None
    badge: tuple[str, str] | None = None  # (day, month) of a journey's start, in its zone and the reader's locale
    origin_name: str | None = None  # a peer's item: its node's name in the peer directory
    cover: Cover | None = None


def _in(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _sides(filters: Filters, local_node: str, kind: str, iris: Sequence[str] | None) -> tuple[str, list[Any]]:
    """The UNION of our rows and the peers' rows that pass the filters."""
    parts: list[str] = []
    params: list[Any] = []
    for side, sql, tags, texts, key in (
            ("local", _LOCAL, "object_tags", "translations", "o"), ("remote", _REMOTE, "remote_tags",
                                                                    "remote_translations", "c")):
        if filters.node and (filters.node == local_node) != (side == "local"):
            continue
        owner = "object_id" if side == "local" else "content_id"
        where, args = [sql], ([local_node, kind] if side == "local" else [kind])
        if filters.theme:  # by key: a peer's `foodsovereignty` is our `food-sovereignty`
            where.append(f"{key}.id IN (SELECT {owner} FROM {tags} WHERE {THEME_KEY_SQL.format('name')} = ?)")
            args.append(theme_key(filters.theme))
        if filters.lang:
            where.append(f"{key}.id IN (SELECT {owner} FROM {texts} WHERE lang = ? OR lang LIKE ?)")
            args += [filters.lang, f"{filters.lang}-%"]
        if side == "remote" and filters.node:
            where.append("c.origin = ?")
            args.append(filters.node)
        if iris is not None:
            where.append(f"{key}.iri IN ({_in(iris)})")
            args += list(iris)
        parts.append(" AND ".join(where))
        params += args
    return " UNION ALL ".join(parts) or "SELECT NULL AS id WHERE 0", params


async def _cards(db: Database, rows: Sequence[Any], choose: Choose) -> list[Card]:
    """Cards for rows of `_LOCAL`/`_REMOTE`, with their texts and themes read in one query per side."""
    local_ids = [r["id"] for r in rows if r["local"]]
    remote_ids = [r["id"] for r in rows if not r["local"]]
    texts: dict[tuple[int, int], dict[str, tuple[str, str]]] = {}
    themes: dict[tuple[int, int], list[str]] = {}
    for local, ids, text_sql, tag_sql in (
            (1, local_ids, "SELECT object_id AS id, lang, title, summary FROM translations WHERE object_id IN",
             "SELECT object_id AS id, name FROM object_tags WHERE object_id IN"),
            (0, remote_ids,
             "SELECT content_id AS id, lang, title, summary FROM remote_translations WHERE content_id IN",
             "SELECT content_id AS id, name FROM remote_tags WHERE content_id IN")):
        if not ids:
            continue
        for t in await db.fetch_all(f"{text_sql} ({_in(ids)}) ORDER BY lang", ids):
            texts.setdefault((local, t["id"]), {})[t["lang"]] = (t["title"], t["summary"])
        for g in await db.fetch_all(f"{tag_sql} ({_in(ids)}) ORDER BY name", ids):
            themes.setdefault((local, g["id"]), []).append(g["name"])
    names = await origin_names(db, {r["node"] for r in rows if not r["local"]})
    cards = []
    for r in rows:
        key = (r["local"], r["id"])
        by_lang = texts.get(key) or {r["default_lang"]: (r["iri"], "")}
        lang = choose(list(by_lang), r["default_lang"])
        title, summary = by_lang.get(lang) or next(iter(by_lang.values()))
        fields = json.loads(r["fields"] or "{}")
        if not r["local"]:  # a peer's teaser repeats what the card's fields say
            summary = written_summary(r["kind"], summary, fields, themes.get(key, []), lang, r["default_lang"])
        place = parse_place(fields.get("location"))
        slug = r["iri"].rstrip("/").rsplit("/", 1)[-1] if r["local"] else None
        at = f"/{KIND_PATHS[r['kind']]}/{slug}/images/" if r["local"] else f"{r['url']}/images/"
        cards.append(Card(
            iri=r["iri"], url=r["url"], kind=r["kind"], local=bool(r["local"]), node=r["node"], date=r["date"],
            lang=lang, title=title, summary=summary, languages=sorted(by_lang), themes=themes.get(key, []),
            territory=place.label() if place and r["kind"] == "practice" else None,
            place=place.label() if place and r["kind"] == "journey" else None,
            slug=slug, origin_name=None if r["local"] else names.get(r["node"]),
            cover=_cover(fields, lang, r["default_lang"], at),
        ))
    return cards


async def origin_names(db: Database, hosts: Collection[str]) -> dict[str, str]:
    """{host: name} of peers' nodes, as the peer directory knows them (a host it has no name for is left
    out: shown as its host)."""
    if not hosts:
        return {}
    rows = await db.fetch_all(f"SELECT host, name FROM peers WHERE host IN ({_in(list(hosts))}) AND name <> ''",
                              list(hosts))
    return {r["host"]: r["name"] for r in rows}


async def library(db: Database, filters: Filters, *, local_node: str, choose: Choose,
                  kind: str = "practice", page_size: int = PAGE_SIZE) -> tuple[list[Card], int]:
    """One page of items of `kind`, newest first (by relevance when a territory is asked for), and
    how many passed the filters."""
    offset = (filters.page - 1) * page_size
    if filters.territory:
        query = parse_query({"type": kind, "territory": filters.territory, "theme": filters.theme or "",
                             "lang": filters.lang or "", "node": filters.node or "", "page": str(filters.page)})
        hits, total = await search(db, query, page_size=page_size)
        order = [h.iri for h in hits]
        if not order:
            return [], total
        union, params = _sides(Filters(), local_node, kind, order)
        by_iri = {r["iri"]: r for r in await db.fetch_all(union, params)}
        return await _cards(db, [by_iri[i] for i in order if i in by_iri], choose), total
    union, params = _sides(filters, local_node, kind, None)
    total = int(await db.fetch_value(f"SELECT count(*) FROM ({union})", params) or 0)
    rows = await db.fetch_all(f"SELECT * FROM ({union}) ORDER BY date DESC, local DESC, id DESC LIMIT ? OFFSET ?",
                              (*params, page_size, offset))
    return await _cards(db, rows, choose), total


async def facets(db: Database, local_node: str, kind: str | None = "practice") -> dict[str, list[str]]:
    """What the library's filters offer: themes, languages and nodes that items of `kind` (of any kind when
    None: the search form's) have. A theme
    spelled several ways (`food-sovereignty`, a peer's `foodsovereignty`) is offered once, with its
    hyphens: a `-` sorts before any letter or digit, so min() picks the spelling that has them."""
    themes = await db.fetch_all(
        "SELECT min(name) FROM (SELECT g.name FROM object_tags g JOIN objects o ON o.id = g.object_id"
        " WHERE o.kind = coalesce(?, o.kind) AND o.deleted_at IS NULL"
        " UNION SELECT g.name FROM remote_tags g JOIN remote_content c ON c.id = g.content_id"
        f" WHERE c.kind = coalesce(?, c.kind) AND c.deleted_at IS NULL) GROUP BY {THEME_KEY_SQL.format('name')}"
        " ORDER BY 1", (kind, kind))
    langs = await db.fetch_all(
        "SELECT t.lang FROM translations t JOIN objects o ON o.id = t.object_id"
        " WHERE o.kind = coalesce(?, o.kind) AND o.deleted_at IS NULL"
        " UNION SELECT t.lang FROM remote_translations t JOIN remote_content c ON c.id = t.content_id"
        " WHERE c.kind = coalesce(?, c.kind) AND c.deleted_at IS NULL ORDER BY 1", (kind, kind))
    nodes = await db.fetch_all(
        "SELECT DISTINCT origin FROM remote_content WHERE kind = coalesce(?, kind) AND deleted_at IS NULL"
        " ORDER BY origin", (kind,))
    return {"themes": [r[0] for r in themes], "languages": [r[0] for r in langs],
            "nodes": [local_node, *(r[0] for r in nodes if r[0] != local_node)]}


async def calendar(db: Database, *, local_node: str, choose: Choose, ui_lang: str,
                   now: datetime | None = None) -> tuple[list[Card], list[Card]]:
    """Journeys (ours and the peers'), upcoming (soonest first) and past (latest first); a journey is
    upcoming until it ends. Dates are shown in each journey's own time zone."""
    now = now or datetime.now(UTC)
    union, params = _sides(Filters(), local_node, "journey", None)
    rows = await db.fetch_all(f"SELECT * FROM ({union}) ORDER BY date DESC LIMIT ?", (*params, MAX_JOURNEYS))
    dated = [(details, row) for row in rows
             if (details := parse_journey_details(json.loads(row["fields"] or "{}"), row["default_lang"]))]
    cards = await _cards(db, [row for _, row in dated], choose)
    upcoming: list[tuple[datetime, Card]] = []
    past: list[tuple[datetime, Card]] = []
    for (details, _row), card in zip(dated, cards, strict=True):
        start = datetime.fromisoformat(details.start_time)
        end = datetime.fromisoformat(details.end_time) if details.end_time else start
        card.when = when(details.start_time, details.end_time, details.timezone, ui_lang)
        local_start = in_zone(details.start_time, details.timezone)
        card.badge = (format_date(local_start, "d", locale=babel_locale(ui_lang)),
                      format_date(local_start, "MMM", locale=babel_locale(ui_lang)))
        card.start, card.status, card.online = details.start_time, details.status, bool(details.online_url)
        (upcoming if end >= now else past).append((start, card))
    upcoming.sort(key=lambda pair: pair[0])
    past.sort(key=lambda pair: pair[0], reverse=True)
    return [c for _, c in upcoming], [c for _, c in past]


async def attach_journeys(db: Database, cards: Sequence[Card], rows_journey: dict[str, tuple[int | None, str | None]],
                          choose: Choose) -> None:
    """Give each outcome card the journey it reports on (title and page), in one query per side."""
    local_ids = sorted({j for j, _ in rows_journey.values() if j is not None})
    remote_iris = sorted({c for _, c in rows_journey.values() if c})
    found: dict[Any, dict[str, Any]] = {}
    if local_ids:
        for r in await db.fetch_all(
                "SELECT o.id, o.iri, o.default_lang, t.lang, t.title FROM objects o JOIN translations t"
                f" ON t.object_id = o.id WHERE o.deleted_at IS NULL AND o.id IN ({_in(local_ids)})", local_ids):
            found.setdefault(r["id"], {"url": r["iri"], "default": r["default_lang"], "titles": {}})["titles"][
                r["lang"]] = r["title"]
    if remote_iris:
        for r in await db.fetch_all(
                f"SELECT c.iri, '{REMOTE_PAGES}' || c.id AS url, c.default_lang, t.lang, t.title FROM remote_content c"
                " JOIN remote_translations t"
                f" ON t.content_id = c.id WHERE c.deleted_at IS NULL AND c.iri IN ({_in(remote_iris)})", remote_iris):
            found.setdefault(r["iri"], {"url": r["url"], "default": r["default_lang"], "titles": {}})["titles"][
                r["lang"]] = r["title"]
    for card in cards:
        journey_id, context = rows_journey.get(card.iri, (None, None))
        entry = found.get(journey_id) if journey_id is not None else found.get(context)
        if entry:
            lang = choose(list(entry["titles"]), entry["default"])
            card.journey = {"url": entry["url"], "title": pick(entry["titles"], lang, entry["default"])}


async def outcomes(db: Database, *, local_node: str, choose: Choose, page: int = 1,
                   page_size: int = PAGE_SIZE) -> tuple[list[Card], int]:
    """Meeting outcomes, newest first, each with the journey it reports on."""
    union, params = _sides(Filters(), local_node, "outcome", None)
    total = int(await db.fetch_value(f"SELECT count(*) FROM ({union})", params) or 0)
    rows = await db.fetch_all(f"SELECT * FROM ({union}) ORDER BY date DESC, local DESC, id DESC LIMIT ? OFFSET ?",
                              (*params, page_size, (page - 1) * page_size))
    cards = await _cards(db, rows, choose)
    await attach_journeys(db, cards, {r["iri"]: (r["journey_id"], r["context"]) for r in rows}, choose)
    return cards, total


async def authored(db: Database, *, actor_id: int, everyone: bool, local_node: str, choose: Choose,
                   limit: int = 50) -> list[Card]:
    """An organizer's items (or, for the network, everything published here), newest first."""
    mine = "" if everyone else " AND o.actor_id = ?"
    rows = await db.fetch_all(
        "SELECT 1 AS local, o.id, o.iri, o.iri AS url, o.kind, o.default_lang, o.fields, o.journey_id,"
        f" NULL AS context, o.published_at AS date, ? AS node FROM objects o WHERE o.deleted_at IS NULL{mine}"
        " ORDER BY o.id DESC LIMIT ?", (local_node, *(() if everyone else (actor_id,)), limit))
    return await _cards(db, rows, choose)
