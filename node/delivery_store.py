"""The delivery queue's storage (node/delivery.py sends): the due rows a pass of the worker claims, and
what its POSTs got, written a batch at a time."""

import itertools
import json
import random
from dataclasses import dataclass

from protocol.retry import UNAVAILABLE_AFTER_SECONDS, classify

from . import clock
from .db import Database
from .hosts import DEFER, DELIVERED, STOPPED, Change, expire
from .signing import REMEMBER_SCHEME, KnownSchemes
from .states import DeliveryState
from .urls import Urls

# Due rows not held by the pass, from hosts whose deliveries are not waiting (nor stopped), the oldest `window` of them
# taken host by host: proven hosts' first, then each host's first row, each host's second, and so on, at
# most `per_host` of one host.
_CLAIM = (
    "SELECT q.id, q.inbox, q.host, q.attempts, q.activity_id, a.username, a.private_key_pem,"
    " COALESCE(m.failures, 0) AS failures, m.delivered_at IS NOT NULL AS proven, m.retry_at FROM ("
    "  SELECT d.*, row_number() OVER (PARTITION BY d.host ORDER BY d.next_attempt_at, d.id) AS turn FROM ("
    "   SELECT id, inbox, host, attempts, activity_id, next_attempt_at FROM deliveries"
    f"   WHERE state = '{DeliveryState.PENDING}' AND next_attempt_at <= ?"
    "   AND id NOT IN (SELECT value FROM json_each(?))"
    f"   AND host NOT IN (SELECT host FROM domains WHERE retry_at > ?) AND host NOT IN ({STOPPED})"
    "   ORDER BY next_attempt_at, id LIMIT ?) d) q"
    " JOIN activities act ON act.id = q.activity_id JOIN actors a ON a.id = act.actor_id"
    " LEFT JOIN domains m ON m.host = q.host WHERE q.turn <= ?"
    " ORDER BY m.delivered_at IS NOT NULL AND m.failures = 0 DESC, q.turn, q.next_attempt_at, q.id LIMIT ?")


@dataclass(frozen=True)
class Job:
    id: int
    inbox: str
    host: str
    attempts: int
    activity_id: int
    key_id: str
    private_key_pem: str


@dataclass(frozen=True)
class Claimed:
    """A job, with what `domains` says of its host."""

    job: Job
    failures: int  # POSTs in a row that failed
    proven: bool  # has accepted a delivery
    retry_at: float | None  # when its deliveries stopped (or stop) waiting, after its last failed POSTs


@dataclass(frozen=True)
class Result:
    job: Job
    status: int | None
    error: str | None
    retry_after: float | None
    scheme: str | None = None  # a signature scheme the domain accepted, to remember
    seconds: float = 0.0  # how long the host took to answer (node/hosts.SLOW_ANSWER_SECONDS)


async def claim(db: Database, urls: Urls, held: set[int], *, window: int, per_host: int,
                limit: int) -> list[Claimed]:
    now = clock.timestamp()
    rows = await db.fetch_all(_CLAIM, (now, json.dumps(sorted(held)), now, window, per_host, limit))
    return [Claimed(Job(r["id"], r["inbox"], r["host"], r["attempts"], r["activity_id"], urls.key_id(r["username"]),
                        r["private_key_pem"]), r["failures"], bool(r["proven"]), r["retry_at"])
            for r in rows]


async def bodies(db: Database, activity_ids: set[int]) -> dict[int, bytes]:
    marks = ",".join("?" * len(activity_ids))
    rows = await db.fetch_all(f"SELECT id, document FROM activities WHERE id IN ({marks})", list(activity_ids))
    return {r["id"]: r["document"].encode() for r in rows}


async def record(db: Database, batch: list[tuple[Result, Change]], rng: random.Random,
                 schemes: KnownSchemes) -> None:
    """Write results in one transaction: the statements one result at a time would run, as one executemany
    per run of the same statement (each statement is a trip to the database thread). A host whose
    deliveries now wait has its pending rows put off until then; the followers on hosts that did not accept
    a delivery may expire (node/hosts.expire)."""
    now_ts, now_iso = clock.timestamp(), clock.iso()
    deliveries, waits = [], {}
    domains: list[tuple[str, tuple[object, ...]]] = []
    for r, change in batch:
        attempt = r.job.attempts + 1
        outcome = classify(status=r.status, attempt=attempt, retry_after=r.retry_after, rng=rng)
        state = (DeliveryState.DELIVERED if outcome.delivered else DeliveryState.PENDING if outcome.retry
                 else DeliveryState.FAILED)
        deliveries.append((state, attempt, now_ts + outcome.delay, r.status, r.error, now_iso, r.job.id))
        if r.scheme is not None and schemes.learn(r.job.host, r.scheme):
            domains.append((REMEMBER_SCHEME, (r.job.host, r.scheme)))
        domains.append((change.sql, change.params))
        if change.waits_until is not None:
            waits[r.job.host] = change.waits_until
    async with db.transaction() as tx:
        await tx.execute_many(
            "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?,"
            " last_error = ?, updated_at = ? WHERE id = ?",
            deliveries,
        )
        # Domain statements keep their order; in a run of one statement a host's repeats change nothing.
        for sql, run in itertools.groupby(domains, key=lambda d: d[0]):
            await tx.execute_many(sql, list(dict.fromkeys(params for _, params in run)))
        await tx.execute(
            "UPDATE domains SET unavailable = 1 WHERE unavailable = 0 AND failing_since < ?",
            (now_ts - UNAVAILABLE_AFTER_SECONDS,),
        )
        await tx.execute_many(DEFER, [(until, now_iso, host, until) for host, until in waits.items()])
    await expire(db, {r.job.host for r, change in batch if change.sql is not DELIVERED})
