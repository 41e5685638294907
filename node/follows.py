"""Follow relationships in both directions, and who receives what a local actor sends."""

from collections.abc import Sequence
from typing import Any

from protocol.activities import build_accept, build_reject
from protocol.iri import iri_host

from . import clock
from .db import Database, Transaction
from .outbox import send
from .urls import Urls

# Bumped once a transaction that changed a follow commits: what is cached of who follows whom
# (node/relevance.FollowedHosts) is read again.
generation = 0


def changed(tx: Transaction) -> None:
    """Note that `tx` changes follows."""
    tx.after_commit.append(_bump)


def _bump() -> None:
    global generation
    generation += 1


async def upsert_follow(
    tx: Transaction, *, follower_iri: str, followee_iri: str, activity_iri: str, state: str
) -> None:
    """Record a follow; a repeated Follow replaces the previous one (new activity id, new state)."""
    now = clock.iso()
    changed(tx)
    await tx.execute(
        "INSERT INTO follows (follower_iri, followee_iri, activity_iri, state, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (follower_iri, followee_iri) DO UPDATE SET"
        " activity_iri = excluded.activity_iri, state = excluded.state, updated_at = excluded.updated_at",
        (follower_iri, followee_iri, activity_iri, state, now, now),
    )


async def set_follow_state(tx: Transaction, *, follower_iri: str, followee_iri: str, state: str) -> bool:
    changed(tx)
    await tx.execute(
        "UPDATE follows SET state = ?, updated_at = ? WHERE follower_iri = ? AND followee_iri = ?",
        (state, clock.iso(), follower_iri, followee_iri),
    )
    return await tx.changes() > 0


async def remove_follow(tx: Transaction, *, follower_iri: str, followee_iri: str) -> bool:
    changed(tx)
    await tx.execute("DELETE FROM follows WHERE follower_iri = ? AND followee_iri = ?", (follower_iri, followee_iri))
    return await tx.changes() > 0


async def get_follow(db: Database | Transaction, follower_iri: str, followee_iri: str) -> dict[str, str] | None:
    row = await db.fetch_one(
        "SELECT follower_iri, followee_iri, activity_iri, state FROM follows"
        " WHERE follower_iri = ? AND followee_iri = ?",
        (follower_iri, followee_iri),
    )
    return dict(row) if row else None


async def follower_inboxes(db: Database | Transaction, followee_iris: Sequence[str]) -> list[str]:
    """Distinct inboxes of the accepted followers of these actors, shared inboxes preferred, so a
    server with a thousand followers receives one POST."""
    marks = ",".join("?" * len(followee_iris))
    rows = await db.fetch_all(
        "SELECT DISTINCT COALESCE(ra.shared_inbox, ra.inbox) AS inbox FROM follows f"
        f" JOIN remote_actors ra ON ra.iri = f.follower_iri WHERE f.followee_iri IN ({marks})"
        " AND f.state = 'accepted' ORDER BY inbox",
        list(followee_iris),
    )
    return [r["inbox"] for r in rows]


async def expire_followers(tx: Transaction, hosts: set[str]) -> dict[str, int]:
    """Remove the follows of remote actors whose inbox (the shared one first, where deliveries go) is on
    one of `hosts`; returns how many per host (node/hosts.expire says when)."""
    rows = await tx.fetch_all("SELECT f.id, COALESCE(ra.shared_inbox, ra.inbox) AS inbox FROM follows f"
                              " JOIN remote_actors ra ON ra.iri = f.follower_iri")
    removed: dict[str, int] = {}
    ids = []
    for row in rows:
        if (host := iri_host(row["inbox"])) in hosts:
            ids.append(row["id"])
            removed[host] = removed.get(host, 0) + 1
    if ids:
        changed(tx)
        await tx.execute_many("DELETE FROM follows WHERE id = ?", [(i,) for i in ids])
    return removed


async def count_follows(db: Database, *, followee_iri: str | None = None, follower_iri: str | None = None) -> int:
    if followee_iri is not None:
        return int(await db.fetch_value(
            "SELECT count(*) FROM follows WHERE followee_iri = ? AND state = 'accepted'", (followee_iri,)))
    return int(await db.fetch_value(
        "SELECT count(*) FROM follows WHERE follower_iri = ? AND state = 'accepted'", (follower_iri,)))


async def list_follows(
    db: Database, *, followee_iri: str | None = None, follower_iri: str | None = None, after_id: int = 0,
    limit: int = 50,
) -> list[tuple[int, str]]:
    """(row id, IRI of the other side) of accepted follows, oldest first, for collection pages."""
    arg: str | None
    if followee_iri is not None:
        sql, arg, col = "followee_iri = ?", followee_iri, "follower_iri"
    else:
        sql, arg, col = "follower_iri = ?", follower_iri, "followee_iri"
    rows = await db.fetch_all(
        f"SELECT id, {col} AS other FROM follows WHERE {sql} AND state = 'accepted' AND id > ? ORDER BY id LIMIT ?",
        (arg, after_id, limit),
    )
    return [(r["id"], r["other"]) for r in rows]


def follow_document(activity_iri: str, follower_iri: str, followee_iri: str) -> dict[str, Any]:
    """A received Follow as our Accept or Reject embeds it (id, type, actor, object)."""
    return {"id": activity_iri, "type": "Follow", "actor": follower_iri, "object": followee_iri}


async def answer_follow(tx: Transaction, urls: Urls, *, actor_id: int, follow: dict[str, Any], inbox: str,
                        accept: bool) -> None:
    """Accept or Reject a Follow of one of our actors (at once from the inbox, or an admin's decision)."""
    build = build_accept if accept else build_reject
    document = build(iri=urls.new_activity(), actor=follow["object"], follow=follow)
    await send(tx, actor_id=actor_id, document=document, inboxes=[inbox])
