"""The durable delivery queue: rows queued in the caller's transaction (node/outbox.py), sent by a worker.

One row per (activity, inbox), so a crash or restart loses nothing: whatever is still `pending`
is sent when the worker next runs (at-least-once; receivers dedupe on activity ids).

Fair to every host (node/hosts.py), so one dead or slow server never delays the others: a pass claims
due rows host by host (proven hosts' first, then every host's first row, every host's second...; at most
HOST_BACKLOG waiting per host) and looks for new ones every RECLAIM_AFTER while it runs; it keeps at
most `per_host` POSTs in flight to one host (one while it fails or answers slowly) and `concurrency` in
all, of which hosts that have not proven they answer (no delivery accepted yet, failing, or slower than
node/hosts.SLOW_ANSWER_SECONDS) hold at most half, and serves proven hosts first. A slot freed by an
answer (or a timeout) goes to the next job at once, and results are written a few at a time as they
come: nothing waits for the slowest POST of a batch. After a few failed POSTs in a row a host's
deliveries wait (protocol/retry.host_wait) instead of each being tried. Deliveries to unavailable or
blocked domains are never claimed; they are marked failed at the start of a pass and every TIDY_EVERY.

POSTs double-knock (node/signing.py): signed with the scheme the domain is known to accept, else
draft-cavage, and sent again at once with the other after a 400 or 401.
"""

import asyncio
import dataclasses
import functools
import logging
import os
import random
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from protocol.retry import retry_after_seconds
from protocol.sig import sign_request

from . import clock
from .db import Database
from .delivery_store import Claimed, Job, Result, bodies, claim, record
from .hosts import Change, HostBook, Standing, fail_unavailable
from .netguard import BlockedAddressError, blocked_cause, check_url
from .signing import KNOCK_AGAIN, KnownSchemes, other_scheme
from .urls import Urls

BATCH_SIZE = 200  # rows claimed at once
LOW_WATER = BATCH_SIZE // 2  # claim the next rows at once when fewer jobs than this wait to be sent
HOST_BACKLOG = 50  # jobs of one host a pass holds waiting to be sent: a long queue at one host leaves room
CLAIM_WINDOW = 50 * BATCH_SIZE  # the oldest due rows a claim shares out between their hosts (a bound on its cost)
PER_HOST = 4  # POSTs in flight to one host (one while it fails)
SIGN_CHUNK = 8  # POSTs signed per trip to a signing thread: fewer hand-offs between the loop and the threads
RECORD_AFTER = 0.5  # seconds a result waits at most before it is written (BATCH_SIZE of them at once)
RECLAIM_AFTER = 0.5  # seconds between looks for newly due rows while POSTs are in flight
TIDY_EVERY = 30.0  # seconds between looks for deliveries to unavailable or blocked domains during a pass
CONNECT_TIMEOUT = 5.0  # seconds to open a connection (as Mastodon); the whole POST has `timeout`
log = logging.getLogger(__name__)




