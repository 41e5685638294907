"""Re-sharing and likes. An organizer re-shares a peer's item: the network Group announces it to its
followers (as it announces ours, FEP-1b12) and to the item's author, who counts it; `unshare` sends the
Undo. Received Likes and Announces of our items are counted once per actor (a repeated one replaces
the activity id, an Undo removes it); so are peers re-sharing peers' items we see.
"""

import json
from dataclasses import dataclass
from typing import Any

from protocol.activities import Activity, build_announce, build_undo
from protocol.iri import same_origin
from protocol.jsonld import AS_PUBLIC

from . import clock, comments, remote_content, search
from .accounts import ActorRow, get_actor
from .db import Database, Transaction
from .fetch import Fetcher, FetchError
from .follows import follower_inboxes
from .outbox import send
from .states import InboxState
from .urls import Urls


class ShareError(Exception):
    """The share cannot be done; the message says why."""


@dataclass(frozen=True)
class Shared:
    object_iri: str
    activity_iri: str


def _author(document: dict[str, object]) -> str | None:
    value = document.get("attributedTo")
    value = value[0] if isinstance(value, list) and value else value
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, str) else None


async def _author_inbox(fetcher: Fetcher, author: str) -> str:
    actor = await fetcher.get_actor(author)
    return actor.shared_inbox or actor.inbox


async def _group(db: Database, network: str) -> ActorRow:
    group = await get_actor(db, network)
    if group is None:
        raise ShareError(f"no network actor {network!r}")
    return group


async def share(db: Database, urls: Urls, fetcher: Fetcher, *, network: str, organizer: ActorRow,
                iri: str) -> Shared:
    """Announce a peer's item to the Group's followers and its author. The item is fetched from its
    origin (it must exist and be written on that server) and kept, so this node shows and finds it."""
    if iri.startswith(f"{urls.base}/"):
        raise ShareError(f"{iri} is ours: the network announced it when it was published")
    try:
        document = await fetcher.get_object(iri)
        author = _author(document)
        if document.get("id") != iri or author is None or not same_origin(author, iri):
            raise ShareError(f"{iri} is not an object written on its own server")
        inbox = await _author_inbox(fetcher, author)
    except FetchError as exc:
        raise ShareError(f"cannot fetch {iri}: {exc.reason}") from exc
    group = await _group(db, network)
    group_iri, now = urls.actor(network), clock.iso()
    async with db.transaction() as tx:
        if await _our_share(tx, iri, group_iri):
            raise ShareError(f"{iri} is already re-shared (`maillage unshare` undoes it)")
        if await remote_content.keep_fetched(tx, iri, document):
            await search.index_remote(tx, iri)
        announce = build_announce(iri=urls.new_activity(), actor=group_iri, object_iri=iri, to=[AS_PUBLIC],
                                  cc=[urls.followers(network), author], published=now)
        inboxes = sorted({*await follower_inboxes(tx, [group_iri]), inbox})
        await send(tx, actor_id=group.id, document=announce, inboxes=inboxes)
        await _record(tx, iri, group_iri, "Announce", announce["id"], actor_id=organizer.id)
    return Shared(iri, announce["id"])


async def unshare(db: Database, urls: Urls, fetcher: Fetcher, *, network: str, iri: str) -> Shared:
    """Undo our re-share: the Undo embeds the Announce and goes where it went."""
    group = await _group(db, network)
    group_iri = urls.actor(network)
    row = await _our_share(db, iri, group_iri)
    if row is None:
        raise ShareError(f"{iri} is not re-shared by this network")
    raw = await db.fetch_value("SELECT document FROM activities WHERE iri = ?", (row["activity_iri"],))
    announce = json.loads(raw)
    authors = [a for a in announce.get("cc", []) if a != urls.followers(network)]
    try:
        inboxes = {await _author_inbox(fetcher, a) for a in authors}
    except FetchError:
        inboxes = set()  # the author's server is gone: our followers still hear of the Undo
    undo = build_undo(iri=urls.new_activity(), actor=group_iri, activity=announce)
    async with db.transaction() as tx:
        inboxes |= set(await follower_inboxes(tx, [group_iri]))
        await send(tx, actor_id=group.id, document=undo, inboxes=sorted(inboxes))
        await tx.execute("DELETE FROM reactions WHERE id = ?", (row["id"],))
    return Shared(iri, undo["id"])


