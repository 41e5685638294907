"""Receiving activities: verify, dedupe, store raw, answer 202. Processing happens in the inbox worker.

Order of checks follows Mastodon's inbox controller: size, media type, JSON, signature, then the
signer must be the activity's actor, and the ids it brings must be on the actor's host. Every refusal
carries a precise reason. The signature is an RFC 9421
HTTP Message Signature when `Signature-Input` is present (as Mastodon and Fedify decide), else draft-cavage.

Unlike Mastodon, what the headers say comes first, before the body is read (`screen`, called by
node/web/inbox.py): a signature header for this server, by a key whose domain and held owner are not
blocked. An unsigned or misdirected POST costs no upload (node/inbox_limit.py bounds the others).

The domain/key read is a quick read on the loop's thread; requests arriving together share one inbox
write; the inbox worker of this process takes the activity parsed here instead of parsing its row again
(both kept in node/inbox_store.py).

The common case, a Create of a post that is only to be kept (`plain_create`: embedded, from its author's
server, replying to nothing, not a practice, journey or outcome), is handled here: its object row is
written in the transaction that stores the activity, whose row is stored done. The worker would run the
same statement after reading the row back, and write the row again: 60-85 µs a row, a fifth of what the
busiest kind of activity cost the node. The same post from a stranger (a server no actor of ours follows,
naming none of us) is one the worker would only ignore: its row is stored `ignored` at once, with its id
and a digest instead of its body (`ignored_document`). Everything else waits for the worker.
"""

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from multidict import CIMultiDictProxy

from protocol.activities import Activity, check_origins, parse_activity, with_transient_id
from protocol.errors import ParseError, SignatureError
from protocol.iri import iri_host
from protocol.sig import Check, read_signature
from protocol.sig.common import key_owner_iri

from . import account_blocks, clock, relevance
from .compaction import RETRY_SECONDS, CompactionBusy, compact_document
from .db import Database
from .fetch import Fetcher, FetchError
from .inbox_objects import object_row, plain_create
from .inbox_store import Handed, InboxWriter
from .remote_content import may_be_content
from .urls import Urls

MAX_BODY_BYTES = 1_000_000
MAX_JSON_DEPTH = 64
ACCEPTED_MEDIA_TYPES = ("application/activity+json", "application/ld+json", "application/json")


