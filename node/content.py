"""Local content (practice write-ups, journeys, outcomes) read back from storage as Publications."""

import json
from dataclasses import dataclass
from typing import Any

from protocol.jsonld import AS_PUBLIC
from protocol.objects import Publication, Tag, Translation

from .db import Database, Transaction
from .urls import Urls

AS_TYPES = {"practice": "Article", "journey": "Event", "outcome": "Article"}


@dataclass(frozen=True)
class StoredObject:
    """An object row with its author's user name, as pages and documents need it."""

    id: int
    iri: str
    kind: str
    slug: str
    actor_id: int
    author: str
    default_lang: str
    fields: dict[str, Any]
    published_at: str
    updated_at: str | None
    deleted_at: str | None


def _stored(row: Any) -> StoredObject:
    return StoredObject(
        id=row["id"], iri=row["iri"], kind=row["kind"], slug=row["slug"], actor_id=row["actor_id"],
        author=row["username"], default_lang=row["default_lang"], fields=json.loads(row["fields"]),
        published_at=row["published_at"], updated_at=row["updated_at"], deleted_at=row["deleted_at"],
    )


_SELECT = (
    "SELECT o.id, o.iri, o.kind, o.slug, o.actor_id, a.username, o.default_lang, o.fields, o.published_at,"
    " o.updated_at, o.deleted_at FROM objects o JOIN actors a ON a.id = o.actor_id"
)


async def find_object(db: Database | Transaction, kind: str, slug: str) -> StoredObject | None:
    row = await db.fetch_one(f"{_SELECT} WHERE o.kind = ? AND o.slug = ?", (kind, slug))
    return _stored(row) if row else None


async def latest_objects(db: Database, limit: int = 20) -> list[StoredObject]:
    rows = await db.fetch_all(f"{_SELECT} WHERE o.deleted_at IS NULL ORDER BY o.id DESC LIMIT ?", (limit,))
    return [_stored(r) for r in rows]


async def load_publication(db: Database | Transaction, urls: Urls, obj: StoredObject, network: str) -> Publication:
    """Build the AS2-ready view of a stored object, all translations and tags included."""
    translations = await db.fetch_all(
        "SELECT lang, title, summary, content_html FROM translations WHERE object_id = ? ORDER BY lang", (obj.id,)
    )
    tags = await db.fetch_all("SELECT name FROM object_tags WHERE object_id = ? ORDER BY name", (obj.id,))
    author_iri = urls.actor(obj.author)
    return Publication(
        iri=obj.iri,
        type=AS_TYPES[obj.kind],
        attributed_to=author_iri,
        url=obj.iri,
        published=obj.published_at,
        updated=obj.updated_at,
        default_lang=obj.default_lang,
        translations=tuple(Translation(r["lang"], r["title"], r["summary"], r["content_html"]) for r in translations),
        to=(AS_PUBLIC,),
        cc=(urls.followers(obj.author), urls.followers(network)),
        tags=tuple(Tag(r["name"], urls.tag(r["name"])) for r in tags),
        # `audience` tells group-aware servers (FEP-1b12) which Group the object belongs to.
        extra={"audience": urls.actor(network)},
    )
