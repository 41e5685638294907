"""The inbox handlers for activities about remote objects: Create (a post kept as it came, a peer's
practice, journey or outcome in full, a reply filed as a comment, a vote on a journey's RSVP poll),
Announce, Update and Delete; and what the worker needs to keep the objects of several plain Creates
in one transaction (`plain_create`, `keep_objects`)."""

import json
from typing import Any

from protocol.activities import Activity, attributed_to
from protocol.errors import ParseError
from protocol.iri import require_http_iri, same_origin
from protocol.polls import parse_vote

from . import (
    account_blocks,
    clock,
    comments,
    follows,
    mentions,
    participation,
    references,
    relevance,
    remote_content,
    search,
    sharing,
)
from .db import Transaction
from .fetch import FetchError
from .inbox_context import InboxContext
from .states import InboxState
from .urls import Urls


async def on_create(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Keep objects created by others (replies to our content, peers' posts). The signer is the author:
    an embedded object is trusted only when attributed to the activity's actor; any other (sent by IRI,
    or naming another author) is fetched from its origin, whose copy is kept (as Mastodon does)."""
    obj = activity.object
    if obj is None:
        return InboxState.IGNORED
    document = obj.embedded
    if document is None or attributed_to(document) != activity.actor:
        try:
            document = await ctx.fetcher.get_object(obj.iri)
        except FetchError:
            return InboxState.IGNORED
    question = document.get("inReplyTo")
    question = question.get("id") if isinstance(question, dict) else question
    if isinstance(question, str) and participation.journey_of_question(ctx.urls, question):
        vote = parse_vote(document)
        if vote is not None:
            return await _on_vote(ctx, activity, document, vote.choice, question)
        if isinstance(document.get("name"), str) and not document.get("content"):
            return InboxState.IGNORED  # a vote for an option our poll does not have
    document = with_addressing(document, raw)
    if not await relevance.related(ctx.db, ctx.urls, activity.actor, document, raw):
        return InboxState.IGNORED  # from a stranger, to no one here, in no thread shown here
    return await store_remote_object(ctx, obj.iri, document, activity.actor)


def with_addressing(document: dict[str, Any], activity: dict[str, Any]) -> dict[str, Any]:
    """`document` with its Create's addressing when it has none of its own (some servers address only
    the activity): who may read it decides whether it is a public comment or a private message."""
    if any(field in document for field in ("to", "cc")):
        return document
    return {**document, **{field: activity[field] for field in ("to", "cc") if field in activity}}


async def _on_vote(ctx: InboxContext, activity: Activity, document: dict[str, Any], choice: str,
                   question: str) -> InboxState:
    """A vote on one of our journeys' RSVP polls (Mastodon's Create{Note{name, inReplyTo}}): a
    participation, never a comment. Only the voter may vote for themself."""
    voter = document.get("attributedTo", activity.actor)
    if isinstance(voter, dict):
        voter = voter.get("id")
    journey_iri = participation.journey_of_question(ctx.urls, question)
    if voter != activity.actor or journey_iri is None:
        return InboxState.IGNORED
    async with ctx.db.transaction() as tx:
        journey = await participation.local_journey(tx, journey_iri)
        if journey is None:
            return InboxState.IGNORED
        state = await participation.vote(tx, ctx.urls, journey, actor_iri=activity.actor, choice=choice,
                                         activity_iri=activity.iri, now=clock.now())
    return InboxState.IGNORED if state is None else InboxState.DONE


def kept_author(iri: str, document: dict[str, Any]) -> str | None:
    """The author of a remote object we may keep under `iri`, or None: it must be the object asked for
    (a server answering with another object vouches for neither), and its author must sit on the
    object's own server, named by an http(s) IRI (it becomes a link on our pages: `javascript://host/...`
    has a host too)."""
    if document.get("id") != iri:
        return None
    try:
        author = require_http_iri(attributed_to(document), "attributedTo")
    except ParseError:
        return None
    return author if same_origin(author, iri) else None


INSERT_OBJECT = ("INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at)"
                  " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (iri) DO NOTHING")


def object_row(iri: str, document: dict[str, Any], author: str) -> tuple[Any, ...]:
    in_reply_to = document.get("inReplyTo")
    in_reply_iri = in_reply_to.get("id") if isinstance(in_reply_to, dict) else in_reply_to
    return (iri, str(document.get("type")), author, in_reply_iri if isinstance(in_reply_iri, str) else None,
            json.dumps(document), clock.iso())


async def store_remote_object(ctx: InboxContext, iri: str, document: dict[str, Any], sender: str,
                              announce: Activity | None = None) -> InboxState:
    """Keep a remote object whose author sits on the object's own server, served under the IRI asked for,
    received from `sender` (the Create's or the Announce's actor)."""
    author = kept_author(iri, document)
    if author is None or await account_blocks.is_blocked(ctx.db, author):
        return InboxState.IGNORED
    listed = remote_content.may_be_content(document) and (await relevance.followed(ctx.db, ctx.urls)).lists(
        author, sender)
    async with ctx.db.transaction() as tx:
        if not await comments.file_reply(tx, ctx.urls, iri=iri, document=document, author=author, via=announce):
            return InboxState.IGNORED  # a reply to our item while comments are closed, or one an organizer rejected
        await tx.execute(INSERT_OBJECT, object_row(iri, document, author))
        await mentions.record(tx, ctx.urls, iri, document)  # a message to one of us: on the desk
        # A peer's practice, journey or outcome, in full, from a source the library lists; search shows
        # those only, so nothing else (a plain Note, an item already stored) changes the index.
        changed = listed and await remote_content.store(tx, document)
        await sharing.kept(tx, iri, announce, content_changed=changed)  # indexed for search; a re-share counted
    await references.fetch_missing(ctx.db, ctx.fetcher, ctx.urls, document)
    return InboxState.DONE


async def keep_listed_reply(tx: Transaction, urls: Urls, iri: str, document: dict[str, Any], listed_by: str) -> bool:
    """Keep a reply fetched from its origin because the replies collection `listed_by` lists it (backfill):
    filed as a comment as `store_remote_object` files one, the listing vouching for it as an Announce by the
    item's origin does. True when it became a comment; anything else (not a reply into a thread shown here,
    an author not on the reply's host, a comment rejected here) is not kept."""
    author = kept_author(iri, document)
    if author is None or await account_blocks.is_blocked(tx, author):
        return False
    if not await comments.file_reply(tx, urls, iri=iri, document=document, author=author, listed_by=listed_by):
        return False
    if not await tx.fetch_value("SELECT 1 FROM comments WHERE iri = ?", (iri,)):  # kept, but as no comment
        return False
    await tx.execute(INSERT_OBJECT, object_row(iri, document, author))
    return True


