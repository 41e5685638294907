"""What the delivery worker knows of each host it delivers to, so that one dead or slow server never
delays the others: how many POSTs it may have in flight, whether it is served first, whether its
deliveries wait (a circuit breaker), and when the followers whose inboxes it holds expire.

The state is kept in `domains` (migration 0017); `delivered_at` is its last accepted delivery that was
answered quickly (a slow answer clears it). A delivery pass reads it with the jobs it claims and
keeps it in memory until the pass ends (only `serve` delivers, so nothing else changes it meanwhile);
each result's change is written with the batch of results it belongs to.
"""

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from protocol.retry import (
    FOLLOWERS_EXPIRE_AFTER_SECONDS,
    HOST_FAILURES_TO_WAIT,
    HOST_WAIT_CAP_SECONDS,
    host_failed,
    host_wait,
)

from . import clock
from .db import Database
from .states import DeliveryState

log = logging.getLogger(__name__)
# An answer slower than this makes its host `slow`: one POST at a time and not served first, until it
# answers quickly again. Hosts that accept just before the timeout (10 s) would otherwise prove
# themselves with one 202 and, served first with 4 POSTs each, 64 of them held every slot in turn.
SLOW_ANSWER_SECONDS = 3.0
# A host whose wait ended this long ago was not tried since (a host with deliveries pending is tried at
# least once a day: its wait and a delivery's retry are both under a day): the node had nothing for it,
# and the failures before are a run that ended, not one its next failure continues.
RUN_ENDED_AFTER = 2 * HOST_WAIT_CAP_SECONDS

# One statement per kind of outcome, each an upsert: a host gets its row with its first delivery.
DELIVERED = ("INSERT INTO domains (host, delivered_at) VALUES (?, ?) ON CONFLICT (host) DO UPDATE SET"
             " failing_since = NULL, unavailable = 0, failures = 0, retry_at = NULL,"
             " delivered_at = excluded.delivered_at, undelivered_since = NULL")
ANSWERED = ("INSERT INTO domains (host, undelivered_since) VALUES (?, ?) ON CONFLICT (host) DO UPDATE SET"
            " failures = 0, retry_at = NULL,"
            " undelivered_since = COALESCE(undelivered_since, excluded.undelivered_since)")
ANSWERED_SLOWLY = ANSWERED + ", delivered_at = NULL"  # not proven any more (DELIVERED writes a slow one's NULL)
_FAILED = ("INSERT INTO domains (host, failing_since, undelivered_since, failures, retry_at) VALUES (?, ?, ?, ?, ?)"
           " ON CONFLICT (host) DO UPDATE SET failing_since = {failing_since},"
           " undelivered_since = COALESCE(undelivered_since, excluded.undelivered_since),"
           " failures = excluded.failures, retry_at = excluded.retry_at")
FAILED = _FAILED.format(failing_since="COALESCE(failing_since, excluded.failing_since)")
# The first failure after a run that ended (`HostBook.observe`): failing from now, not since weeks ago.
FAILED_AFRESH = _FAILED.format(failing_since="excluded.failing_since")
DEFER = (f"UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE state = '{DeliveryState.PENDING}'"
         " AND host = ? AND next_attempt_at < ?")


class Standing(StrEnum):
    PROVEN = "proven"  # accepted a delivery, and nothing failed or was slow since: served first
    SLOW = "slow"  # its last answer took more than SLOW_ANSWER_SECONDS: one POST at a time
    NEW = "new"  # never accepted one (yet)
    FAILING = "failing"  # its last POST got no answer or a 5xx: one POST at a time


@dataclass
class HostState:
    failures: int = 0
    proven: bool = False
    retry_at: float | None = None
    slow: bool = False
    run_ended: bool = False  # its failures in `domains` are of a run that ended: the next one starts another

    @property
    def standing(self) -> Standing:
        if self.failures:
            return Standing.FAILING
        if self.slow:
            return Standing.SLOW
        return Standing.PROVEN if self.proven else Standing.NEW


@dataclass(frozen=True)
class Change:
    """A result's effect on its host: the `domains` statement to run, and whether its deliveries now wait."""

    sql: str
    params: tuple[object, ...]
    waits_until: float | None = None


