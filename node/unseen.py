"""What an organizer has not seen yet: comments on their items (every item's, for an admin) and
messages to them or to the network that arrived since they last opened the desk's comments page;
and for an admin, what waits for a decision (held comments, follow requests, open reports). The
desk's menu shows both counts, so that someone who writes to the network is not left unread and a
request is not left waiting."""

from .accounts import Login
from .db import Database
from .urls import Urls


async def count(db: Database, user: Login, network: str) -> int:
    """New comments and messages for `user` (the same ones the comments page lists: comments on their
    items, but their own; messages to them or to the network Group `network`)."""
    seen = await db.fetch_one("SELECT comments_seen, messages_seen FROM users WHERE actor_id = ?", (user.actor_id,))
    if seen is None:
        return 0
    mine = "" if user.role == "admin" else " AND actor_id = ?"
    comments = await db.fetch_value(
        "SELECT count(*) FROM comments c WHERE c.state = 'approved' AND c.id > ? AND c.actor_id IS NOT ?"
        f" AND c.root_iri IN (SELECT iri FROM objects WHERE deleted_at IS NULL{mine})",
        (seen["comments_seen"], user.actor_id, *(() if user.role == "admin" else (user.actor_id,))))
    messages = await db.fetch_value(
        "SELECT count(DISTINCT m.object_iri) FROM mentions m WHERE m.id > ?"
        " AND (m.actor_id = ? OR m.actor_id = (SELECT id FROM actors WHERE username = ?))"
        " AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.iri = m.object_iri)",
        (seen["messages_seen"], user.actor_id, network))
    return int(comments or 0) + int(messages or 0)


async def mark_seen(db: Database, user: Login) -> None:
    """Everything received until now counts as seen by `user` (they opened the comments page)."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE users SET comments_seen = (SELECT coalesce(max(id), 0) FROM comments),"
            " messages_seen = (SELECT coalesce(max(id), 0) FROM mentions) WHERE actor_id = ?", (user.actor_id,))


async def waiting(db: Database, urls: Urls) -> int:
    """What waits for an admin's decision: held comments, follow requests to our actors, open reports."""
    return int(await db.fetch_value(
        "SELECT (SELECT count(*) FROM comments WHERE state = 'held')"
        " + (SELECT count(*) FROM follows WHERE state = 'pending' AND followee_iri >= ? AND followee_iri < ?)"
        " + (SELECT count(*) FROM reports WHERE state = 'open')", (f"{urls.base}/", f"{urls.base}0")) or 0)