@functools.cache
def _signing_threads() -> ThreadPoolExecutor:
    """The threads that sign outgoing POSTs, one per core, shared by every worker of the process."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="maillage-sign")


@dataclass
class _Pass:
    """One `run_once`: the jobs it claimed and has not recorded (`held`), those signed and waiting for a
    slot by host (`ready`, hosts taking turns), the POSTs in flight, the results not yet written."""

    hosts: HostBook
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    held: set[int] = field(default_factory=set)
    signing: int = 0
    ready: dict[str, deque[tuple[Job, bytes, dict[str, str]]]] = field(default_factory=dict)
    backlog: Counter[str] = field(default_factory=Counter)  # jobs held and not started, by host
    in_flight: Counter[str] = field(default_factory=Counter)
    tasks: dict["asyncio.Task[Result]", tuple[str, bool]] = field(default_factory=dict)  # -> host, unproven
    unproven: int = 0  # POSTs in flight to hosts not proven
    done: list["asyncio.Task[Result]"] = field(default_factory=list)
    results: list[tuple[Result, Change]] = field(default_factory=list)
    oldest_result: float | None = None
    record_now: bool = False
    error: BaseException | None = None

    @property
    def idle(self) -> bool:
        return not (self.signing or self.ready or self.tasks or self.done)

    def unstarted(self) -> int:
        return self.signing + sum(len(q) for q in self.ready.values())

    def release(self, job: Job) -> None:
        """Let go of a job not started: its row stays pending, for a later claim."""
        self.held.discard(job.id)
        self.backlog[job.host] -= 1

    def drop(self, host: str | None = None) -> None:
        """Let go of the signed jobs not started (of one host)."""
        for name in [host] if host is not None else list(self.ready):
            for job, _, _ in self.ready.pop(name, ()):
                self.release(job)


def _failure(done: "asyncio.Future[Any]") -> BaseException:
    """What stopped a signing or a POST that did not give its result (a bug, or a cancellation)."""
    return asyncio.CancelledError() if done.cancelled() else done.exception() or RuntimeError("no result")


class _Wakeup(asyncio.Event):
    """The worker's `wakeup`: setting it also wakes a pass waiting for its POSTs, so that what was queued
    meanwhile leaves at once rather than at the pass's next look (RECLAIM_AFTER)."""

    def __init__(self, worker: "DeliveryWorker") -> None:
        super().__init__()
        self.worker = worker

    def set(self) -> None:
        super().set()
        if self.worker._pass is not None:
            self.worker._pass.changed.set()


