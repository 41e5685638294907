"""Receiving activities: verify, dedupe, store raw, answer 202. Processing happens in the inbox worker.

Order of checks follows Mastodon's inbox controller: size, media type, JSON, signature, then the
signer must be the activity's actor. Every refusal carries a precise reason.
"""

import json
from dataclasses import dataclass
from typing import Any

from multidict import CIMultiDictProxy

from protocol.activities import Activity, parse_activity
from protocol.errors import ParseError, SignatureError
from protocol.httpsig import key_owner_iri, parse_signature_header, verify_request
from protocol.iri import iri_host
from protocol.jsonld import compact

from . import clock
from .db import Database
from .fetch import Fetcher, FetchError

MAX_BODY_BYTES = 1_000_000
MAX_JSON_DEPTH = 64
ACCEPTED_MEDIA_TYPES = ("application/activity+json", "application/ld+json", "application/json")


class InboxRejection(Exception):
    """An incoming POST is refused with this HTTP status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Received:
    """A verified activity; `stored` is False when it was a duplicate or deliberately dropped."""

    activity: Activity | None
    stored: bool


def check_media_type(content_type: str) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media not in ACCEPTED_MEDIA_TYPES:
        raise InboxRejection(415, f"unsupported content type {media or '(none)'}: send application/activity+json")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value, stopping early past `limit` (deep nesting is an attack, not content)."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def parse_body(body: bytes) -> dict[str, Any]:
    if not body:
        raise InboxRejection(400, "empty body")
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise InboxRejection(400, "body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise InboxRejection(400, "body is not a JSON object")
    if _depth(doc, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise InboxRejection(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return doc


async def receive(
    *, db: Database, fetcher: Fetcher, method: str, path: str, headers: CIMultiDictProxy[str], body: bytes,
    recipient_actor_id: int | None,
) -> Received:
    """Verify and store one POSTed activity. Raises InboxRejection with the status to answer."""
    doc = parse_body(body)
    signature = headers.get("Signature") or (
        headers.get("Authorization", "") if headers.get("Authorization", "").startswith("Signature ") else ""
    )
    if not signature:
        raise InboxRejection(401, "request is not signed (no Signature header)")
    try:
        params = parse_signature_header(signature)
    except SignatureError as exc:
        raise InboxRejection(401, f"bad Signature header: {exc.reason}") from None
    signer_host = iri_host(params.key_id) if params.key_id.startswith(("http://", "https://")) else ""
    if signer_host and await db.fetch_value("SELECT blocked FROM domains WHERE host = ?", (signer_host,)):
        raise InboxRejection(403, f"domain {signer_host} is blocked")
    try:
        owner, pem = await fetcher.get_key(params.key_id)
    except FetchError as exc:
        if exc.gone and doc.get("type") == "Delete" and key_owner_iri(params.key_id) == doc.get("actor"):
            # A deleted account's last Delete cannot be verified (Mastodon sends it after removing the
            # key); there is nothing of theirs to keep, so accept and drop it.
            return Received(activity=None, stored=False)
        raise InboxRejection(401, f"could not fetch signing key {params.key_id}: {exc.reason}") from None
    now = clock.now()
    try:
        verify_request(method=method, path=path, headers=headers, body=body, params=params, public_key_pem=pem, now=now)
    except SignatureError as first:
        try:
            owner, fresh = await fetcher.get_key(params.key_id, refresh=True)
        except FetchError:
            raise InboxRejection(401, f"signature rejected: {first.reason}") from None
        if fresh == pem:
            raise InboxRejection(401, f"signature rejected: {first.reason}") from None
        try:
            verify_request(method=method, path=path, headers=headers, body=body, params=params,
                           public_key_pem=fresh, now=now)
        except SignatureError as exc:
            raise InboxRejection(401, f"signature rejected: {exc.reason}") from None
    # Only signed requests reach the JSON-LD processor: compaction can be costly.
    try:
        activity = parse_activity(compact(doc))
    except ParseError as exc:
        raise InboxRejection(400, f"not a valid activity: {exc.reason}") from None
    host = iri_host(activity.actor)
    if owner != activity.actor:
        raise InboxRejection(401, f"signed by {owner}, but the activity's actor is {activity.actor}")
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE domains SET failing_since = NULL, unavailable = 0 WHERE host = ? AND failing_since IS NOT NULL",
            (host,),
        )
        await tx.execute(
            "INSERT OR IGNORE INTO inbox (activity_iri, type, actor_iri, recipient_actor_id, document, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (activity.iri, activity.type, activity.actor, recipient_actor_id, json.dumps(doc), clock.iso()),
        )
        stored = await tx.changes() > 0
    return Received(activity=activity, stored=stored)
