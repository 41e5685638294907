"""The durable delivery queue: rows queued in the caller's transaction (node/outbox.py), sent by a worker.

One row per (activity, inbox), so a crash or restart loses nothing: whatever is still `pending`
is sent when the worker next runs (at-least-once; receivers dedupe on activity ids).

POSTs double-knock (node/signing.py): signed with the scheme the domain is known to accept, else
draft-cavage, and sent again at once with the other after a 400 or 401.
"""

import asyncio
import dataclasses
import functools
import itertools
import logging
import os
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import aiohttp

from protocol.retry import UNAVAILABLE_AFTER_SECONDS, classify, retry_after_seconds

from . import clock
from .db import Database
from .netguard import BlockedAddressError, blocked_cause, check_url
from .signing import KNOCK_AGAIN, REMEMBER_SCHEME, KnownSchemes, other_scheme, sign_request
from .urls import Urls

BATCH_SIZE = 200
SIGN_CHUNK = 8  # POSTs signed per trip to a signing thread: fewer hand-offs between the loop and the threads
log = logging.getLogger(__name__)


_DOMAIN_RESPONDS = "UPDATE domains SET failing_since = NULL, unavailable = 0 WHERE host = ?"
_DOMAIN_FAILS = ("INSERT INTO domains (host, failing_since) VALUES (?, ?) ON CONFLICT (host) DO UPDATE"
                 " SET failing_since = COALESCE(failing_since, excluded.failing_since)")


