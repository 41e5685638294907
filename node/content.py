"""Local content (practice write-ups, journeys, outcomes) read back from storage as Publications.

An object's structured fields are stored in their AS2 form (`objects.fields`), so documents, pages
and feeds all read one shape. What changes without an edit (a journey's participant counts, its
outcomes) is computed here, when the object is read.
"""

import json
from dataclasses import dataclass
from typing import Any

from protocol.jsonld import AS_PUBLIC
from protocol.langmap import pick
from protocol.objects import Publication, Tag, Translation

from . import social
from .db import Database, Transaction
from .teasers import journey_teaser, outcome_teaser, practice_teaser
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
    journey_id: int | None = None
    programme_id: int | None = None


def _stored(row: Any) -> StoredObject:
    return StoredObject(
        id=row["id"], iri=row["iri"], kind=row["kind"], slug=row["slug"], actor_id=row["actor_id"],
        author=row["username"], default_lang=row["default_lang"], fields=json.loads(row["fields"]),
        published_at=row["published_at"], updated_at=row["updated_at"], deleted_at=row["deleted_at"],
        journey_id=row["journey_id"], programme_id=row["programme_id"],
    )


_SELECT = (
    "SELECT o.id, o.iri, o.kind, o.slug, o.actor_id, a.username, o.default_lang, o.fields, o.published_at,"
    " o.updated_at, o.deleted_at, o.journey_id, o.programme_id FROM objects o JOIN actors a ON a.id = o.actor_id"
)


async def find_object(db: Database | Transaction, kind: str, slug: str) -> StoredObject | None:
    row = await db.fetch_one(f"{_SELECT} WHERE o.kind = ? AND o.slug = ?", (kind, slug))
    return _stored(row) if row else None


async def find_object_by_iri(db: Database | Transaction, iri: str) -> StoredObject | None:
    row = await db.fetch_one(f"{_SELECT} WHERE o.iri = ?", (iri,))
    return _stored(row) if row else None


async def find_object_by_id(db: Database | Transaction, object_id: int) -> StoredObject | None:
    row = await db.fetch_one(f"{_SELECT} WHERE o.id = ?", (object_id,))
    return _stored(row) if row else None


async def all_objects(db: Database) -> list[StoredObject]:
    """Every item not deleted, oldest first (in the order they were published)."""
    return [_stored(r) for r in await db.fetch_all(f"{_SELECT} WHERE o.deleted_at IS NULL ORDER BY o.id")]


async def latest_objects(db: Database, limit: int = 20, kind: str | None = None) -> list[StoredObject]:
    if kind is None:
        rows = await db.fetch_all(f"{_SELECT} WHERE o.deleted_at IS NULL ORDER BY o.id DESC LIMIT ?", (limit,))
    else:
        rows = await db.fetch_all(
            f"{_SELECT} WHERE o.deleted_at IS NULL AND o.kind = ? ORDER BY o.id DESC LIMIT ?", (kind, limit))
    return [_stored(r) for r in rows]


async def participation_counts(db: Database | Transaction, object_id: int) -> dict[str, int]:
    """Participants by state; `going` is what `participantCount` reports."""
    rows = await db.fetch_all(
        "SELECT state, count(*) AS n FROM participations WHERE object_id = ? GROUP BY state", (object_id,))
    return {r["state"]: r["n"] for r in rows}


async def titles(db: Database | Transaction, object_id: int) -> dict[str, str]:
    rows = await db.fetch_all("SELECT lang, title FROM translations WHERE object_id = ?", (object_id,))
    return {r["lang"]: r["title"] for r in rows}


def rsvp_iri(obj: StoredObject) -> str:
    """The journey's RSVP poll (a Question) lives under the journey's own IRI."""
    return f"{obj.iri}/rsvp"


async def live_fields(db: Database | Transaction, urls: Urls, obj: StoredObject) -> dict[str, Any]:
    """The stored AS2 fields plus what is computed at read time."""
    fields = dict(obj.fields)
    if obj.kind == "journey":
        going = (await participation_counts(db, obj.id)).get("going", 0)
        fields["participantCount"] = going
        capacity = fields.get("maximumAttendeeCapacity")
        if isinstance(capacity, int):
            fields["remainingAttendeeCapacity"] = max(0, capacity - going)
        fields["rsvp"] = rsvp_iri(obj)
        if obj.programme_id is not None:
            programme = await db.fetch_value("SELECT iri FROM programmes WHERE id = ?", (obj.programme_id,))
            if programme:
                fields["context"] = programme
    if obj.kind == "outcome" and obj.journey_id is not None:
        journey = await db.fetch_value("SELECT iri FROM objects WHERE id = ?", (obj.journey_id,))
        if journey:
            fields["context"] = journey
            fields["inReplyTo"] = journey
    fields.update(await social.document_fields(db, obj.iri, obj.fields))  # likes, shares, moderation
    return fields


async def load_publication(db: Database | Transaction, urls: Urls, obj: StoredObject, network: str) -> Publication:
    """Build the AS2-ready view of a stored object: all translations, teaser summaries, tags, and the
    structured fields with their live values."""
    rows = await db.fetch_all(
        "SELECT lang, title, summary, content_html FROM translations WHERE object_id = ? ORDER BY lang", (obj.id,)
    )
    tags = [r["name"] for r in await db.fetch_all(
        "SELECT name FROM object_tags WHERE object_id = ? ORDER BY name", (obj.id,))]
    fields = await live_fields(db, urls, obj)
    journey_titles = await titles(db, obj.journey_id) if obj.journey_id is not None else {}

    def teaser(lang: str, summary: str) -> str:
        if obj.kind == "practice":
            return practice_teaser(summary, fields, tags)
        if obj.kind == "journey":
            return journey_teaser(summary, fields, lang)
        name = pick(journey_titles, lang, obj.default_lang) if journey_titles else None
        return outcome_teaser(summary, fields, lang, obj.default_lang, name)

    author_iri = urls.actor(obj.author)
    return Publication(
        iri=obj.iri,
        type=AS_TYPES[obj.kind],
        attributed_to=author_iri,
        url=obj.iri,
        published=obj.published_at,
        updated=obj.updated_at,
        default_lang=obj.default_lang,
        translations=tuple(
            Translation(r["lang"], r["title"], teaser(r["lang"], r["summary"]), r["content_html"]) for r in rows),
        to=(AS_PUBLIC,),
        cc=(urls.followers(obj.author), urls.followers(network)),
        tags=tuple(Tag(name, urls.tag(name)) for name in tags),
        replies_iri=f"{obj.iri}/replies",
        # `audience` tells group-aware servers (FEP-1b12) which Group the object belongs to.
        extra={"audience": urls.actor(network), **fields},
    )

