"""What an item's document and page say about its audience: likes and re-shares (one per actor), and
the node's comment moderation in Mobilizon's terms. A leaf module, so content.py can read it when it
builds documents.

The moderation mode is the config key `comments`, or an admin's change from the browser
(node/settings.py); `maillage serve` copies the effective one into `node_settings` when it starts
(`sync_comment_mode`; the admin page writes it there too), because documents are built in places that
see no config (a journey's counts republished from the inbox worker, `maillage publish`). The serving
process is the one authority: a CLI command run with other environment variables cannot change it.
"""

import json
from typing import Any

from .db import Database, Transaction

MODES = ("open", "held", "closed")
MOBILIZON = {"open": "allow_all", "held": "moderated", "closed": "closed"}


async def sync_comment_mode(db: Database, mode: str) -> None:
    """Record the configured mode; written only when it changed (every CLI command opens the database).
    A mode an admin chose in the admin pages (`settings` table, node/settings.py) wins over the config."""
    override = await db.fetch_value("SELECT value FROM settings WHERE key = 'comments'")
    mode = json.loads(override) if override else mode
    if await db.fetch_value("SELECT value FROM node_settings WHERE key = 'comments'") == mode:
        return
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO node_settings (key, value) VALUES ('comments', ?)"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (mode,))


async def comment_mode(db: Database | Transaction) -> str:
    value = await db.fetch_value("SELECT value FROM node_settings WHERE key = 'comments'")
    return value if value in MODES else "open"


def item_mode(node_mode: str, fields: dict[str, Any]) -> str:
    """A journey published with `comments: false` is closed whatever the node's mode."""
    return "closed" if fields.get("commentsEnabled") is False else node_mode


async def counts(db: Database | Transaction, iri: str, *, local: bool = True) -> dict[str, int]:
    """{"likes": n, "shares": n}. For a peer's item, what its origin last told us (`likes`/`shares`
    totalItems in its document) when that is more than the reactions we saw ourselves."""
    rows = await db.fetch_all("SELECT type, count(*) AS n FROM reactions WHERE object_iri = ? GROUP BY type", (iri,))
    seen = {r["type"]: r["n"] for r in rows}
    result = {"likes": seen.get("Like", 0), "shares": seen.get("Announce", 0)}
    if not local:
        raw = await db.fetch_value("SELECT document FROM remote_objects WHERE iri = ?", (iri,))
        doc = json.loads(raw) if raw else {}
        for key in result:
            total = doc.get(key, {}).get("totalItems") if isinstance(doc.get(key), dict) else None
            if isinstance(total, int) and not isinstance(total, bool) and total > result[key]:
                result[key] = min(total, 10**9)
    return result


async def document_fields(db: Database | Transaction, iri: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`likes` and `shares` as Mastodon shows them (a Collection with totalItems), and whether and how
    replies are taken (Mobilizon's `repliesModerationOption` and `commentsEnabled`)."""
    found = await counts(db, iri)
    mode = item_mode(await comment_mode(db), fields)
    return {
        "likes": {"id": f"{iri}/likes", "type": "Collection", "totalItems": found["likes"]},
        "shares": {"id": f"{iri}/shares", "type": "Collection", "totalItems": found["shares"]},
        "commentsEnabled": mode != "closed",
        "repliesModerationOption": MOBILIZON[mode],
    }
