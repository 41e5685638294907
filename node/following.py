"""Our network following someone else: resolve `@name@host` or a URL, store the pending follow and
the Follow activity, and queue its delivery, in one transaction."""

from dataclasses import dataclass

from protocol.activities import build_follow, build_undo
from protocol.errors import ParseError
from protocol.handles import parse_handle

from .accounts import ActorRow
from .db import Database
from .fetch import Fetcher
from .follows import get_follow, remove_follow, upsert_follow
from .outbox import send
from .urls import Urls


class FollowError(Exception):
    """The target cannot be followed; the message says why."""


@dataclass(frozen=True)
class FollowResult:
    followee_iri: str
    state: str
    activity_iri: str | None


async def resolve_target(fetcher: Fetcher, target: str) -> str:
    """An actor IRI from `@name@host`, `name@host` or an actor URL."""
    if target.startswith(("http://", "https://")):
        return target
    try:
        handle = parse_handle(target)
    except ParseError as exc:
        raise FollowError(exc.reason) from exc
    return await fetcher.resolve_handle(handle)


async def follow(db: Database, urls: Urls, fetcher: Fetcher, *, follower: ActorRow, target: str) -> FollowResult:
    """Send a Follow from `follower` (usually the network Group). Following again re-sends the Follow,
    which is how Mastodon recovers a follow the other side forgot."""
    followee_iri = await resolve_target(fetcher, target)
    remote = await fetcher.get_actor(followee_iri, refresh=True)
    follower_iri = urls.actor(follower.username)
    if remote.iri == follower_iri:
        raise FollowError("an actor cannot follow itself")
    existing = await get_follow(db, follower_iri, remote.iri)
    activity = build_follow(iri=urls.new_activity(), actor=follower_iri, followee=remote.iri)
    state = "accepted" if existing and existing["state"] == "accepted" else "pending"
    async with db.transaction() as tx:
        await upsert_follow(tx, follower_iri=follower_iri, followee_iri=remote.iri, activity_iri=activity["id"],
                            state=state)
        await send(tx, actor_id=follower.id, document=activity, inboxes=[remote.inbox])
    return FollowResult(followee_iri=remote.iri, state=state, activity_iri=activity["id"])


async def unfollow(db: Database, urls: Urls, fetcher: Fetcher, *, follower: ActorRow, target: str) -> str:
    """Send Undo{Follow} and forget the follow; returns the unfollowed actor's IRI."""
    followee_iri = await resolve_target(fetcher, target)
    follower_iri = urls.actor(follower.username)
    existing = await get_follow(db, follower_iri, followee_iri)
    if existing is None:
        raise FollowError(f"not following {followee_iri}")
    remote = await fetcher.get_actor(followee_iri)
    original = build_follow(iri=existing["activity_iri"], actor=follower_iri, followee=followee_iri)
    undo = build_undo(iri=urls.new_activity(), actor=follower_iri, activity=original)
    async with db.transaction() as tx:
        await remove_follow(tx, follower_iri=follower_iri, followee_iri=followee_iri)
        await send(tx, actor_id=follower.id, document=undo, inboxes=[remote.inbox])
    return followee_iri
