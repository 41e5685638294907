"""Accounts an admin blocked: one abusive account elsewhere, where blocking its whole server
(`domains.blocked`) would cut off everyone else there. As Mastodon's per-account suspension does, a
block is local and silent (nothing is sent to the account or its server):

- the inbox refuses their activities (403) before anything is stored;
- their posts are not kept when others boost them or when a discussion is back-filled;
- what they had here is removed or hidden in the same transaction: their follows of our actors (nothing
  more is delivered to them), their comments (rejected: off our pages and collections; the network's
  relays of them are undone at its followers), their messages to the desk, and their journey
  participations (the counts are republished).

Unblocking lets their next activities in; what the block removed stays removed.
"""

from protocol.handles import handle_text

from . import clock, comments, participation
from .db import Database, Transaction
from .follows import changed as follows_changed
from .urls import Urls


class BlockError(Exception):
    """The account cannot be blocked; the message says why."""


async def is_blocked(db: Database | Transaction, iri: str | None) -> bool:
    return iri is not None and bool(await db.fetch_value("SELECT 1 FROM blocked_accounts WHERE iri = ?", (iri,)))


async def block(db: Database, urls: Urls, iri: str, reason: str = "") -> bool:
    """Block the account `iri` and remove what it had here, in one transaction. False if it was already."""
    if iri.startswith(f"{urls.base}/"):
        raise BlockError("an account of this node cannot be blocked: suspend its login instead")
    async with db.transaction() as tx:
        if await tx.fetch_value("SELECT 1 FROM blocked_accounts WHERE iri = ?", (iri,)):
            return False
        await tx.execute("INSERT INTO blocked_accounts (iri, reason, created_at) VALUES (?, ?, ?)",
                         (iri, reason.strip(), clock.iso()))
        await _remove_traces(tx, urls, iri)
    return True


async def _remove_traces(tx: Transaction, urls: Urls, iri: str) -> None:
    follows_changed(tx)
    await tx.execute("DELETE FROM follows WHERE follower_iri = ?", (iri,))
    for row in await tx.fetch_all("SELECT iri FROM comments WHERE author_iri = ? AND state = 'approved'", (iri,)):
        await comments.withdraw(tx, urls, row["iri"])  # relayed ones are withdrawn from the followers too
    await tx.execute("UPDATE comments SET state = 'rejected' WHERE author_iri = ? AND state = 'held'", (iri,))
    await tx.execute("DELETE FROM mentions WHERE object_iri IN (SELECT m.object_iri FROM mentions m"  # few rows:
                     " JOIN remote_objects o ON o.iri = m.object_iri WHERE o.attributed_to = ?)", (iri,))  # no scan
    rows = await tx.fetch_all("SELECT DISTINCT o.iri FROM participations p JOIN objects o ON o.id = p.object_id"
                              " WHERE p.actor_iri = ?", (iri,))
    for row in rows:
        journey = await participation.local_journey(tx, row["iri"])
        if journey is not None:
            await participation.leave(tx, urls, journey, iri)


async def unblock(db: Database, iri: str) -> bool:
    """Let the account's next activities in again. False if it was not blocked."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM blocked_accounts WHERE iri = ?", (iri,))
        return bool(await tx.changes())


async def listed(db: Database) -> list[dict[str, str]]:
    """The blocked accounts, newest first, with the handle known for each (or None)."""
    rows = await db.fetch_all(
        "SELECT b.iri, b.reason, b.created_at, ra.username, ra.host, ra.name FROM blocked_accounts b"
        " LEFT JOIN remote_actors ra ON ra.iri = b.iri ORDER BY b.created_at DESC, b.iri")
    return [{"iri": r["iri"], "reason": r["reason"], "created_at": r["created_at"], "name": r["name"],
             "handle": handle_text(r["username"], r["host"]) or ""} for r in rows]
