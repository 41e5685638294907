"""Storing our own activities (the outbox) and queueing their delivery, in the caller's transaction."""

import json
from collections.abc import Iterable
from typing import Any

from protocol.jsonld import AS_PUBLIC, OUTGOING_CONTEXT, dumps_document

from . import clock
from .db import Database, Transaction
from .delivery import enqueue


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


async def outbox_page(
    db: Database, actor_id: int, *, before_id: int | None, limit: int
) -> list[tuple[int, str]]:
    """Public activities of an actor, newest first, as (row id, JSON text of the document without @context)."""
    rows = await db.fetch_all(
        "SELECT id, document FROM activities WHERE actor_id = ? AND public = 1 AND id < ? ORDER BY id DESC LIMIT ?",
        (actor_id, before_id if before_id is not None else 2**62, limit),
    )
    return [(r["id"], _without_context(r["document"])) for r in rows]


async def count_public(db: Database, actor_id: int) -> int:
    return int(await db.fetch_value("SELECT count(*) FROM activities WHERE actor_id = ? AND public = 1", (actor_id,)))