async def _our_share(db: Database | Transaction, iri: str, group_iri: str) -> dict[str, object] | None:
    row = await db.fetch_one("SELECT id, activity_iri FROM reactions WHERE object_iri = ? AND type = 'Announce'"
                             " AND actor_iri = ?", (iri, group_iri))
    return dict(row) if row else None


async def _record(tx: Transaction, object_iri: str, actor_iri: str, kind: str, activity_iri: str, *,
                  actor_id: int | None = None) -> None:
    await tx.execute(
        "INSERT INTO reactions (object_iri, actor_iri, type, activity_iri, actor_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (object_iri, type, actor_iri)"
        " DO UPDATE SET activity_iri = excluded.activity_iri",
        (object_iri, actor_iri, kind, activity_iri, actor_id, clock.iso()),
    )


async def _ours(tx: Transaction, iri: str) -> bool:
    return bool(await tx.fetch_value("SELECT 1 FROM objects WHERE iri = ? AND deleted_at IS NULL", (iri,)))


async def on_reaction(db: Database, activity: Activity, kind: str, iri: str) -> InboxState:
    """A Like or an Announce of one of our items, by anyone: counted once per actor."""
    async with db.transaction() as tx:
        if not await _ours(tx, iri):
            return InboxState.IGNORED
        await _record(tx, iri, activity.actor, kind, activity.iri)
    return InboxState.DONE


async def on_like(ctx: Any, activity: Activity, raw: dict[str, object]) -> InboxState:
    """The inbox handler for Like (`ctx` is the inbox worker's InboxContext): of our items only, a Like
    of anything else is no business of this node."""
    if activity.object is None or not activity.object.iri.startswith(f"{ctx.urls.base}/"):
        return InboxState.IGNORED
    return await on_reaction(ctx.db, activity, "Like", activity.object.iri)


async def _announced(tx: Transaction, activity: Activity, iri: str) -> None:
    """An Announce of a remote object we hold: a peer re-sharing someone else's item is counted (an
    origin relaying its own is not a re-share), and a comment its item's origin relays is approved."""
    await comments.vouch(tx, iri, activity.actor)
    if not same_origin(activity.actor, iri):
        await _record(tx, iri, activity.actor, "Announce", activity.iri)


async def announced(db: Database, activity: Activity, iri: str) -> InboxState:
    """An Announce of a remote object we already had."""
    async with db.transaction() as tx:
        await _announced(tx, activity, iri)
    return InboxState.DONE


async def kept(tx: Transaction, iri: str, announce: Activity | None, *, content_changed: bool) -> None:
    """The inbox kept a remote object: it is reindexed for search when what search shows of it (a
    peer's item in `remote_content`) changed, and counted when it came announced."""
    if content_changed:
        await search.index_remote(tx, iri)
    if announce is not None:
        await _announced(tx, announce, iri)


async def undo(tx: Transaction, activity: Activity) -> bool:
    """Undo of a Like or Announce, embedded (matched by its actor and object, or id) or by IRI; only
    its actor may undo it. True when a reaction was removed."""
    obj = activity.object
    if obj is None:
        return False
    if obj.type in ("Like", "Announce") and obj.actor is not None:
        if obj.actor != activity.actor:
            return False
        await tx.execute(
            "DELETE FROM reactions WHERE actor_iri = ? AND type = ? AND (activity_iri = ? OR object_iri = ?)",
            (activity.actor, obj.type, obj.iri, obj.object_iri or obj.iri))
    else:
        await tx.execute("DELETE FROM reactions WHERE activity_iri = ? AND actor_iri = ?", (obj.iri, activity.actor))
    return await tx.changes() > 0
