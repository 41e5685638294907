"""Receiving activities: verify, dedupe, store raw, answer 202. Processing happens in the inbox worker.

Order of checks follows Mastodon's inbox controller: size, media type, JSON, signature, then the
signer must be the activity's actor. Every refusal carries a precise reason. The signature is an RFC 9421
HTTP Message Signature when `Signature-Input` is present (as Mastodon and Fedify decide), else draft-cavage.
"""

import asyncio
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from multidict import CIMultiDictProxy

from protocol import httpsig9421
from protocol.activities import Activity, parse_activity, with_transient_id
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


def _signature(
    method: str, path: str, headers: CIMultiDictProxy[str], body: bytes
) -> tuple[str, Callable[[str, datetime], None]]:
    """The keyId of the request's signature, and a check of that signature against a public key PEM."""
    if "Signature-Input" in headers:
        try:
            sig = httpsig9421.parse_signature_headers(headers["Signature-Input"], headers.get("Signature", ""))
        except SignatureError as exc:
            raise InboxRejection(401, f"bad Signature-Input/Signature headers: {exc.reason}") from None
        uris = httpsig9421.candidate_target_uris(headers.get("Host", ""), path)
        return sig.key_id, lambda pem, now: httpsig9421.verify_request(
            method=method, target_uris=uris, headers=headers, body=body, signature=sig, public_key_pem=pem, now=now)
    signature = headers.get("Signature") or (
        headers.get("Authorization", "") if headers.get("Authorization", "").startswith("Signature ") else ""
    )
    if not signature:
        raise InboxRejection(401, "request is not signed (no Signature header)")
    try:
        params = parse_signature_header(signature)
    except SignatureError as exc:
        raise InboxRejection(401, f"bad Signature header: {exc.reason}") from None
    return params.key_id, lambda pem, now: verify_request(
        method=method, path=path, headers=headers, body=body, params=params, public_key_pem=pem, now=now)


async def receive(
    *, db: Database, fetcher: Fetcher, method: str, path: str, headers: CIMultiDictProxy[str], body: bytes,
    recipient_actor_id: int | None,
) -> Received:
    """Verify and store one POSTed activity. Raises InboxRejection with the status to answer."""
    doc = parse_body(body)
    key_id, check = _signature(method, path, headers, body)
    signer_host = iri_host(key_id) if key_id.startswith(("http://", "https://")) else ""
    if signer_host and await db.fetch_value("SELECT blocked FROM domains WHERE host = ?", (signer_host,)):
        raise InboxRejection(403, f"domain {signer_host} is blocked")
    try:
        owner, pem = await fetcher.get_key(key_id)
    except FetchError as exc:
        if exc.gone and doc.get("type") == "Delete" and key_owner_iri(key_id) == doc.get("actor"):
            # A deleted account's last Delete cannot be verified (Mastodon sends it after removing the
            # key); there is nothing of theirs to keep, so accept and drop it.
            return Received(activity=None, stored=False)
        raise InboxRejection(401, f"could not fetch signing key {key_id}: {exc.reason}") from None
    now = clock.now()
    try:
        check(pem, now)
    except SignatureError as first:
        try:
            owner, fresh = await fetcher.get_key(key_id, refresh=True)
        except FetchError:
            raise InboxRejection(401, f"signature rejected: {first.reason}") from None
        if fresh == pem:
            raise InboxRejection(401, f"signature rejected: {first.reason}") from None
        try:
            check(fresh, now)
        except SignatureError as exc:
            raise InboxRejection(401, f"signature rejected: {exc.reason}") from None
    # Only signed requests reach the JSON-LD processor: compaction can be costly.
    try:
        doc = with_transient_id(doc, body)
        activity = parse_activity(compact(doc))
    except ParseError as exc:
        raise InboxRejection(400, f"not a valid activity: {exc.reason}") from None
    host = iri_host(activity.actor)
    if owner != activity.actor:
        raise InboxRejection(401, f"signed by {owner}, but the activity's actor is {activity.actor}")
    stored = await _InboxWriter.of(db).store(
        db, host, (activity.iri, activity.type, activity.actor, recipient_actor_id, json.dumps(doc), clock.iso())
    )
    return Received(activity=activity, stored=stored)


_Pending = tuple[str, tuple[Any, ...], "asyncio.Future[bool]"]  # (sender's host, inbox row, its answer)


class _InboxWriter:
    """Group commit of received activities: the rows that arrive while one transaction is being written
    are written together in the next one, with the same statements a single row gets (the sender's
    domain is no longer failing; INSERT OR IGNORE, deduped on the activity id). Each caller still gets
    its answer only once its row is committed. If a shared transaction fails, its rows are written one
    transaction each, so that a row fails alone, as it would without grouping."""

    MAX_ROWS = 500

    def __init__(self) -> None:
        self.queue: list[_Pending] = []
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, db: Database) -> "_InboxWriter":
        writer = _writers.get(db)
        if writer is None:
            writer = _writers[db] = cls()  # holds no reference to `db`, so the entry goes with it
        return writer

    async def store(self, db: Database, host: str, row: tuple[Any, ...]) -> bool:
        """True when the row was inserted, False when its activity id was already stored."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.queue.append((host, row, done))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain(db))
        return await done

    async def _drain(self, db: Database) -> None:
        while self.queue:
            batch, self.queue = self.queue[: self.MAX_ROWS], self.queue[self.MAX_ROWS :]
            try:
                outcomes = await self._outcomes(db, batch)
            except BaseException:  # cancelled (shutdown): nobody may wait for an answer that will not come
                for _, _, done in (*batch, *self.queue):
                    done.cancel()
                self.queue = []
                raise
            for (_, _, done), outcome in zip(batch, outcomes, strict=True):
                if not done.done():  # a caller that was cancelled gets no answer; its row is stored all the same
                    if isinstance(outcome, Exception):
                        done.set_exception(outcome)
                    else:
                        done.set_result(outcome)

    async def _outcomes(self, db: Database, batch: list[_Pending]) -> list[bool | Exception]:
        try:
            return list(await self._write(db, batch))
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
        outcomes: list[bool | Exception] = []
        for item in batch:
            try:
                outcomes.extend(await self._write(db, [item]))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _write(self, db: Database, batch: list[_Pending]) -> list[bool]:
        iris = [row[0] for _, row, _ in batch]
        async with db.transaction() as tx:
            await tx.execute_many(
                "UPDATE domains SET failing_since = NULL, unavailable = 0 WHERE host = ? AND failing_since IS NOT NULL",
                [(host,) for host in dict.fromkeys(host for host, _, _ in batch)],
            )
            seen = {r[0] for r in await tx.fetch_all(
                f"SELECT activity_iri FROM inbox WHERE activity_iri IN ({','.join('?' * len(iris))})", iris)}
            stored = []
            for iri in iris:
                stored.append(iri not in seen)
                seen.add(iri)
            await tx.execute_many(
                "INSERT OR IGNORE INTO inbox (activity_iri, type, actor_iri, recipient_actor_id, document, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [row for _, row, _ in batch],
            )
        return stored


_writers: "weakref.WeakKeyDictionary[Database, _InboxWriter]" = weakref.WeakKeyDictionary()
