"""Comments: replies from anywhere (a Mastodon Note whose inReplyTo is one of our items, or a reply to
a reply: threaded) shown under the item they belong to, with the node's moderation (`comments`: open,
held for an organizer's decision, closed). An approved comment on one of our items is announced by
the network Group to its followers (FEP-1b12), so the nodes that hold the item show it too; on those
nodes the origin's announce is the approval. Organizers reply from the node (node/replying.py).

A remote comment's document stays in `remote_objects` (the inbox keeps it); this table adds where it
belongs (`root_iri`) and its state. Our own replies keep their Note here.
"""

import html
import json
from typing import Any

import nh3

from protocol.activities import Activity, addressed_publicly, build_announce, build_undo
from protocol.handles import handle_text, remote_username
from protocol.iri import same_origin
from protocol.jsonld import AS_PUBLIC
from protocol.langmap import parse_lang_map, pick

from . import clock, social
from .db import Database, Transaction
from .follows import follower_inboxes
from .outbox import send
from .render import sanitize
from .urls import Urls

MAX_THREAD = 500  # comments shown under one item
MAX_DEPTH = 6  # deeper replies are shown at this depth


class CommentError(Exception):
    """A moderation decision or a reply cannot be made; the message says why."""


def reply_target(document: dict[str, Any]) -> str | None:
    value = document.get("inReplyTo")
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


async def thread_root(db: Database | Transaction, urls: Urls, parent: str) -> tuple[str, str] | None:
    """(root item, its moderation mode) for a reply to `parent`: one of our items, a comment we know,
    or a peer's item we hold. None: not a reply to anything shown here."""
    row = await db.fetch_one("SELECT iri, fields FROM objects WHERE iri = ? AND deleted_at IS NULL", (parent,))
    if row is not None:
        return row["iri"], social.item_mode(await social.comment_mode(db), json.loads(row["fields"]))
    root = await db.fetch_value("SELECT root_iri FROM comments WHERE iri = ? AND state = 'approved'", (parent,))
    if root is None and await db.fetch_value(
            "SELECT 1 FROM remote_content WHERE iri = ? AND deleted_at IS NULL", (parent,)):
        root = parent
    if root is None:
        return None
    if root.startswith(f"{urls.base}/"):
        fields = await db.fetch_value("SELECT fields FROM objects WHERE iri = ? AND deleted_at IS NULL", (root,))
        if fields is None:
            return None
        return root, social.item_mode(await social.comment_mode(db), json.loads(fields))
    return root, await social.comment_mode(db)


async def _under_held(db: Database | Transaction, urls: Urls, parent: str) -> tuple[str, str] | None:
    """`thread_root` for a reply to a comment still held: (its item, the item's mode), or None."""
    root = await db.fetch_value("SELECT root_iri FROM comments WHERE iri = ? AND state = 'held'", (parent,))
    return None if root is None else await thread_root(db, urls, root)


async def in_thread(db: Database | Transaction, urls: Urls, parent: str) -> bool:
    """Whether a reply to `parent` is in a thread shown here, or to be (under a comment still held)."""
    return await thread_root(db, urls, parent) is not None or await _under_held(db, urls, parent) is not None


