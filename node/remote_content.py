"""Peers' practices, journeys and outcomes stored in full (every language, the structured fields), so
pages show them as they show ours, attributed and linked back to their origin.

`remote_objects` keeps every remote document raw; the rows here are the parsed, sanitized view of the
ones that are content of ours. Only the author may change or delete a row (the inbox worker checks the
sender; here the stored author must match), and a deleted object is never brought back.
"""

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from protocol.errors import ParseError
from protocol.handles import handle_text
from protocol.iri import require_http_iri, same_origin
from protocol.objects import Publication, Tag, Translation
from protocol.outcomes import OutcomeDetails
from protocol.practices import TEXT_SECTIONS, PracticeDetails
from protocol.remote_content import RemotePublication, build_fields, parse_publication

from . import clock
from .db import Database, Transaction
from .relevance import Followed
from .render import sanitize
from .urls import Urls, remote_page


def _sanitized(pub: RemotePublication) -> RemotePublication:
    """Another server's HTML made safe once, when stored: pages print it as they print ours."""
    translations = tuple(dataclasses.replace(t, content_html=sanitize(t.content_html)) for t in pub.translations)
    details = pub.details
    if isinstance(details, PracticeDetails):
        sections: dict[str, Any] = {
            section: {lang: sanitize(html) for lang, html in getattr(details, section).items()}
            for section in TEXT_SECTIONS}
        details = dataclasses.replace(details, **sections)
    elif isinstance(details, OutcomeDetails):
        details = dataclasses.replace(details, feedback={k: sanitize(v) for k, v in details.feedback.items()})
    return dataclasses.replace(pub, translations=translations, details=details)


async def _write_texts(tx: Transaction, content_id: int, pub: RemotePublication) -> None:
    await tx.execute("DELETE FROM remote_translations WHERE content_id = ?", (content_id,))
    await tx.execute("DELETE FROM remote_tags WHERE content_id = ?", (content_id,))
    await tx.execute_many(
        "INSERT INTO remote_translations (content_id, lang, title, summary, content_html) VALUES (?, ?, ?, ?, ?)",
        [(content_id, t.lang, t.title, t.summary, t.content_html) for t in pub.translations])
    await tx.execute_many("INSERT INTO remote_tags (content_id, name) VALUES (?, ?)",
                          [(content_id, name) for name in pub.tags])


def may_be_content(document: dict[str, Any]) -> bool:
    """Whether `store` may keep this object: only an Event or an Article can be a practice, journey or
    outcome (kind_of). A Note, a Question...: never, and the common case, known without the database."""
    types = document.get("type")
    return any(t in ("Event", "Article") for t in (types if isinstance(types, list) else [types]))


