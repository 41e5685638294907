"""JSON-LD compaction of received and fetched documents, off the event loop when it needs pyld.

A document whose context the fast path knows already (Mastodon's, and every context seen before that
compaction gives back unchanged) is compacted on the loop's thread: a walk of the document, no pyld.
Any other goes to one thread of its own (`protocol.jsonld.compact`: a first analysis of its context,
or pyld), bounded by the work it does (protocol/jsonld_pyld.py: at most a few hundred ms of CPU), so
that the loop keeps answering meanwhile. One thread: pyld is not thread-safe, and documents that need
it share one core rather than all of them."""

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from protocol.jsonld import compact, known_compaction


@functools.cache
def _pyld_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="maillage-jsonld")


async def compact_document(doc: object) -> dict[str, Any]:
    """`protocol.jsonld.compact(doc)`, without holding the event loop for pyld. Raises ParseError."""
    known = known_compaction(doc)
    if known is not None:
        return known
    return await asyncio.get_running_loop().run_in_executor(_pyld_thread(), compact, doc)