async def file_reply(tx: Transaction, urls: Urls, *, iri: str, document: dict[str, Any], author: str,
                     via: Activity | None = None, listed_by: str | None = None) -> bool:
    """Called by the inbox before it keeps a remote object. A public Note replying into a thread shown
    here becomes a comment: approved or held by our mode for our items; on a peer's item, approved when
    the item's origin announced it, listed it or wrote it, else by our mode; under a comment still held,
    held with it whatever the mode (shown alone, it would read out of context). Returns False when the object
    must not be kept (a reply to our item while comments are closed). `via`: the Announce it came in;
    `listed_by`: the replies collection that listed it (backfill)."""
    announcer = via.actor if via is not None else listed_by
    parent = reply_target(document)
    if document.get("type") != "Note" or parent is None or not addressed_publicly(document):
        return True  # a direct or followers-only reply is no comment: pages and the Group are public
    found = await thread_root(tx, urls, parent)
    waiting = False  # under a comment still held
    if found is None:
        found = await _under_held(tx, urls, parent)
        waiting = found is not None
    if found is None:
        return True
    root, mode = found
    ours = root.startswith(f"{urls.base}/")
    state = {"open": "approved", "held": "held", "closed": None}[mode]
    if not ours and (same_origin(author, root) or (announcer is not None and same_origin(announcer, root))):
        state = "approved"
    if waiting and state is not None:
        state = "held"  # under a comment not shown yet: it waits for the organizer with it
    if state is None:
        return not ours
    existing = await tx.fetch_value("SELECT state FROM comments WHERE iri = ?", (iri,))
    if existing is not None:
        return bool(existing != "rejected")
    await tx.execute(
        "INSERT INTO comments (iri, root_iri, in_reply_to, author_iri, state, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (iri, root, parent, author, state, clock.iso()))
    if state == "approved" and ours:
        await _announce(tx, urls, iri, author)
    return True


async def unvouch(tx: Transaction, urls: Urls, activity: Activity) -> bool:
    """Undo of an Announce by a peer's item's origin of a comment we hold on that item: the origin
    removed the comment (comments.withdraw, there), so it leaves our pages too. True when it did."""
    obj = activity.object
    if obj is None or obj.type != "Announce" or obj.actor != activity.actor or not obj.object_iri:
        return False
    row = await tx.fetch_one("SELECT root_iri FROM comments WHERE iri = ? AND state != 'rejected'", (obj.object_iri,))
    if row is None or row["root_iri"].startswith(f"{urls.base}/") or not same_origin(activity.actor, row["root_iri"]):
        return False
    await tx.execute("UPDATE comments SET state = 'rejected', decided_at = ? WHERE iri = ?",
                     (clock.iso(), obj.object_iri))
    return True


async def vouch(tx: Transaction, iri: str, announcer: str) -> None:
    """A comment we hold on a peer's item, announced by that item's origin: it is approved there."""
    row = await tx.fetch_one("SELECT root_iri FROM comments WHERE iri = ? AND state = 'held'", (iri,))
    if row is not None and same_origin(announcer, row["root_iri"]):
        await tx.execute("UPDATE comments SET state = 'approved', decided_at = ? WHERE iri = ?", (clock.iso(), iri))


async def _announce(tx: Transaction, urls: Urls, comment_iri: str, author: str) -> None:
    """The network Group relays an approved comment on our item to the nodes and people following it."""
    group = await tx.fetch_one("SELECT id, username FROM actors WHERE type = 'Group' ORDER BY id LIMIT 1")
    if group is None:
        return
    group_iri = urls.actor(group["username"])
    announce = build_announce(iri=urls.new_activity(), actor=group_iri, object_iri=comment_iri, to=[AS_PUBLIC],
                              cc=[urls.followers(group["username"]), author], published=clock.iso())
    await send(tx, actor_id=group["id"], document=announce, inboxes=await follower_inboxes(tx, [group_iri]))


async def withdraw(tx: Transaction, urls: Urls, iri: str) -> bool:
    """Remove a shown comment (spam that came in while comments were open, a blocked account's): it
    leaves our pages and `replies`, and where the network Group relayed it, an Undo of that Announce
    goes to the Group's followers, so their servers drop it too. False if no such comment from elsewhere
    was shown."""
    await tx.execute("UPDATE comments SET state = 'rejected', decided_at = ? WHERE iri = ? AND state = 'approved'"
                     " AND actor_id IS NULL", (clock.iso(), iri))  # not a reply from this node: that is ours
    if not await tx.changes():
        return False
    for row in await tx.fetch_all("SELECT a.document, a.actor_id, ac.username FROM activities a JOIN actors ac"
                                  " ON ac.id = a.actor_id WHERE a.type = 'Announce' AND a.object_iri = ?"
                                  " AND ac.type = 'Group'", (iri,)):
        group_iri = urls.actor(row["username"])
        undo = build_undo(iri=urls.new_activity(), actor=group_iri, activity=json.loads(row["document"]))
        await send(tx, actor_id=row["actor_id"], document=undo, inboxes=await follower_inboxes(tx, [group_iri]))
    return True


# Moderation (`maillage comments`).


async def held(db: Database) -> list[dict[str, Any]]:
    """Comments waiting for a decision, oldest first, with the text they carry (plain)."""
    rows = await db.fetch_all(
        "SELECT c.iri, c.root_iri, c.author_iri, c.created_at, r.document FROM comments c"
        " LEFT JOIN remote_objects r ON r.iri = c.iri WHERE c.state = 'held' ORDER BY c.id")
    out = []
    for row in rows:
        doc = json.loads(row["document"] or "{}")
        texts = parse_lang_map(doc.get("contentMap")) or parse_lang_map(doc.get("content"), fallback_lang="und")
        text = next(iter(texts.values()), "")
        plain = html.unescape(nh3.clean(text, tags=set()))  # for a terminal: no tags at all
        out.append({**dict(row), "text": " ".join(plain.split())[:200]})
    return out


async def decide(db: Database, urls: Urls, iri: str, *, approve: bool) -> str:
    """Approve (shown, and announced to the Group's followers) or reject a held comment."""
    async with db.transaction() as tx:
        row = await tx.fetch_one("SELECT root_iri, author_iri, state FROM comments WHERE iri = ?", (iri,))
        if row is None or row["state"] != "held":
            raise CommentError(f"no comment {iri} waiting for a decision (`maillage comments` lists them)")
        state = "approved" if approve else "rejected"
        await tx.execute("UPDATE comments SET state = ?, decided_at = ? WHERE iri = ?", (state, clock.iso(), iri))
        if approve and row["root_iri"].startswith(f"{urls.base}/"):
            await _announce(tx, urls, iri, row["author_iri"])
    return state


# Reading: pages and the replies collection.

_LIVE = "c.state = 'approved' AND (c.actor_id IS NOT NULL OR (r.iri IS NOT NULL AND r.deleted_at IS NULL))"


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


async def thread(db: Database, root_iri: str, lang: str) -> list[dict[str, Any]]:
    """The approved comments under an item, in thread order (each reply after its parent, oldest
    first), with their depth, author and sanitized HTML in the reader's language."""
    rows = await db.fetch_all(
        "SELECT c.id, c.iri, c.in_reply_to, c.author_iri, c.actor_id, c.created_at,"
        " COALESCE(c.document, r.document) AS doc,"
        " a.name, a.username, a.host, a.url, l.name AS local_name, l.username AS local_username"
        " FROM comments c LEFT JOIN remote_objects r ON r.iri = c.iri"
        " LEFT JOIN remote_actors a ON a.iri = c.author_iri LEFT JOIN actors l ON l.id = c.actor_id"
        f" WHERE c.root_iri = ? AND {_LIVE} ORDER BY c.id LIMIT ?", (root_iri, MAX_THREAD))
    known = {r["iri"] for r in rows}
    children: dict[str, list[Any]] = {}
    for row in rows:
        parent = row["in_reply_to"] if row["in_reply_to"] in known else root_iri
        children.setdefault(parent, []).append(row)
    out: list[dict[str, Any]] = []

    def walk(parent: str, depth: int) -> None:
        for row in children.get(parent, []):
            out.append(_comment(row, lang, min(depth, MAX_DEPTH)))
            walk(row["iri"], depth + 1)

    walk(root_iri, 0)
    return out


def _contents(doc: dict[str, Any], lang: str) -> dict[str, str]:
    return parse_lang_map(doc.get("contentMap")) or parse_lang_map(doc.get("content"), fallback_lang=lang)


def content_html(doc: dict[str, Any], lang: str) -> str:
    """A post's text in `lang` (or as written), sanitized: what the pages and the desk show of a comment
    or a message."""
    contents = _contents(doc, lang)
    return sanitize(pick(contents, lang, lang)) if contents else ""


async def shown_texts(db: Database, comment_id: int) -> list[str]:
    """The text of a shown (approved, not deleted) comment in each of its languages, sanitized: what its
    pages may show, whose images its route serves (node/page_images.py); none for any other."""
    row = await db.fetch_one(
        "SELECT COALESCE(c.document, r.document) AS doc FROM comments c LEFT JOIN remote_objects r ON r.iri = c.iri"
        f" WHERE c.id = ? AND {_LIVE}", (comment_id,))
    doc = json.loads(row["doc"] or "{}") if row else {}
    return [sanitize(text) for text in _contents(doc, "und").values()]


def image_at(comment_id: int) -> str:
    """Where a comment's images are served from this node's cache (node/page_images.py)."""
    return f"/comments/{comment_id}/images/"


def _comment(row: Any, lang: str, depth: int) -> dict[str, Any]:
    doc = json.loads(row["doc"] or "{}")
    author = _http(row["author_iri"])
    published = doc.get("published")
    if row["actor_id"] is not None:
        name, handle, author_page = row["local_name"] or row["local_username"], None, author
    else:
        name = row["name"] or remote_username(row["username"]) or author or ""
        handle = handle_text(row["username"], row["host"]) or row["host"]  # no handle: at least its server
        author_page = _http(row["url"]) or author
    return {
        "iri": row["iri"], "url": _http(doc.get("url")) or _http(row["iri"]), "depth": depth,
        "author_iri": author_page, "author_name": (name or "")[:200], "handle": handle,
        "local": row["actor_id"] is not None,
        "summary": doc.get("summary") if isinstance(doc.get("summary"), str) else None,
        "content_html": content_html(doc, lang), "image_at": image_at(row["id"]),
        "published": published if isinstance(published, str) else row["created_at"],
    }


async def count_replies(db: Database, root_iri: str) -> int:
    return int(await db.fetch_value(
        f"SELECT count(*) FROM comments c LEFT JOIN remote_objects r ON r.iri = c.iri WHERE c.root_iri = ? AND {_LIVE}",
        (root_iri,)))


async def reply_page(db: Database, root_iri: str, *, after: int, limit: int) -> list[tuple[int, str]]:
    """(row id, IRI) of the approved comments in an item's thread, oldest first: its `replies`."""
    rows = await db.fetch_all(
        "SELECT c.id, c.iri FROM comments c LEFT JOIN remote_objects r ON r.iri = c.iri"
        f" WHERE c.root_iri = ? AND {_LIVE} AND c.id > ? ORDER BY c.id LIMIT ?", (root_iri, after, limit))
    return [(r["id"], r["iri"]) for r in rows]
