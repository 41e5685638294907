"""Publishing: a Draft in, a Create (or Update) by the author and an Announce by the network Group
out, all stored and queued in one transaction. A journey also gets its RSVP poll, a Question created
by the Group (whose followers are the ones who can answer it from Mastodon).

Publishing a slug that exists edits it (same language) or adds a translation (new language); the
structured fields of the new language are merged into the stored ones, never replacing the others.
"""

import json
from dataclasses import dataclass
from typing import Any

from protocol.activities import build_announce, build_create, build_delete, build_update
from protocol.jsonld import AS_PUBLIC
from protocol.langmap import is_lang_tag
from protocol.objects import build_object

from . import clock, search
from .accounts import ActorRow
from .content import StoredObject, find_object, find_object_by_iri, load_publication
from .db import Database, Transaction
from .drafts import Draft
from .follows import follower_inboxes
from .outbox import send
from .polls import build_question_for, send_question
from .render import markdown_to_html
from .urls import Urls

# Computed at read time (content.live_fields): never stored from a draft.
LIVE_FIELDS = ("participantCount", "remainingAttendeeCapacity", "rsvp", "context", "inReplyTo")


class PublishError(Exception):
    """The draft cannot be published (permissions, missing journey...); the message says why, and `field`
    names the draft's field at fault when there is one (the desk shows the error beside it)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PublishResult:
    iri: str
    created: bool
    activity_iris: tuple[str, ...]


# Plain-text values that stand for the default language (beside their *Map): a translation adds to
# the map but must not replace them.
DEFAULT_LANGUAGE_VALUES = frozenset({"name", "inLanguage"})


def merge_fields(stored: Any, new: Any, *, translation: bool = False) -> Any:
    """Merge one language's AS2 fields into the stored ones: language maps gain the new language,
    lists of the same length merge item by item (a translation of the same stakeholders), anything
    else is replaced by the new value, except that a translation keeps the default language's
    plain `name`/`inLanguage`. A translation's text identical to one the map holds already is not
    added as its own: it is the original's, which a translation form starts from (a resource's label,
    a programme item's title left as they were), and readers fall back to it anyway."""
    if isinstance(stored, dict) and isinstance(new, dict):
        language_map = translation and all(is_lang_tag(k) for k in (*stored, *new))
        merged = dict(stored)
        for key, value in new.items():
            if language_map and key not in stored and value in stored.values():
                continue
            if key not in stored:
                merged[key] = value
            elif not (translation and key in DEFAULT_LANGUAGE_VALUES):
                merged[key] = merge_fields(stored[key], value, translation=translation)
        return merged
    if isinstance(stored, list) and isinstance(new, list) and len(stored) == len(new) \
            and all(isinstance(v, dict) for v in (*stored, *new)):
        return [merge_fields(a, b, translation=translation) for a, b in zip(stored, new, strict=True)]
    return new


async def _can_edit(tx: Transaction, existing: StoredObject, author: ActorRow) -> bool:
    if existing.actor_id == author.id:
        return True
    return bool(await tx.fetch_value("SELECT role FROM users WHERE actor_id = ?", (author.id,)) == "admin")


async def _journey_id(tx: Transaction, urls: Urls, reference: str) -> int:
    """An outcome's journey, by slug or by the IRI of one of our journeys."""
    journey = await find_object_by_iri(tx, reference) if reference.startswith(("http://", "https://")) \
        else await find_object(tx, "journey", reference)
    if journey is None or journey.kind != "journey" or journey.deleted_at:
        raise PublishError(f"no journey {reference!r} on this node (publish the journey first)", field="journey")
    return journey.id


async def _programme_id(tx: Transaction, urls: Urls, slug: str) -> int:
    """A programme (cycle of journeys) by slug, created on first use."""
    existing = await tx.fetch_value("SELECT id FROM programmes WHERE slug = ?", (slug,))
    if existing:
        return int(existing)
    return await tx.execute(
        "INSERT INTO programmes (slug, iri, names, created_at) VALUES (?, ?, ?, ?)",
        (slug, f"{urls.base}/programmes/{slug}", json.dumps({}), clock.iso()),
    )


