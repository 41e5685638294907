"""JSON-LD compaction of received and fetched documents, off the event loop when it needs pyld.

A document whose context the fast path knows already (Mastodon's, and every context seen before that
compaction gives back unchanged) is compacted on the loop's thread: a walk of the document, no pyld.
Any other goes to one thread of its own (`protocol.jsonld.compact`: a first analysis of its context,
or pyld), bounded by the work it does (protocol/jsonld_pyld.py: at most a few hundred ms of CPU), so
that the loop keeps answering meanwhile. One thread: pyld is not thread-safe, and documents that need
it share one core rather than all of them. At most MAX_WAITING documents wait for it from the inbox
(`bounded`): past that, CompactionBusy (the inbox answers 503 with Retry-After), so that a flood of
costly documents is neither queued without end nor held in memory."""

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from protocol.jsonld import compact, known_compaction

MAX_WAITING = 16
RETRY_SECONDS = 10.0


class CompactionBusy(Exception):
    """MAX_WAITING documents wait for the compaction thread already."""


_waiting = 0  # documents handed to the thread and not done yet (even when their caller went away)
_lock = threading.Lock()


def _done(_: object) -> None:
    global _waiting
    with _lock:
        _waiting -= 1


@functools.cache
def _pyld_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="maillage-jsonld")


async def compact_document(doc: object, *, bounded: bool = False) -> dict[str, Any]:
    """`protocol.jsonld.compact(doc)`, without holding the event loop for pyld. Raises ParseError, and
    CompactionBusy when `bounded` and MAX_WAITING documents wait already (the others wait their turn:
    the inbox worker and fetches are few at a time)."""
    global _waiting
    known = known_compaction(doc)
    if known is not None:
        return known
    with _lock:
        if bounded and _waiting >= MAX_WAITING:
            raise CompactionBusy(f"{MAX_WAITING} documents wait for JSON-LD processing")
        _waiting += 1
    job = _pyld_thread().submit(compact, doc)
    job.add_done_callback(_done)
    return await asyncio.wrap_future(job)
