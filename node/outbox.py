"""Storing our own activities (the outbox) and queueing their delivery, in the caller's transaction."""

import json
from collections.abc import Iterable
from typing import Any

from protocol.iri import iri_host
from protocol.jsonld import AS_PUBLIC, OUTGOING_CONTEXT, dumps_document

from . import clock
from .db import Database, Transaction


async def send(tx: Transaction, *, actor_id: int, document: dict[str, Any], inboxes: Iterable[str]) -> int:
    """Store an activity and queue it for each inbox; returns its row id. The stored JSON text is the
    exact body every inbox receives, so its Digest is computed over the bytes we keep."""
    addressed = [*_as_list(document.get("to")), *_as_list(document.get("cc"))]
    obj = document.get("object")
    object_iri = obj if isinstance(obj, str) else obj.get("id") if isinstance(obj, dict) else None
    activity_id = await tx.execute(
        "INSERT INTO activities (iri, type, actor_id, object_iri, public, document, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (document["id"], document["type"], actor_id, object_iri, int(AS_PUBLIC in addressed),
         dumps_document(document), clock.iso()),
    )
    await enqueue(tx, activity_id, inboxes)
    return activity_id


async def enqueue(tx: Transaction, activity_id: int, inboxes: Iterable[str]) -> int:
    """Queue one delivery per distinct inbox; returns how many were queued. Runs inside the
    transaction that stored the activity, so an activity never exists without its deliveries.
    Here rather than in node/delivery.py (the worker that sends them), so that storing an activity
    (`maillage publish`) does not import the HTTP client."""
    now_iso, now_ts = clock.iso(), clock.timestamp()
    rows = [(activity_id, inbox, iri_host(inbox), now_ts, now_iso, now_iso) for inbox in sorted(set(inboxes))]
    await tx.execute_many(
        "INSERT OR IGNORE INTO deliveries (activity_id, inbox, host, next_attempt_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


# How a stored document starts when it carries our context first, as every activity we build does: 3.5 kB
# of inline terms that an outbox page would parse only to drop.
_CONTEXT_PREFIX = dumps_document({"@context": OUTGOING_CONTEXT})[:-1] + ","


def _without_context(text: str) -> str:
    """A stored document's JSON text without its `@context`: cut out of the text when it starts with ours
    (every activity we build does), so that a page embeds the stored bytes without parsing them."""
    if text.startswith(_CONTEXT_PREFIX):
        return "{" + text[len(_CONTEXT_PREFIX):]
    doc = json.loads(text)
    doc.pop("@context", None)
    return dumps_document(doc)


def page_text(page: dict[str, Any], items: list[str]) -> str:
    """A collection page's JSON text with `items` (JSON texts, from `outbox_page`) as its orderedItems,
    spliced in as they are; the page's own `@context` must be ours (its text is written once, above)."""
    rest = {k: v for k, v in page.items() if k not in ("@context", "orderedItems")}
    if page.get("@context") != OUTGOING_CONTEXT:
        raise ValueError("an outbox page carries our context")
    listed = f',"orderedItems":[{",".join(items)}]' if items else ""  # an empty page lists nothing (AS2)
    return f'{_CONTEXT_PREFIX}{dumps_document(rest)[1:-1]}{listed}}}'


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# What an outbox lists: an actor's public posts, as Mastodon's outbox does (Creates and Announces; no Update,
# Delete, Like or Undo, which say nothing to a server reading it), without the Create of an item deleted
# since. The network's lists its organizers' Creates of our items in place of its own Announces of them:
# a server that starts following imports the first page's Creates (microblog.pub takes Creates only, the
# first 20 items), and an Announce of ours brought it nothing. The partial indexes of migration 0021 serve
# both parts (named for the first: the planner, with no statistics, took the index of every activity, the
# many Updates of a journey's counts included); the terms they need are written as they are there.
_OWN = ("SELECT a.id, a.document FROM activities a INDEXED BY activities_posts WHERE a.actor_id = ? AND public = 1"
        " AND type IN ('Create', 'Announce') AND a.id < ? AND NOT EXISTS (SELECT 1 FROM objects o"
        " WHERE o.iri = a.object_iri AND (o.deleted_at IS NOT NULL OR (? AND a.type = 'Announce')))")
_ITEMS = ("SELECT a.id, a.document FROM activities a JOIN objects o ON o.iri = a.object_iri"
          " WHERE public = 1 AND type = 'Create' AND a.id < ? AND o.deleted_at IS NULL")


def _posts(actor_id: int, network: bool, before_id: int | None) -> tuple[list[str], list[list[Any]]]:
    """The statements (and their parameters) that list the posts of an outbox: its actor's own, and for
    the network the Creates of our items."""
    before = before_id if before_id is not None else 2**62
    parts, params = [_OWN], [[actor_id, before, int(network)]]
    if network:
        parts.append(_ITEMS)
        params.append([before])
    return parts, params


async def outbox_page(
    db: Database, actor_id: int, *, before_id: int | None, limit: int, network: bool = False
) -> list[tuple[int, str]]:
    """An outbox's posts, newest first, as (row id, JSON text of the document without @context)."""
    parts, params = _posts(actor_id, network, before_id)
    union = " UNION ALL ".join(f"SELECT * FROM ({sql} ORDER BY a.id DESC LIMIT ?)" for sql in parts)
    rows = await db.fetch_all(f"{union} ORDER BY id DESC LIMIT ?",
                              [*(p for args in params for p in (*args, limit)), limit])
    return [(r["id"], _without_context(r["document"])) for r in rows]


async def count_public(db: Database, actor_id: int, *, network: bool = False) -> int:
    """How many posts an outbox lists (its `totalItems`)."""
    parts, params = _posts(actor_id, network, None)
    counts = " + ".join(f"(SELECT count(*) FROM ({sql}))" for sql in parts)
    return int(await db.fetch_value(f"SELECT {counts}", [p for args in params for p in args]))