class InboxRejection(Exception):
    """An incoming POST is refused with this HTTP status and reason."""

    def __init__(self, status: int, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after  # seconds, for a refusal the sender should retry (429, 503)


@dataclass(frozen=True)
class Received:
    """What became of a verified activity: `stored` is False when it was a duplicate or deliberately
    dropped; `queued` is True when it was stored for the inbox worker (not handled at once)."""

    stored: bool
    queued: bool = False


def check_media_type(content_type: str) -> None:
    media = content_type.split(";")[0].strip().lower()
    if media not in ACCEPTED_MEDIA_TYPES:
        raise InboxRejection(415, f"unsupported content type {media or '(none)'}: send application/activity+json")


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value (a scalar is 1, `[1]` is 2), stopping early past `limit` (deep
    nesting is an attack, not content). Only containers are walked: a scalar inside one at depth d
    is at d + 1, the depth any member of it reaches."""
    if not isinstance(value, (dict, list)):
        return 1
    stack = [(value, 1)]
    deepest = 1
    while stack:
        item, depth = stack.pop()
        members = item.values() if isinstance(item, dict) else item
        if members:
            if depth + 1 > deepest:
                deepest = depth + 1
                if deepest > limit:
                    return deepest
            stack.extend((v, depth + 1) for v in members if isinstance(v, (dict, list)))
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
    # A value is at most one level deeper than the containers it holds, and each container is a `{` or
    # `[` byte in the body (in any encoding json.loads reads): fewer than the limit, no need to walk.
    if body.count(b"{") + body.count(b"[") >= MAX_JSON_DEPTH and _depth(doc, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise InboxRejection(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return doc


@dataclass
class Claim:
    """What an inbox POST's headers claim, checked before its body is read (`screen`): the signature's
    keyId, the check of that signature, and the key held for it, (owner IRI, PEM) or None. `verified`
    turns True once the signature is proven: a refusal after that is the signer's doing; `on_verified`
    is called then (node/inbox_limit.py: the request stops counting as unverified)."""

    key_id: str
    check: Check
    stored_key: tuple[str, str] | None
    verified: bool = False
    on_verified: Callable[[], None] | None = None

    def verify(self, pem: str, now: datetime, body: bytes) -> None:
        self.check(pem, now, body)
        self.verified = True
        if self.on_verified is not None:
            self.on_verified()


async def screen(db: Database, *, method: str, path: str, headers: CIMultiDictProxy[str], urls: Urls) -> Claim:
    """What is checked from the headers, before the body is read: a signature header, for this server,
    by a key whose domain is not blocked, nor its owner when the key is one we hold. Raises
    InboxRejection: an unsigned or misdirected POST costs no upload."""
    try:
        signature = read_signature(method, path, headers, urls.base)
    except SignatureError as exc:
        raise InboxRejection(401, exc.reason) from None
    key_id = signature.key_id
    signer_host = iri_host(key_id) if key_id.startswith(("http://", "https://")) else ""
    blocked, owner_blocked, stored_key = await _signer(db, signer_host, key_id)
    if blocked:
        raise InboxRejection(403, f"domain {signer_host} is blocked")
    if stored_key is not None and owner_blocked:
        raise InboxRejection(403, f"account {stored_key[0]} is blocked")
    return Claim(key_id, signature.check, stored_key)


async def receive(
    *, db: Database, fetcher: Fetcher, claim: Claim, body: bytes, recipient_actor_id: int | None, urls: Urls,
) -> Received:
    """Verify and store one POSTed activity whose headers passed `screen`. Raises InboxRejection with the
    status to answer. The body is parsed once the signature is proven (a parsed document is several
    times its size), or when the key is gone (a deleted account's Delete)."""
    key_id, stored_key = claim.key_id, claim.stored_key
    try:
        owner, pem = stored_key or await fetcher.get_key(key_id)
    except FetchError as exc:
        if exc.gone and _is_delete_by(body, key_owner_iri(key_id)):
            # A deleted account's last Delete cannot be verified (Mastodon sends it after removing the
            # key); there is nothing of theirs to keep, so accept and drop it.
            return Received(stored=False)
        raise InboxRejection(401, f"could not fetch signing key {key_id}: {exc.reason}") from None
    if stored_key is None and await account_blocks.is_blocked(db, owner):
        raise InboxRejection(403, f"account {owner} is blocked")
    now = clock.now()
    try:
        claim.verify(pem, now, body)
    except SignatureError as first:
        try:  # the key may have rotated: refetched, at most once a minute (Fetcher.get_key)
            owner, fresh = await fetcher.get_key(key_id, refresh=True)
        except FetchError:
            raise InboxRejection(401, f"signature rejected: {first.reason}") from None
        if fresh == pem:
            raise InboxRejection(401, f"signature rejected: {first.reason}") from None
        try:
            claim.verify(fresh, now, body)
        except SignatureError as exc:
            raise InboxRejection(401, f"signature rejected: {exc.reason}") from None
    doc = parse_body(body)
    # Only signed requests reach the JSON-LD processor: compaction can be costly (bounded, off the loop).
    received = doc
    try:
        doc = with_transient_id(doc, body)
        compacted = await compact_document(doc, bounded=True)
        activity = parse_activity(compacted)
    except ParseError as exc:
        raise InboxRejection(400, f"not a valid activity: {exc.reason}") from None
    except CompactionBusy as exc:
        raise InboxRejection(503, f"{exc}: retry later", retry_after=RETRY_SECONDS) from None
    if owner != activity.actor:
        raise InboxRejection(401, f"signed by {owner}, but the activity's actor is {activity.actor}")
    try:
        check_origins(activity)
    except ParseError as exc:
        raise InboxRejection(400, exc.reason) from None
    document = _document(doc, received, body)
    state, kept = await _at_once(db, urls, activity, compacted)
    handed = Handed.of(db)
    entry = handed.put(activity.iri, document, compacted, activity) if state == "new" else None
    at = clock.iso()
    attempts, processed_at = (0, None) if state == "new" else (1, at)  # new: for the worker
    if state == "ignored":
        document = ignored_document(activity.iri, document)
    row = (activity.iri, activity.type, activity.actor, recipient_actor_id, document, at,
           state, attempts, processed_at)
    stored = False
    try:
        stored = await InboxWriter.of(db).submit(db, (iri_host(activity.actor), row, kept))
    finally:
        if not stored:
            handed.drop(activity.iri, entry)
    return Received(stored=stored, queued=stored and state == "new")


def _is_delete_by(body: bytes, actor: str) -> bool:
    """Whether `body` is a Delete by `actor` (a refused body is not one)."""
    try:
        doc = parse_body(body)
    except InboxRejection:
        return False
    return doc.get("type") == "Delete" and doc.get("actor") == actor


async def _at_once(db: Database, urls: Urls, activity: Activity,
                   compacted: dict[str, Any]) -> tuple[str, tuple[Any, ...] | None]:
    """The state a Create the inbox handles at once is stored in, with the remote object row to keep:
    "done" and the row for the worker's plain case with nothing but a row to write (`InboxWorker._keep_plain`),
    "ignored" for a post the worker would only ignore (node/relevance.py: from a stranger, naming none of
    us, replying to nothing), of which only the id and a digest are stored; "new" (for the worker) for
    every other activity."""
    plain = plain_create(activity)
    # A plain post replies to nothing: it relates to us by its server or by naming one of us, and one that
    # names one of us is a message the worker records (node/mentions.py).
    if plain is None or relevance.addresses_us(urls, plain[1], compacted):
        return "new", None
    if not await relevance.from_followed_host(db, urls, activity.actor):
        return "ignored", None
    return ("new", None) if may_be_content(plain[1]) else ("done", object_row(*plain))


def ignored_document(activity_iri: str, document: str) -> str:
    """What the inbox log keeps of an activity the node ignores: its id (the dedupe) and a digest of what
    was received, not the body. Anyone may send up to 1 MB an activity, `inbox_rate_per_minute` a minute
    per domain, and the log is kept for `log_retention_days`."""
    digest = base64.b64encode(hashlib.sha256(document.encode("utf-8", "surrogatepass")).digest()).decode()
    return json.dumps({"id": activity_iri, "digest": f"sha-256={digest}"})


def take_parsed(db: Database, activity_iri: str, document: str) -> tuple[dict[str, Any], Activity] | None:
    """For the inbox worker: what `receive` made of the inbox row (`activity_iri`, `document`), the
    compacted document and the activity, when this process received it and it was not taken yet.
    Parsing the row again would give the same: the document is the text that was parsed."""
    return Handed.of(db).take(activity_iri, document)


def _document(doc: dict[str, Any], received: dict[str, Any], body: bytes) -> str:
    """The text stored for `doc`: the body as received when `doc` is what it parses to (no id was
    added) and it is UTF-8 text, which `json.loads` reads back to the same value; else `doc` dumped."""
    if doc is received and json.detect_encoding(body) == "utf-8":
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:  # surrogates, which json.loads lets through
            pass
    return json.dumps(doc)


async def _signer(db: Database, host: str, key_id: str) -> tuple[bool, bool, tuple[str, str] | None]:
    """What is checked before a signature: whether the signer's domain is blocked, whether the owner of
    the key we hold is a blocked account, and that key for its keyId, (owner IRI, PEM) or None (the one
    `Fetcher.get_key` reads first: the lowest row id). One quick read on the loop's thread, per request:
    a block made from the admin pages or another process applies to the next request at once."""
    rows = await db.fetch_all_quick(
        "SELECT (SELECT blocked FROM domains WHERE host = ?), (SELECT 1 FROM blocked_accounts WHERE iri = k.iri),"
        " k.iri, k.public_key_pem FROM (SELECT 1) LEFT JOIN"
        " (SELECT iri, public_key_pem FROM remote_actors WHERE key_id = ? ORDER BY id LIMIT 1) AS k",
        (host, key_id))
    blocked, owner_blocked, owner, pem = rows[0]
    return bool(blocked), bool(owner_blocked), (owner, pem) if owner is not None else None