@functools.cache
def _signing_threads() -> ThreadPoolExecutor:
    """The threads that sign outgoing POSTs, one per core, shared by every worker of the process."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="maillage-sign")


@dataclass(frozen=True)
class _Job:
    id: int
    inbox: str
    host: str
    attempts: int
    activity_id: int
    key_id: str
    private_key_pem: str


@dataclass(frozen=True)
class _Result:
    job: _Job
    status: int | None
    error: str | None
    retry_after: float | None
    scheme: str | None = None  # a signature scheme the domain accepted, to remember



class DeliveryWorker:
    """Sends due deliveries with signed POSTs; `run_once()` is one pass, for tests and the loop."""

    def __init__(
        self, *, db: Database, session: aiohttp.ClientSession, urls: Urls, allow_private: bool,
        concurrency: int = 16, timeout: float = 10.0, user_agent: str = "Maillage", rng: random.Random | None = None,
        schemes: KnownSchemes | None = None,
    ) -> None:
        self.db = db
        self.session = session
        self.urls = urls
        self.allow_private = allow_private
        self.concurrency = concurrency
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.user_agent = user_agent
        self.rng = rng or random.Random()
        self.wakeup = asyncio.Event()
        self.stopping = asyncio.Event()
        self.schemes = schemes or KnownSchemes(db)  # the app's, shared with its fetcher

    def stop(self) -> None:
        """Ask `run()` to return once the batch in flight is sent and recorded (graceful shutdown)."""
        self.stopping.set()
        self.wakeup.set()

    async def run_once(self) -> int:
        """Deliver every due row (in batches); returns how many attempts were made."""
        total = 0
        semaphore = asyncio.Semaphore(self.concurrency)
        await self.schemes.load()

        async def attempt(job: _Job, body: bytes, headers: "asyncio.Future[list[dict[str, str]]]", n: int) -> _Result:
            first_headers = (await headers)[n]
            async with semaphore:
                return await self._post(job, body, first_headers)

        while True:
            jobs = await self._due_jobs()
            if not jobs:
                return total
            bodies = await self._bodies({j.activity_id for j in jobs})
            results = await asyncio.gather(*(
                attempt(job, bodies[job.activity_id], signed, n)
                for chunk, signed in self._presign(jobs, bodies) for n, job in enumerate(chunk)))
            await self._record(results)
            total += len(results)
            if len(jobs) < BATCH_SIZE or self.stopping.is_set():
                return total

    def _presign(self, jobs: list[_Job], bodies: dict[int, bytes]
                 ) -> list[tuple[list[_Job], "asyncio.Future[list[dict[str, str]]]"]]:
        """Each chunk of jobs with the future headers of their first POST (signed with the scheme their
        domain is known to accept), all queued on the signing threads at once: POSTs start as their chunk
        is signed. RSA signing is most of a delivery's CPU time and cryptography releases the GIL while it
        signs, so the threads sign on the other cores while this loop sends and receives."""
        loop = asyncio.get_running_loop()
        now = clock.now()
        chunks = [jobs[i:i + SIGN_CHUNK] for i in range(0, len(jobs), SIGN_CHUNK)]
        return [(chunk, loop.run_in_executor(_signing_threads(), functools.partial(
            self._sign_all, [(job, bodies[job.activity_id], self._scheme(job)) for job in chunk], now)))
            for chunk in chunks]

    def _scheme(self, job: _Job) -> str:
        return self.schemes.of(job.host)

    def _sign_all(self, jobs: list[tuple[_Job, bytes, str]], now: datetime) -> list[dict[str, str]]:
        """Signature headers for each (job, body, scheme); runs in a signing thread."""
        return [self._sign(job, body, scheme, now) for job, body, scheme in jobs]

    def _sign(self, job: _Job, body: bytes, scheme: str, now: datetime) -> dict[str, str]:
        return sign_request(scheme, method="POST", url=job.inbox, body=body, key_id=job.key_id,
                            private_key_pem=job.private_key_pem, now=now,
                            headers={"Content-Type": "application/activity+json", "User-Agent": self.user_agent})

    async def run(self, poll_interval: float = 1.0) -> None:
        """Deliver forever: wake up when told (`wakeup.set()`) or every `poll_interval` seconds, which
        also picks up deliveries queued by another process (the `maillage` CLI)."""
        while not self.stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # a bug or a passing storage error must not stop every delivery for good
                log.exception("delivery pass failed; trying again in %ss", poll_interval)
            if self.stopping.is_set():
                return
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=poll_interval)
            except TimeoutError:
                pass

    async def _due_jobs(self) -> list[_Job]:
        await self._fail_unavailable()
        rows = await self.db.fetch_all(
            "SELECT d.id, d.inbox, d.host, d.attempts, d.activity_id, a.username, a.private_key_pem"
            " FROM deliveries d JOIN activities act ON act.id = d.activity_id JOIN actors a ON a.id = act.actor_id"
            " WHERE d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?",
            (clock.timestamp(), BATCH_SIZE),
        )
        return [
            _Job(r["id"], r["inbox"], r["host"], r["attempts"], r["activity_id"], self.urls.key_id(r["username"]),
                 r["private_key_pem"])
            for r in rows
        ]

    async def _bodies(self, activity_ids: set[int]) -> dict[int, bytes]:
        marks = ",".join("?" * len(activity_ids))
        rows = await self.db.fetch_all(f"SELECT id, document FROM activities WHERE id IN ({marks})", list(activity_ids))
        return {r["id"]: r["document"].encode() for r in rows}

    async def _post(self, job: _Job, body: bytes, headers: dict[str, str]) -> _Result:
        try:
            check_url(job.inbox, self.allow_private)
        except BlockedAddressError as exc:
            return _Result(job, 403, f"refused: {exc}", None)
        first = await self._send(job, body, headers)
        if first.status not in KNOCK_AGAIN:
            return first
        other = other_scheme(self._scheme(job))
        again = await asyncio.get_running_loop().run_in_executor(
            _signing_threads(), functools.partial(self._sign, job, body, other, clock.now()))
        second = await self._send(job, body, again)
        accepted = second.status is not None and 200 <= second.status < 300
        return dataclasses.replace(second, scheme=other if accepted else None)

    async def _send(self, job: _Job, body: bytes, headers: dict[str, str]) -> _Result:
        """One signed POST."""
        try:
            async with self.session.post(
                job.inbox, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            ) as resp:
                await resp.content.read(65536)
                retry_after = retry_after_seconds(resp.headers.get("Retry-After"), clock.now())
                error = None if resp.status < 300 else f"HTTP {resp.status}"
                return _Result(job, resp.status, error, retry_after)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:  # ValueError: a host IDNA refuses
            if blocked := blocked_cause(exc):  # a name that resolves to a private address: final, like a literal
                return _Result(job, 403, f"refused: {blocked}", None)
            return _Result(job, None, f"{exc.__class__.__name__}: {exc}"[:500], None)

    async def _record(self, results: list[_Result]) -> None:
        """Record a batch's outcomes in one transaction: the statements one result at a time would run,
        as one executemany per run of the same statement (each statement is a trip to the database thread)."""
        now_ts, now_iso = clock.timestamp(), clock.iso()
        deliveries, domains = [], []
        for r in results:
            attempt = r.job.attempts + 1
            outcome = classify(status=r.status, attempt=attempt, retry_after=r.retry_after, rng=self.rng)
            state = "delivered" if outcome.delivered else "pending" if outcome.retry else "failed"
            deliveries.append((state, attempt, now_ts + outcome.delay, r.status, r.error, now_iso, r.job.id))
            if r.scheme is not None and self.schemes.learn(r.job.host, r.scheme):
                domains.append((REMEMBER_SCHEME, (r.job.host, r.scheme)))
            if outcome.delivered:
                domains.append((_DOMAIN_RESPONDS, (r.job.host,)))
            elif r.status is None or r.status >= 500:
                domains.append((_DOMAIN_FAILS, (r.job.host, now_ts)))
        async with self.db.transaction() as tx:
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

    async def _fail_unavailable(self) -> None:
        """Deliveries to a domain that has failed for 7 days stop here instead of piling up."""
        if not await self.db.fetch_value("SELECT 1 FROM domains WHERE unavailable = 1 OR blocked = 1 LIMIT 1"):
            return
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE deliveries SET state = 'failed', last_error = 'domain unavailable or blocked', updated_at = ?"
                " WHERE state = 'pending' AND host IN (SELECT host FROM domains WHERE unavailable = 1 OR blocked = 1)",
                (clock.iso(),),
            )