async def store(tx: Transaction, document: dict[str, Any], *, replace: bool = False, new: bool = True) -> bool:
    """Keep a peer's practice, journey or outcome; anything else (a comment, a poll) is left to
    `remote_objects`. `replace` is for an Update by the author: a known one is replaced only when the
    stored author wrote the new version too. `new`: an object not held yet may be added (it is from a
    source the library lists, node/relevance.Followed). Returns True when a row changed."""
    if not may_be_content(document):
        return False
    try:
        pub = _sanitized(parse_publication(document))
    except ParseError:
        return False
    now = clock.iso()
    existing = await tx.fetch_one("SELECT id, attributed_to, deleted_at FROM remote_content WHERE iri = ?",
                                  (pub.iri,))
    values = (pub.kind, pub.type, pub.origin, pub.attributed_to, pub.audience, pub.url, pub.default_lang,
              json.dumps(build_fields(pub), ensure_ascii=False), pub.in_reply_to, pub.context, pub.replies,
              pub.published, pub.updated)
    if existing is None:
        if not new:
            return False
        content_id = await tx.execute(
            "INSERT INTO remote_content (kind, as_type, origin, attributed_to, audience, url, default_lang, fields,"
            " in_reply_to, context, replies, published_at, updated_at, iri, received_at, refreshed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (*values, pub.iri, now, now))
    elif replace and not existing["deleted_at"] and existing["attributed_to"] == pub.attributed_to:
        content_id = existing["id"]
        await tx.execute(
            "UPDATE remote_content SET kind = ?, as_type = ?, origin = ?, attributed_to = ?, audience = ?, url = ?,"
            " default_lang = ?, fields = ?, in_reply_to = ?, context = ?, replies = ?, published_at = ?,"
            " updated_at = ?, refreshed_at = ? WHERE id = ?", (*values, now, content_id))
    else:
        return False
    await _write_texts(tx, content_id, pub)
    return True


async def keep_fetched(tx: Transaction, iri: str, document: dict[str, Any], *,
                       followed: Followed | None = None) -> bool:
    """Store an object fetched from its origin (backfill, a reference): raw in `remote_objects` and, when
    it is content of ours, in full (then True); given `followed`, only when the library lists its author
    (a reference to a stranger's article stays raw). The same checks as the inbox: the document is the
    one asked for, and its author sits on its host."""
    if document.get("id") != iri:
        return False
    attributed = document.get("attributedTo")
    attributed = attributed[0] if isinstance(attributed, list) and attributed else attributed
    try:
        author = require_http_iri(attributed.get("id") if isinstance(attributed, dict) else attributed,
                                  "attributedTo")
    except ParseError:
        return False
    if not same_origin(author, iri):
        return False
    in_reply_to = document.get("inReplyTo")
    in_reply_to = in_reply_to.get("id") if isinstance(in_reply_to, dict) else in_reply_to
    await tx.execute(
        "INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (iri) DO NOTHING",
        (iri, str(document.get("type")), author, in_reply_to if isinstance(in_reply_to, str) else None,
         json.dumps(document), clock.iso()),
    )
    return await store(tx, document, new=followed is None or followed.lists(author))


async def delete(tx: Transaction, iri: str, actor_iri: str) -> bool:
    """Delete by its author: the row stays as a tombstone (never re-imported), its texts go."""
    row = await tx.fetch_one("SELECT id FROM remote_content WHERE iri = ? AND attributed_to = ? AND deleted_at IS NULL",
                             (iri, actor_iri))
    if row is None:
        return False
    await _tombstone(tx, "id = ?", (row["id"],))
    return True


async def delete_by_author(tx: Transaction, actor_iri: str) -> None:
    """An actor deleted: everything they wrote goes with them."""
    await _tombstone(tx, "attributed_to = ? AND deleted_at IS NULL", (actor_iri,))


async def _tombstone(tx: Transaction, where: str, params: tuple[Any, ...]) -> None:
    await tx.execute(f"DELETE FROM remote_translations WHERE content_id IN (SELECT id FROM remote_content"
                     f" WHERE {where})", params)
    await tx.execute(f"DELETE FROM remote_tags WHERE content_id IN (SELECT id FROM remote_content WHERE {where})",
                     params)
    await tx.execute(f"UPDATE remote_content SET deleted_at = ?, fields = '{{}}' WHERE {where}", (clock.iso(), *params))


async def known(db: Database | Transaction, iri: str) -> bool:
    """Stored already, or deleted by its author (then never fetched again)."""
    return bool(await db.fetch_value("SELECT 1 FROM remote_content WHERE iri = ?", (iri,)))


# Reading, for pages.

@dataclass(frozen=True)
class RemoteItem:
    """A stored peer item with what a page links to: its origin node, its author and its page there."""

    id: int
    iri: str
    kind: str
    type: str
    origin: str
    attributed_to: str
    author_name: str | None
    author_handle: str | None
    audience: str | None
    url: str
    default_lang: str
    fields: dict[str, Any]
    tags: tuple[str, ...]
    translations: tuple[Translation, ...]
    published: str | None
    updated: str | None
    deleted_at: str | None

    def publication(self, urls: Urls) -> Publication:
        """The item as a Publication, the shape item pages and feeds read for local objects."""
        return Publication(
            iri=self.iri, type=self.type, attributed_to=self.attributed_to, url=self.url,
            published=self.published or "", updated=self.updated, default_lang=self.default_lang,
            translations=self.translations or (Translation(self.default_lang, "", "", ""),), to=(), cc=(),
            tags=tuple(Tag(name, urls.tag(name)) for name in self.tags), extra=dict(self.fields),
        )


_SELECT = (
    "SELECT c.id, c.iri, c.kind, c.as_type, c.origin, c.attributed_to, c.audience, c.url, c.default_lang,"
    " c.fields, c.published_at, c.updated_at, c.deleted_at, a.name AS author_name, a.username, a.host"
    " FROM remote_content c LEFT JOIN remote_actors a ON a.iri = c.attributed_to"
)


async def _items(db: Database, where: str, params: tuple[Any, ...], tail: str = "") -> list[RemoteItem]:
    rows = await db.fetch_all(f"{_SELECT} WHERE {where} {tail}", params)
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    texts: dict[int, list[Translation]] = {}
    for t in await db.fetch_all(f"SELECT content_id, lang, title, summary, content_html FROM remote_translations"
                                f" WHERE content_id IN ({marks}) ORDER BY content_id, lang", ids):
        texts.setdefault(t["content_id"], []).append(Translation(t["lang"], t["title"], t["summary"],
                                                                 t["content_html"]))
    tags: dict[int, list[str]] = {}
    for t in await db.fetch_all(f"SELECT content_id, name FROM remote_tags WHERE content_id IN ({marks})"
                                " ORDER BY name", ids):
        tags.setdefault(t["content_id"], []).append(t["name"])
    return [RemoteItem(
        id=r["id"], iri=r["iri"], kind=r["kind"], type=r["as_type"], origin=r["origin"],
        attributed_to=r["attributed_to"], author_name=r["author_name"],
        author_handle=handle_text(r["username"], r["host"]),
        audience=r["audience"], url=r["url"], default_lang=r["default_lang"], fields=json.loads(r["fields"]),
        tags=tuple(tags.get(r["id"], ())),
        translations=tuple(sorted(texts.get(r["id"], ()), key=lambda t, d=r["default_lang"]: t.lang != d)),
        published=r["published_at"], updated=r["updated_at"], deleted_at=r["deleted_at"],
    ) for r in rows]


async def find_remote(db: Database, key: str | int) -> RemoteItem | None:
    """One item by IRI, or by its row id (its page here: urls.remote_page); deleted ones included (a
    page says it was deleted)."""
    found = await _items(db, "c.id = ?" if isinstance(key, int) else "c.iri = ?", (key,))
    return found[0] if found else None


async def page_paths(db: Database, iris: list[str]) -> dict[str, str]:
    """{IRI: its page here} for those of `iris` that are peers' items this node holds."""
    if not iris:
        return {}
    rows = await db.fetch_all(f"SELECT iri, id FROM remote_content WHERE iri IN ({','.join('?' * len(iris))})", iris)
    return {r["iri"]: remote_page(r["id"]) for r in rows}


async def latest_remote(db: Database, limit: int = 20, *, kind: str | None = None,
                        origin: str | None = None) -> list[RemoteItem]:
    """Peers' items, newest first (by when we received them), optionally of one kind or one node."""
    where, params = "c.deleted_at IS NULL", list[str]()
    if kind is not None:
        where, params = f"{where} AND c.kind = ?", [*params, kind]
    if origin is not None:
        where, params = f"{where} AND c.origin = ?", [*params, origin]
    return await _items(db, where, (*params, limit), "ORDER BY c.id DESC LIMIT ?")