class DeliveryWorker:
    """Sends due deliveries with signed POSTs; `run_once()` is one pass, for tests and the loop."""

    def __init__(
        self, *, db: Database, session: aiohttp.ClientSession, urls: Urls, allow_private: bool,
        concurrency: int = 16, timeout: float = 10.0, user_agent: str = "Maillage", rng: random.Random | None = None,
        schemes: KnownSchemes | None = None, per_host: int = PER_HOST,
    ) -> None:
        self.db = db
        self.session = session
        self.urls = urls
        self.allow_private = allow_private
        self.concurrency = concurrency
        self.per_host = per_host
        self.unproven_share = max(1, concurrency // 2)  # slots hosts not proven may hold: the rest wait for proven ones
        self.timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(CONNECT_TIMEOUT, timeout))
        self.user_agent = user_agent
        self.rng = rng or random.Random()
        self._pass: _Pass | None = None
        self._tidied_at = float("-inf")  # loop time of the last `fail_unavailable`
        self.wakeup = _Wakeup(self)
        self.stopping = asyncio.Event()
        self.schemes = schemes or KnownSchemes(db)  # the app's, shared with its fetcher

    def stop(self) -> None:
        """Ask `run()` to return once the POSTs in flight are answered (or time out) and recorded; the jobs
        not started stay pending (graceful shutdown)."""
        self.stopping.set()
        self.wakeup.set()

    async def run_once(self) -> int:
        """Deliver every due row; returns how many attempts were made. Rows that fall due or are queued
        while POSTs are in flight join the pass."""
        await self.schemes.load()
        await self._tidy()
        self._pass = p = _Pass(HostBook(self.rng))
        loop = asyncio.get_running_loop()
        attempts, more, claimed_at = 0, True, loop.time()
        try:
            while True:
                p.changed.clear()  # what happens from here on (an answer, a signed chunk, a wakeup) ends the wait below
                attempts += self._collect(p)
                if p.error is not None:
                    raise p.error
                if p.results and (p.record_now or p.idle or len(p.results) >= BATCH_SIZE
                                  or loop.time() - (p.oldest_result or 0) >= RECORD_AFTER):
                    await self._record(p)
                now = loop.time()
                if self.stopping.is_set():
                    p.drop()
                    more = False
                elif (more and p.unstarted() < LOW_WATER) or self.wakeup.is_set() or now - claimed_at >= RECLAIM_AFTER:
                    # Also while many jobs wait for slots: what was queued since may go to a host with slots free.
                    self.wakeup.clear()
                    claimed = await self._due_jobs()
                    # More may be due; not when all were of hosts that wait (they would come back each time).
                    held = await self._claim(p, claimed)
                    more = len(claimed) >= BATCH_SIZE and held > 0
                    claimed_at = loop.time()
                self._start(p)  # after the answers were taken: the slots they freed go to the next jobs
                if p.idle and (self.stopping.is_set() or not (more or self.wakeup.is_set())):
                    return attempts
                if p.idle:
                    continue
                due = (loop.time() if self.stopping.is_set() else claimed_at) + RECLAIM_AFTER
                if p.oldest_result is not None:
                    due = min(due, p.oldest_result + RECORD_AFTER)
                try:
                    await asyncio.wait_for(p.changed.wait(), max(0.0, due - loop.time()))
                except TimeoutError:
                    pass
        finally:
            for task in p.tasks:  # only after an error or a cancellation: what they sent is sent again later
                task.cancel()
            if p.results:
                await self._record(p)
            self._pass = None

    async def _claim(self, p: _Pass, claimed: list[Claimed]) -> int:
        """Hold the claimed jobs (at most HOST_BACKLOG waiting per host) and queue them on the signing
        threads, SIGN_CHUNK per trip; each chunk's jobs become ready to send when it is signed. Returns how
        many were held."""
        now = clock.timestamp()
        fresh = []
        for c in claimed:
            p.hosts.observe(c.job.host, c.failures, c.proven, c.retry_at, now)
            if not p.hosts.waiting(c.job.host, now) and p.backlog[c.job.host] < HOST_BACKLOG:
                p.held.add(c.job.id)
                p.backlog[c.job.host] += 1
                fresh.append(c.job)
        if fresh:
            documents = await bodies(self.db, {j.activity_id for j in fresh})
            for chunk, signed in self._presign(fresh, documents):
                p.signing += len(chunk)
                signed.add_done_callback(functools.partial(self._signed, p, chunk, documents))
        return len(fresh)

    def _signed(self, p: _Pass, chunk: list[Job], bodies: dict[int, bytes],
                signed: "asyncio.Future[list[dict[str, str]]]") -> None:
        p.signing -= len(chunk)
        p.changed.set()
        if signed.cancelled() or signed.exception() is not None:
            p.error = p.error or _failure(signed)
            return
        now = clock.timestamp()
        for job, headers in zip(chunk, signed.result(), strict=True):
            if self.stopping.is_set() or p.hosts.waiting(job.host, now):
                p.release(job)
            else:
                p.ready.setdefault(job.host, deque()).append((job, bodies[job.activity_id], headers))

    def _start(self, p: _Pass) -> None:
        """Start POSTs while slots are free: proven hosts first, each host in turn, within its cap."""
        started = True
        while started and p.ready and len(p.tasks) < self.concurrency:
            started = False
            for proven_first in (True, False):
                for host in list(p.ready):
                    proven = p.hosts.standing(host) is Standing.PROVEN
                    if (proven != proven_first or len(p.tasks) >= self.concurrency
                            or p.in_flight[host] >= p.hosts.cap(host, self.per_host)
                            or (not proven and p.unproven >= self.unproven_share)):
                        continue
                    queue = p.ready.pop(host)
                    job, body, headers = queue.popleft()
                    p.backlog[host] -= 1
                    if queue:
                        p.ready[host] = queue  # to the back: hosts take turns
                    task = asyncio.create_task(self._post(job, body, headers))
                    task.add_done_callback(functools.partial(self._finished, p))
                    p.tasks[task] = (host, not proven)
                    p.in_flight[host] += 1
                    p.unproven += not proven
                    started = True

    @staticmethod
    def _finished(p: _Pass, task: "asyncio.Task[Result]") -> None:
        p.done.append(task)
        p.changed.set()

    def _collect(self, p: _Pass) -> int:
        """Take the answered POSTs' results: free their slots, note each host's outcome; a host whose
        deliveries now wait loses its jobs not started, and the results are written at once."""
        finished, p.done = p.done, []
        now = clock.timestamp()
        taken = 0
        for task in finished:
            host, unproven = p.tasks.pop(task)
            p.in_flight[host] -= 1
            p.unproven -= unproven
            if task.cancelled() or task.exception() is not None:
                p.error = p.error or _failure(task)
                continue
            result = task.result()
            taken += 1
            change = p.hosts.result(result.job.host, result.status, now, result.seconds)
            p.results.append((result, change))
            p.oldest_result = p.oldest_result or asyncio.get_running_loop().time()
            if change.waits_until is not None:
                p.drop(result.job.host)
                p.record_now = True
        return taken

    def _presign(self, jobs: list[Job], bodies: dict[int, bytes]
                 ) -> list[tuple[list[Job], "asyncio.Future[list[dict[str, str]]]"]]:
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

    def _scheme(self, job: Job) -> str:
        return self.schemes.of(job.host)

    def _sign_all(self, jobs: list[tuple[Job, bytes, str]], now: datetime) -> list[dict[str, str]]:
        """Signature headers for each (job, body, scheme); runs in a signing thread."""
        return [self._sign(job, body, scheme, now) for job, body, scheme in jobs]

    def _sign(self, job: Job, body: bytes, scheme: str, now: datetime) -> dict[str, str]:
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

    async def _tidy(self) -> None:
        self._tidied_at = asyncio.get_running_loop().time()
        await fail_unavailable(self.db)

    async def _due_jobs(self) -> list[Claimed]:
        if asyncio.get_running_loop().time() - self._tidied_at >= TIDY_EVERY:
            await self._tidy()  # not at each claim (every RECLAIM_AFTER): claims skip those domains anyway
        held = self._pass.held if self._pass is not None else set()
        return await claim(self.db, self.urls, held, window=CLAIM_WINDOW, per_host=HOST_BACKLOG, limit=BATCH_SIZE)

    async def _post(self, job: Job, body: bytes, headers: dict[str, str]) -> Result:
        try:
            check_url(job.inbox, self.allow_private)
        except BlockedAddressError as exc:
            return Result(job, 403, f"refused: {exc}", None)
        first = await self._send(job, body, headers)
        if first.status not in KNOCK_AGAIN:
            return first
        other = other_scheme(self._scheme(job))
        again = await asyncio.get_running_loop().run_in_executor(
            _signing_threads(), functools.partial(self._sign, job, body, other, clock.now()))
        second = await self._send(job, body, again)
        accepted = second.status is not None and 200 <= second.status < 300
        return dataclasses.replace(second, scheme=other if accepted else None)

    async def _send(self, job: Job, body: bytes, headers: dict[str, str]) -> Result:
        """One signed POST."""
        started = asyncio.get_running_loop().time()
        try:
            async with self.session.post(
                job.inbox, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            ) as resp:
                await resp.content.read(65536)
                retry_after = retry_after_seconds(resp.headers.get("Retry-After"), clock.now())
                error = None if resp.status < 300 else f"HTTP {resp.status}"
                return Result(job, resp.status, error, retry_after,
                              seconds=asyncio.get_running_loop().time() - started)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:  # ValueError: a host IDNA refuses
            if blocked := blocked_cause(exc):  # a name that resolves to a private address: final, like a literal
                return Result(job, 403, f"refused: {blocked}", None)
            return Result(job, None, f"{exc.__class__.__name__}: {exc}"[:500], None)

    async def _record(self, p: _Pass) -> None:
        """Write the results taken so far; their rows may then be claimed again (retries)."""
        batch, p.results, p.oldest_result, p.record_now = p.results, [], None, False
        await record(self.db, batch, self.rng, self.schemes)
        p.held.difference_update(r.job.id for r, _ in batch)
