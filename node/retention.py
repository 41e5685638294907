"""How long the node keeps its logs of traffic: received activities once processed (`inbox`) and
deliveries once finished (`deliveries`). Both grow with every activity (a post to 10,000 followers on
1,000 servers leaves 1,000 delivery rows) and are only read while they are recent: the worker queues,
the admin's counts, `maillage doctor`. What they led to (remote objects, follows, comments, our own
activities) is kept elsewhere and never pruned here.

Dropping an inbox row also drops its deduplication: an activity delivered again after the retention
period is processed again, which every inbox handler tolerates (doing it twice changes nothing), and
a signed request is only accepted within hours of its Date anyway.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from . import clock
from .db import Database

log = logging.getLogger(__name__)
CHUNK = 5000  # rows deleted per transaction: the write lock is never held long
INTERVAL_SECONDS = 3600.0

_FINISHED_INBOX = ("SELECT id FROM inbox WHERE state IN ('done', 'ignored', 'failed') AND processed_at < ?"
                   " ORDER BY id LIMIT ?")
_FINISHED_DELIVERIES = ("SELECT id FROM deliveries WHERE state IN ('delivered', 'failed') AND updated_at < ?"
                        " ORDER BY id LIMIT ?")


@dataclass(frozen=True)
class Pruned:
    inbox: int
    deliveries: int


async def prune(db: Database, days: float) -> Pruned:
    """Delete the inbox rows processed, and the deliveries finished, more than `days` ago. The rows
    are found on the reader's connection (no lock held while it scans), then deleted CHUNK at a time."""
    cutoff = clock.iso(clock.now() - timedelta(days=days))
    return Pruned(inbox=await _prune(db, "inbox", _FINISHED_INBOX, cutoff),
                  deliveries=await _prune(db, "deliveries", _FINISHED_DELIVERIES, cutoff))


async def _prune(db: Database, table: str, select: str, cutoff: str) -> int:
    total = 0
    while True:
        ids = [r[0] for r in await db.fetch_all(select, (cutoff, CHUNK))]
        if not ids:
            return total
        async with db.transaction() as tx:
            await tx.execute(f"DELETE FROM {table} WHERE id IN ({','.join('?' * len(ids))})", ids)
        total += len(ids)
        if len(ids) < CHUNK:
            return total


async def run(db: Database, days: float, interval: float = INTERVAL_SECONDS) -> None:
    """Prune at start, then every `interval` seconds (`serve` starts it when `log_retention_days` > 0)."""
    while True:
        try:
            pruned = await prune(db, days)
            if pruned.inbox or pruned.deliveries:
                log.info("retention: removed %d processed inbox rows and %d finished deliveries older than %g days",
                         pruned.inbox, pruned.deliveries, days)
        except Exception:  # a passing storage error: the next pass tries again
            log.exception("retention pass failed")
        await asyncio.sleep(interval)