class HostBook:
    """The hosts of one delivery pass."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.hosts: dict[str, HostState] = {}

    def observe(self, host: str, failures: int, proven: bool, retry_at: float | None, now: float) -> None:
        """What `domains` says of a host a claimed job goes to; what the pass learned since comes first.
        Failures of a run that ended (RUN_ENDED_AFTER) do not count: the host starts afresh."""
        ended = retry_at is not None and retry_at < now - RUN_ENDED_AFTER
        self.hosts.setdefault(host, HostState(failures=0 if ended else failures, proven=proven, run_ended=ended))

    def standing(self, host: str) -> Standing:
        return self.hosts[host].standing

    def cap(self, host: str, per_host: int) -> int:
        """POSTs the host may have in flight: one while failing or slow, so a dead or slow host holds one
        slot, not `per_host`."""
        return 1 if self.hosts[host].standing in (Standing.FAILING, Standing.SLOW) else per_host

    def waiting(self, host: str, now: float) -> bool:
        retry_at = self.hosts[host].retry_at
        return retry_at is not None and retry_at > now

    def result(self, host: str, status: int | None, now: float, seconds: float = 0.0) -> Change:
        """Note a POST's outcome and how long it took to answer; returns what to write, and when the host's
        deliveries wait from now on. A slow answer leaves the host unproven in `domains` too (no
        `delivered_at`), so that the next pass does not serve it first either."""
        state = self.hosts[host]
        afresh, state.run_ended = state.run_ended, False
        if not host_failed(status):
            state.slow = seconds > SLOW_ANSWER_SECONDS
        if status is not None and 200 <= status < 300:
            state.failures, state.proven, state.retry_at = 0, not state.slow, None
            return Change(DELIVERED, (host, None if state.slow else now))
        if not host_failed(status):
            state.failures, state.retry_at = 0, None
            state.proven = state.proven and not state.slow
            return Change(ANSWERED_SLOWLY if state.slow else ANSWERED, (host, now))
        state.failures += 1
        wait = host_wait(state.failures, self.rng)
        if wait is not None:  # a later failure never shortens the wait
            state.retry_at = max(state.retry_at or 0.0, now + wait)
        sql = FAILED_AFRESH if afresh else FAILED
        return Change(sql, (host, now, now, state.failures, state.retry_at), waits_until=state.retry_at)


async def expire(db: Database, hosts: set[str]) -> int:
    """Remove the followers whose inboxes are on those of `hosts` that have accepted no delivery for
    FOLLOWERS_EXPIRE_AFTER_SECONDS and are failing now: as many POSTs in a row as make the circuit breaker
    wait (a run that ended long ago does not count: `HostBook.observe`), or unavailable. A host down when
    the node last posted, a month ago, is not judged by one failed attempt of the next post. A host that
    sends us activities but accepts none of ours still expires: sending costs a fake follower nothing.
    Returns how many follows were removed; each host counts its own in `followers_expired`."""
    if not hosts:
        return 0
    now = clock.timestamp()
    marks = ",".join("?" * len(hosts))
    expired = {r["host"] for r in await db.fetch_all(
        f"SELECT host FROM domains WHERE host IN ({marks}) AND undelivered_since < ?"
        " AND (failures >= ? OR unavailable = 1)",
        [*sorted(hosts), now - FOLLOWERS_EXPIRE_AFTER_SECONDS, HOST_FAILURES_TO_WAIT])}
    if not expired:
        return 0
    from .follows import expire_followers  # here: follows imports outbox, which imports delivery, which imports this

    async with db.transaction() as tx:
        removed = await expire_followers(tx, expired)
        await tx.execute_many(
            "UPDATE domains SET followers_expired = followers_expired + ?, followers_expired_at = ?,"
            " undelivered_since = NULL WHERE host = ?", [(removed.get(h, 0), now, h) for h in sorted(expired)])
    for host in sorted(expired):
        log.warning("removed %d followers on %s: it accepted no delivery for %d days", removed.get(host, 0), host,
                    FOLLOWERS_EXPIRE_AFTER_SECONDS // 86400)
    return sum(removed.values())


STOPPED = "SELECT host FROM domains WHERE unavailable = 1 OR blocked = 1"  # hosts whose deliveries are not sent


async def fail_unavailable(db: Database) -> None:
    """Deliveries to a domain that has failed for 7 days, or is blocked, stop here instead of piling up;
    for an unavailable one they count as deliveries not accepted (its followers may expire). A write only
    when there are some: a claim never takes them (node/delivery_store.py), so this is tidying up."""
    pending = f"state = '{DeliveryState.PENDING}' AND host IN ({STOPPED})"
    if not await db.fetch_value(f"SELECT 1 FROM deliveries WHERE {pending} LIMIT 1"):
        return
    now = clock.timestamp()
    async with db.transaction() as tx:
        unavailable = {r["host"] for r in await tx.fetch_all(
            f"SELECT DISTINCT host FROM deliveries WHERE state = '{DeliveryState.PENDING}' AND host IN"
            " (SELECT host FROM domains WHERE unavailable = 1 AND blocked = 0)")}
        await tx.execute(
            f"UPDATE deliveries SET state = ?, last_error = 'domain unavailable or blocked', updated_at = ?"
            f" WHERE {pending}", (DeliveryState.FAILED, clock.iso()),
        )
        await tx.execute_many("UPDATE domains SET undelivered_since = COALESCE(undelivered_since, ?) WHERE host = ?",
                              [(now, h) for h in sorted(unavailable)])
    await expire(db, unavailable)


@dataclass(frozen=True)
class Trouble:
    """A host whose deliveries fail or wait, or whose followers here expired (the admin's deliveries page)."""

    host: str
    failures: int
    waits_until: str | None
    undelivered_since: str | None
    followers_expired: int
    followers_expired_at: str | None


async def troubled(db: Database, limit: int = 100) -> list[Trouble]:
    def iso(ts: float | None) -> str | None:
        return None if ts is None else clock.iso(datetime.fromtimestamp(ts, UTC))

    now = clock.timestamp()
    rows = await db.fetch_all(
        "SELECT host, failures, retry_at, undelivered_since, followers_expired, followers_expired_at FROM domains"
        " WHERE failures > 0 OR undelivered_since IS NOT NULL OR followers_expired > 0"
        " ORDER BY retry_at > ? DESC, failures DESC, followers_expired_at DESC, host LIMIT ?", (now, limit))
    return [Trouble(r["host"], r["failures"], iso(r["retry_at"]) if (r["retry_at"] or 0) > now else None,
                    iso(r["undelivered_since"]), r["followers_expired"], iso(r["followers_expired_at"]))
            for r in rows]
