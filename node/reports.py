"""Reports: a Flag activity (Mastodon's "report to the remote server") naming one of our actors or
items, kept for the admins with the reporter's comment. An admin marks it resolved or dismissed; what
to do about the content (delete it, block a domain) stays their decision, taken with the other tools."""

import json
from typing import Any

from protocol.activities import Activity

from . import clock
from .db import Database
from .states import InboxState

MAX_TARGETS, MAX_CONTENT = 50, 5000
STATES = ("open", "resolved", "dismissed")


def _targets(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items[:MAX_TARGETS]:
        iri = item.get("id") if isinstance(item, dict) else item
        if isinstance(iri, str) and iri.startswith(("http://", "https://")):
            out.append(iri)
    return list(dict.fromkeys(out))


async def on_flag(ctx: Any, activity: Activity, raw: dict[str, object]) -> InboxState:
    """The inbox handler for Flag: stored when it names something of ours, once per activity id."""
    targets = _targets(raw.get("object"))
    if not any(t.startswith(f"{ctx.urls.base}/") for t in targets):
        return InboxState.IGNORED
    content = raw.get("content")
    text = content.strip()[:MAX_CONTENT] if isinstance(content, str) else ""
    async with ctx.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO reports (activity_iri, reporter_iri, targets, content, received_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (activity_iri) DO NOTHING",
            (activity.iri, activity.actor, json.dumps(targets), text, clock.iso()))
    return InboxState.DONE


async def list_reports(db: Database, state: str = "open", limit: int = 100) -> list[dict[str, Any]]:
    rows = await db.fetch_all("SELECT id, activity_iri, reporter_iri, targets, content, state, received_at"
                              " FROM reports WHERE state = ? ORDER BY id DESC LIMIT ?", (state, limit))
    return [{**dict(r), "targets": json.loads(r["targets"])} for r in rows]


async def decide(db: Database, report_id: int, state: str) -> bool:
    """Mark an open report resolved or dismissed; False when there is no such open report."""
    if state not in STATES[1:]:
        raise ValueError(state)
    async with db.transaction() as tx:
        await tx.execute("UPDATE reports SET state = ?, decided_at = ? WHERE id = ? AND state = 'open'",
                         (state, clock.iso(), report_id))
        return await tx.changes() > 0