async def publish(db: Database, urls: Urls, *, network: str, author: ActorRow, draft: Draft) -> PublishResult:
    """Create the object, edit it, or add a translation; deliver the result to followers."""
    content_html = markdown_to_html(draft.body_md)
    now = clock.iso()
    details = {k: v for k, v in draft.details.items() if k not in LIVE_FIELDS}
    async with db.transaction() as tx:
        existing = await find_object(tx, draft.kind, draft.slug)
        if existing and existing.deleted_at:
            raise PublishError(f"{existing.iri} was deleted; choose another slug")
        if existing and not await _can_edit(tx, existing, author):
            raise PublishError(f"{existing.iri} belongs to {existing.author}; only they or an admin can edit it")
        journey_id = await _journey_id(tx, urls, draft.journey) if draft.journey else None
        programme_id = await _programme_id(tx, urls, draft.cycle) if draft.cycle else None
        if existing is None:
            object_id = await tx.execute(
                "INSERT INTO objects (iri, kind, slug, actor_id, default_lang, fields, published_at, journey_id,"
                " programme_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (urls.object(draft.kind, draft.slug), draft.kind, draft.slug, author.id, draft.lang,
                 json.dumps(details), now, journey_id, programme_id),
            )
        else:
            object_id = existing.id
            merged = merge_fields(existing.fields, details, translation=draft.lang != existing.default_lang)
            await tx.execute(
                "UPDATE objects SET fields = ?, updated_at = ?, journey_id = COALESCE(?, journey_id),"
                " programme_id = COALESCE(?, programme_id) WHERE id = ?",
                (json.dumps(merged), now, journey_id, programme_id, object_id),
            )
        await tx.execute(
            "INSERT INTO translations (object_id, lang, title, summary, content_md, content_html, sources)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (object_id, lang) DO UPDATE SET title = excluded.title,"
            " summary = excluded.summary, content_md = excluded.content_md, content_html = excluded.content_html,"
            " sources = excluded.sources",
            (object_id, draft.lang, draft.title, draft.summary, draft.body_md, content_html,
             json.dumps(draft.sources, ensure_ascii=False)),
        )
        if draft.themes:
            await tx.execute("DELETE FROM object_tags WHERE object_id = ?", (object_id,))
            await tx.execute_many("INSERT INTO object_tags (object_id, name) VALUES (?, ?)",
                                  [(object_id, t) for t in draft.themes])
        stored = await find_object(tx, draft.kind, draft.slug)
        assert stored is not None
        await search.reindex(tx, stored.iri)  # every translation, in the same transaction
        iris = await _announce_change(tx, urls, network, stored, created=existing is None, now=now)
    return PublishResult(iri=stored.iri, created=existing is None, activity_iris=tuple(iris))


async def _announce_change(tx: Transaction, urls: Urls, network: str, stored: StoredObject, *, created: bool,
                           now: str) -> list[str]:
    document = build_object(await load_publication(tx, urls, stored, network), with_context=False)
    author_iri, network_iri = urls.actor(stored.author), urls.actor(network)
    inboxes = await follower_inboxes(tx, [author_iri, network_iri])
    builder = build_create if created else build_update
    activity = builder(iri=urls.new_activity(), actor=author_iri, obj=document, published=now)
    await send(tx, actor_id=stored.actor_id, document=activity, inboxes=inboxes)
    iris = [activity["id"]]
    group_id = int(await tx.fetch_value("SELECT id FROM actors WHERE username = ?", (network,)))
    group_inboxes = await follower_inboxes(tx, [network_iri])
    if created:
        announce = build_announce(
            iri=urls.new_activity(), actor=network_iri, object_iri=stored.iri, to=[AS_PUBLIC],
            cc=[urls.followers(network), author_iri], published=now,
        )
        await send(tx, actor_id=group_id, document=announce, inboxes=group_inboxes)
        iris.append(announce["id"])
    if stored.kind == "journey":
        question = await build_question_for(tx, urls, stored, network)
        iris.append(await send_question(tx, urls, question, group_id=group_id, network=network,
                                        inboxes=group_inboxes, created=created, now=now))
    return iris


async def republish(db: Database | Transaction, urls: Urls, *, network: str, obj: StoredObject) -> list[str]:
    """Send an Update of an object whose live fields changed (a journey's participant counts)."""
    if isinstance(db, Database):
        async with db.transaction() as tx:
            return await _announce_change(tx, urls, network, obj, created=False, now=clock.iso())
    return await _announce_change(db, urls, network, obj, created=False, now=clock.iso())


async def delete(db: Database, urls: Urls, *, network: str, author: ActorRow, kind: str, slug: str) -> str:
    """Delete an object: a Tombstone stays (410 on its IRI with `formerType`), a Delete goes to
    everyone who received it. Its outcomes and poll are not deleted with a journey."""
    async with db.transaction() as tx:
        existing = await find_object(tx, kind, slug)
        if existing is None or existing.deleted_at:
            raise PublishError(f"no {kind} {slug!r} to delete")
        if not await _can_edit(tx, existing, author):
            raise PublishError(f"{existing.iri} belongs to {existing.author}; only they or an admin can delete it")
        now = clock.iso()
        await tx.execute("UPDATE objects SET deleted_at = ? WHERE id = ?", (now, existing.id))
        await search.reindex(tx, existing.iri)  # deleted: out of the index
        author_iri, network_iri = urls.actor(existing.author), urls.actor(network)
        former = {"practice": "Article", "journey": "Event", "outcome": "Article"}[kind]
        activity = build_delete(
            iri=urls.new_activity(), actor=author_iri, object_iri=existing.iri, former_type=former, deleted=now,
            to=[AS_PUBLIC], cc=[urls.followers(existing.author), urls.followers(network)],
        )
        await send(tx, actor_id=existing.actor_id, document=activity,
                   inboxes=await follower_inboxes(tx, [author_iri, network_iri]))
    return existing.iri