Plain = tuple[str, dict[str, Any], str]  # (IRI, document, author) of an object on_create only keeps


def plain_create(activity: Activity) -> Plain | None:
    """A Create that `on_create` would only keep, with no fetch and nothing else to do: its object is
    embedded, written by its actor on the actor's server (`kept_author`), and replies to nothing (no
    comment to file, no vote, no parent to fetch). Such objects are kept together (`keep_objects`)."""
    obj = activity.object
    if activity.type != "Create" or obj is None or obj.embedded is None:
        return None
    document = obj.embedded
    if document.get("inReplyTo") is not None:
        return None
    author = kept_author(obj.iri, document)
    return None if author is None or author != activity.actor else (obj.iri, document, author)


async def keep_objects(tx: Transaction, items: list[Plain], object_rows: list[tuple[Any, ...]],
                       followed: relevance.Followed) -> None:
    """Keep the objects of several plain Creates (`object_rows`: their `object_row`s, made before the
    transaction), with the statements `store_remote_object` runs for each (the object rows first, in
    order; then each one's full form, when the library lists its author, and search index: other tables,
    which read no object row). A post that names one of us is no plain Create: `store_remote_object`
    records it as a message."""
    await tx.execute_many(INSERT_OBJECT, object_rows)
    for iri, document, author in items:
        changed = followed.lists(author) and await remote_content.store(tx, document)
        await sharing.kept(tx, iri, None, content_changed=changed)


