"""Organizers reply from the node: a Note by the organizer with `inReplyTo`, delivered to whoever wrote
what it answers, to the author of the item the thread belongs to (so the reply shows where the item
lives), and to the organizer's and the network's followers, as our items are. It is in the item's
thread and `replies` at once: an organizer's words need no moderation."""

import json
import uuid
from typing import Any

from protocol.activities import build_create
from protocol.iri import iri_host, same_origin
from protocol.jsonld import AS_PUBLIC

from . import clock
from .accounts import ActorRow
from .comments import CommentError, thread_root
from .db import Database
from .fetch import Fetcher, FetchError
from .follows import follower_inboxes
from .outbox import send
from .render import markdown_to_html
from .urls import Urls

MAX_REPLY = 20_000  # characters of Markdown


def _attributed(document: dict[str, Any]) -> str | None:
    value = document.get("attributedTo")
    value = value[0] if isinstance(value, list) and value else value
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, str) else None


async def author_of(db: Database, urls: Urls, fetcher: Fetcher, iri: str) -> str:
    """Who wrote `iri`: one of our items or replies, something we hold, or else asked of its origin."""
    if iri.startswith(f"{urls.base}/"):
        name = await db.fetch_value("SELECT a.username FROM objects o JOIN actors a ON a.id = o.actor_id"
                                    " WHERE o.iri = ? AND o.deleted_at IS NULL", (iri,))
        found = urls.actor(name) if name else await db.fetch_value(
            "SELECT author_iri FROM comments WHERE iri = ? AND actor_id IS NOT NULL", (iri,))
        if not found:
            raise CommentError(f"nothing at {iri} on this node")
        return str(found)
    for sql in ("SELECT author_iri FROM comments WHERE iri = ?",
                "SELECT attributed_to FROM remote_objects WHERE iri = ? AND deleted_at IS NULL"):
        found = await db.fetch_value(sql, (iri,))
        if found:
            return str(found)
    try:
        document = await fetcher.get_object(iri)
    except FetchError as exc:
        raise CommentError(f"cannot fetch {iri}: {exc.reason}") from exc
    author = _attributed(document)
    if document.get("id") != iri or author is None or not same_origin(author, iri):
        raise CommentError(f"{iri} is not an object written on its own server")
    return author


async def reply(db: Database, urls: Urls, fetcher: Fetcher, *, network: str, organizer: ActorRow, target: str,
                text_md: str, lang: str) -> str:
    """Publish the reply; returns the Note's IRI."""
    text_md = text_md.strip()
    if not text_md:
        raise CommentError("the reply is empty")
    if len(text_md) > MAX_REPLY:
        raise CommentError(f"the reply is longer than {MAX_REPLY} characters")
    parent_author = await author_of(db, urls, fetcher, target)
    found = await thread_root(db, urls, target)
    root = found[0] if found else target
    root_author = parent_author if root == target else await author_of(db, urls, fetcher, root)
    remote = [a for a in dict.fromkeys([parent_author, root_author]) if not a.startswith(f"{urls.base}/")]
    inboxes, mentions = set(), []
    try:
        for author in remote:
            actor = await fetcher.get_actor(author)
            inboxes.add(actor.shared_inbox or actor.inbox)
            mention = {"type": "Mention", "href": author}
            if actor.username:
                mention["name"] = f"@{actor.username}@{iri_host(author)}"
            mentions.append(mention)
    except FetchError as exc:
        raise CommentError(f"cannot reach the author of {target}: {exc.reason}") from exc
    author_iri, group_iri, now = urls.actor(organizer.username), urls.actor(network), clock.iso()
    content = markdown_to_html(text_md).strip()
    note: dict[str, Any] = {
        "id": urls.note(str(uuid.uuid4())), "type": "Note", "attributedTo": author_iri, "inReplyTo": target,
        "content": content, "contentMap": {lang: content}, "published": now, "to": [AS_PUBLIC],
        "cc": [urls.followers(organizer.username), urls.followers(network), *remote],
    }
    if mentions:  # no empty array (AS2)
        note["tag"] = mentions
    note["url"] = note["id"]
    create = build_create(iri=urls.new_activity(), actor=author_iri, obj=note, published=now)
    async with db.transaction() as tx:
        inboxes |= set(await follower_inboxes(tx, [author_iri, group_iri]))
        await tx.execute(
            "INSERT INTO comments (iri, root_iri, in_reply_to, author_iri, state, actor_id, document, created_at)"
            " VALUES (?, ?, ?, ?, 'approved', ?, ?, ?)",
            (note["id"], root, target, author_iri, organizer.id, json.dumps(note, ensure_ascii=False), now))
        await send(tx, actor_id=organizer.id, document=create, inboxes=sorted(inboxes))
    return str(note["id"])
