"""An admin's decision on a follow request waiting for approval (`manual_approval`, or an actor that
approves by hand): the Accept or Reject is the one the inbox sends when it decides at once
(follows.answer_follow), and a rejected request is forgotten, so the remote side may ask again."""

from .db import Database
from .fetch import Fetcher
from .follows import answer_follow, follow_document, remove_follow, set_follow_state
from .urls import Urls


class FollowRequestError(Exception):
    """No such pending request; the message says which."""


async def pending(db: Database, urls: Urls) -> list[dict[str, str]]:
    """Pending follows of our actors, oldest first, with what we know of the follower."""
    rows = await db.fetch_all(
        "SELECT f.follower_iri, f.followee_iri, f.created_at, ra.name, ra.username, ra.host FROM follows f"
        " LEFT JOIN remote_actors ra ON ra.iri = f.follower_iri WHERE f.state = 'pending'"
        " AND f.followee_iri LIKE ? ORDER BY f.id", (f"{urls.base}/%",))
    return [dict(r) for r in rows]


async def decide(db: Database, urls: Urls, fetcher: Fetcher, *, follower_iri: str, followee_iri: str,
                 approve: bool) -> str:
    """Accept (the follower then receives what the actor publishes) or reject a pending request."""
    row = await db.fetch_one("SELECT activity_iri FROM follows WHERE follower_iri = ? AND followee_iri = ?"
                             " AND state = 'pending'", (follower_iri, followee_iri))
    actor_id = None
    prefix = f"{urls.base}/users/"
    username = followee_iri[len(prefix):] if followee_iri.startswith(prefix) else None
    if username:
        actor_id = await db.fetch_value("SELECT id FROM actors WHERE username = ?", (username,))
    if row is None or actor_id is None:
        raise FollowRequestError(f"no pending follow of {followee_iri} by {follower_iri}")
    inbox = (await fetcher.get_actor(follower_iri)).inbox  # fetched before the transaction: no network inside
    async with db.transaction() as tx:
        still = await tx.fetch_value("SELECT activity_iri FROM follows WHERE follower_iri = ? AND followee_iri = ?"
                                     " AND state = 'pending'", (follower_iri, followee_iri))
        if still is None:
            raise FollowRequestError(f"the follow of {followee_iri} by {follower_iri} was already decided")
        if approve:
            await set_follow_state(tx, follower_iri=follower_iri, followee_iri=followee_iri, state="accepted")
        else:
            await remove_follow(tx, follower_iri=follower_iri, followee_iri=followee_iri)
        await answer_follow(tx, urls, actor_id=int(actor_id), follow=follow_document(still, follower_iri, followee_iri),
                            inbox=inbox, accept=approve)
    return "accepted" if approve else "rejected"