async def on_announce(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Announce of an object: a Group sharing what its members post (FEP-1b12), or a boost. Only the
    object's IRI is trusted: the object is fetched from its origin unless we already have it (the
    author's Create often arrives alongside). Lemmy's Announce{Create{object}} announces the inner object."""
    obj = activity.object
    if obj is None:
        return InboxState.IGNORED
    iri = obj.iri
    if obj.actor is not None:
        if obj.type != "Create" or obj.object_iri is None:
            return InboxState.IGNORED
        iri = obj.object_iri
    if iri.startswith(f"{ctx.urls.base}/"):
        return await sharing.on_reaction(ctx.db, activity, "Announce", iri)  # a re-share of ours: counted
    if await ctx.db.fetch_value("SELECT 1 FROM remote_objects WHERE iri = ?", (iri,)):
        return await sharing.announced(ctx.db, activity, iri)
    try:
        document = await ctx.fetcher.get_object(iri)
    except FetchError as exc:
        if exc.gone:
            return InboxState.IGNORED
        raise
    if not await relevance.related(ctx.db, ctx.urls, activity.actor, document, raw):
        return InboxState.IGNORED  # a stranger's boost of something nobody here follows or discusses
    return await store_remote_object(ctx, iri, document, activity.actor, activity)


async def on_update(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Update of an actor refreshes its cached document (and key); Update of an object we hold replaces
    it with the author's version: embedded when the sender is its author, else (by IRI, or naming another
    author: Mobilizon's organizer updating the group's event) read from its origin. The stored author must
    be the new version's."""
    obj = activity.object
    if obj is None:
        return InboxState.IGNORED
    if obj.iri == activity.actor:
        await ctx.fetcher.get_actor(activity.actor, refresh=True)
        return InboxState.DONE
    document = obj.embedded
    if not same_origin(obj.iri, activity.actor) \
            or not await ctx.db.fetch_value("SELECT 1 FROM remote_objects WHERE iri = ?", (obj.iri,)):
        return InboxState.IGNORED
    if document is None or attributed_to(document) != activity.actor:
        try:
            document = await ctx.fetcher.get_object(obj.iri)
        except FetchError:
            return InboxState.IGNORED
    author = kept_author(obj.iri, document)
    if author is None:
        return InboxState.IGNORED
    listed = (await relevance.followed(ctx.db, ctx.urls)).lists(author)  # else only an item held is replaced
    async with ctx.db.transaction() as tx:
        await tx.execute(
            "UPDATE remote_objects SET document = ?, updated_at = ? WHERE iri = ? AND attributed_to = ?",
            (json.dumps(document), clock.iso(), obj.iri, author),
        )
        if not await tx.changes():
            return InboxState.IGNORED
        if await remote_content.store(tx, document, replace=True, new=listed):  # search shows peers' items only
            await search.index_remote(tx, obj.iri)
        return InboxState.DONE


async def on_delete(ctx: InboxContext, activity: Activity, raw: dict[str, object]) -> InboxState:
    """Delete of an actor removes it and its follows; Delete of an object tombstones it if the sender wrote it."""
    obj = activity.object
    if obj is None:
        return InboxState.IGNORED
    async with ctx.db.transaction() as tx:
        if obj.iri == activity.actor:
            await tx.execute("DELETE FROM follows WHERE follower_iri = ? OR followee_iri = ?", (obj.iri, obj.iri))
            follows.changed(tx)
            await tx.execute("DELETE FROM remote_actors WHERE iri = ?", (obj.iri,))
            await remote_content.delete_by_author(tx, obj.iri)
            await search.reindex_author(tx, obj.iri)
            return InboxState.DONE
        await tx.execute(
            "UPDATE remote_objects SET deleted_at = ?, document = '{}' WHERE iri = ? AND attributed_to = ?",
            (clock.iso(), obj.iri, activity.actor),
        )
        changed = await tx.changes()
        if await remote_content.delete(tx, obj.iri, activity.actor):  # search shows peers' items only
            changed += 1
            await search.index_remote(tx, obj.iri)
        return InboxState.DONE if changed else InboxState.IGNORED
