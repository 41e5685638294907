"""Messages: posts from elsewhere that address or mention one of our actors, kept by the inbox
(node/relevance.py keeps them) and listed on the organizer desk, so that a Mastodon user who writes to
`@organizer@node` or to the network is read. A post not addressed to the public is a private message:
listed for the actors it names only, and never answered in public from the desk."""

import json
from typing import Any

from protocol.activities import addressed_publicly
from protocol.handles import handle_text

from . import clock
from .comments import content_html
from .db import FIRST_PAGE, Database, Transaction, keyset_page
from .relevance import addressed_iris
from .urls import Urls


async def record(tx: Transaction, urls: Urls, iri: str, document: dict[str, Any]) -> None:
    """Note which of our actors the kept post `document` addresses or mentions (none: nothing)."""
    ours = f"{urls.base}/users/"
    names = {a.removeprefix(ours) for a in addressed_iris(document) if a.startswith(ours)}
    names = {n for n in names if n and "/" not in n}
    if not names:
        return
    rows = await tx.fetch_all(f"SELECT id FROM actors WHERE username IN ({','.join('?' * len(names))})",
                              sorted(names))
    private = int(not addressed_publicly(document))
    await tx.execute_many(
        "INSERT INTO mentions (object_iri, actor_id, private, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (object_iri, actor_id) DO NOTHING", [(iri, r["id"], private, clock.iso()) for r in rows])


async def listed(db: Database, actor_ids: list[int], lang: str, *, limit: int,
                 before: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the messages to these actors, newest first, and the cursor of the next (older) page, or
    None: not comments (the desk lists those apart), not deleted; each with its author, its text
    (sanitized) in `lang` or as written, and whether it is private. `before` is a cursor this returned."""
    if not actor_ids:
        return [], None
    rows = await db.fetch_all(
        "SELECT m.object_iri, max(m.private) AS private, min(m.id) AS first, o.document, o.attributed_to,"
        " o.received_at, ra.name, ra.username, ra.host FROM mentions m JOIN remote_objects o ON o.iri = m.object_iri"
        " LEFT JOIN remote_actors ra ON ra.iri = o.attributed_to"
        f" WHERE m.actor_id IN ({','.join('?' * len(actor_ids))}) AND o.deleted_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.iri = m.object_iri)"
        " GROUP BY m.object_iri HAVING first < ? ORDER BY first DESC LIMIT ?",
        (*actor_ids, FIRST_PAGE if before is None else before, limit + 1))
    shown, older = keyset_page(rows, limit, lambda r: int(r["first"]))
    out = []
    for row in shown:
        doc = json.loads(row["document"] or "{}")
        handle = handle_text(row["username"], row["host"]) or row["attributed_to"]
        url = doc.get("url")  # where it is read at its origin; anything but a web address (javascript:) is not
        url = url if isinstance(url, str) and url.startswith(("https://", "http://")) else row["object_iri"]
        out.append({"iri": row["object_iri"], "url": url, "private": bool(row["private"]),
                    "author": row["name"] or handle, "handle": handle, "received_at": row["received_at"],
                    "html": content_html(doc, lang)})
    return out, older


async def is_private(db: Database, iri: str) -> bool:
    """Whether `iri` is a private message to one of us (the desk never answers one in public)."""
    return bool(await db.fetch_value("SELECT 1 FROM mentions WHERE object_iri = ? AND private = 1", (iri,)))
