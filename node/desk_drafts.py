"""Drafts of the desk: an item's form saved as typed, not validated and not published (nothing is sent
to anyone), to finish and publish later. Each is its author's only; publishing it removes it."""

import json
from dataclasses import dataclass

import aiosqlite

from .clock import iso
from .db import Database

MAX_DRAFTS = 200  # per organizer: what one account can keep


class DraftLimit(Exception):
    """The organizer has MAX_DRAFTS drafts already."""


@dataclass(frozen=True)
class SavedDraft:
    id: int
    kind: str
    mode: str  # new, edit or translate
    slug: str | None  # the item an edit or translation is about
    title: str
    form: dict[str, str]
    updated_at: str


_SELECT = ("SELECT d.id, d.kind, d.mode, o.slug, d.title, d.form, d.updated_at FROM desk_drafts d"
           " LEFT JOIN objects o ON o.id = d.object_id")


def _saved(r: aiosqlite.Row) -> SavedDraft:
    form = json.loads(r["form"])
    return SavedDraft(id=r["id"], kind=r["kind"], mode=r["mode"], slug=r["slug"], title=r["title"],
                      form={str(k): str(v) for k, v in form.items()}, updated_at=r["updated_at"])


async def save(db: Database, *, actor_id: int, kind: str, mode: str, object_id: int | None, form: dict[str, str],
               draft_id: int | None = None) -> int:
    """Keep the form as typed; `draft_id` (the author's) is saved over. Returns the draft's id."""
    title = form.get("title", "").strip()[:300]
    async with db.transaction() as tx:
        if draft_id is not None and await tx.fetch_value(
                "SELECT 1 FROM desk_drafts WHERE id = ? AND actor_id = ?", (draft_id, actor_id)):
            await tx.execute("UPDATE desk_drafts SET title = ?, form = ?, updated_at = ? WHERE id = ?",
                             (title, json.dumps(form, ensure_ascii=False), iso(), draft_id))
            return draft_id
        if await tx.fetch_value("SELECT count(*) FROM desk_drafts WHERE actor_id = ?", (actor_id,)) >= MAX_DRAFTS:
            raise DraftLimit
        return await tx.execute(
            "INSERT INTO desk_drafts (actor_id, kind, mode, object_id, title, form, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (actor_id, kind, mode, object_id, title, json.dumps(form, ensure_ascii=False), iso()))


async def load(db: Database, draft_id: int, actor_id: int) -> SavedDraft | None:
    row = await db.fetch_one(f"{_SELECT} WHERE d.id = ? AND d.actor_id = ?", (draft_id, actor_id))
    return _saved(row) if row is not None else None


async def list_drafts(db: Database, actor_id: int) -> list[SavedDraft]:
    rows = await db.fetch_all(f"{_SELECT} WHERE d.actor_id = ? ORDER BY d.updated_at DESC, d.id DESC",
                              (actor_id,))
    return [_saved(r) for r in rows]


async def remove(db: Database, draft_id: int, actor_id: int) -> bool:
    """Forget the draft (published, or thrown away); False when it was not there."""
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM desk_drafts WHERE id = ? AND actor_id = ?", (draft_id, actor_id))
        return bool(await tx.changes())
