"""Fetch on demand what arrives by reference: the object a received reply answers (a comment on a
peer's practice we did not hold yet, an outcome whose journey we lack), up the thread a few steps,
each fetched from its own origin. Objects announced by IRI are fetched by the inbox worker itself."""

import logging
from typing import Any

from . import relevance, remote_content, search
from .comments import reply_target
from .db import Database
from .fetch import Fetcher, FetchError
from .urls import Urls

log = logging.getLogger(__name__)
MAX_DEPTH = 3  # a thread is followed this far up; a hostile chain of replies costs at most this many GETs


async def fetch_missing(db: Database, fetcher: Fetcher, urls: Urls, document: dict[str, Any],
                        depth: int = MAX_DEPTH) -> list[str]:
    """Fetch and keep the objects `document` replies to, as far as `depth`, that are neither ours nor
    known; returns their IRIs. A practice, journey or outcome enters the library only when the library
    lists its author (node/relevance.Followed). A failure is logged, not raised: the reply itself is
    already kept."""
    fetched: list[str] = []
    current = document
    followed = await relevance.followed(db, urls)
    while len(fetched) < depth:
        iri = reply_target(current)
        if iri is None or iri.startswith(f"{urls.base}/") \
                or await db.fetch_value("SELECT 1 FROM remote_objects WHERE iri = ?", (iri,)):
            break
        try:
            current = await fetcher.get_object(iri)
        except FetchError as exc:
            log.info("could not fetch %s, referenced by %s: %s", iri, document.get("id"), exc.reason)
            break
        async with db.transaction() as tx:
            if await remote_content.keep_fetched(tx, iri, current, followed=followed):
                await search.index_remote(tx, iri)
            kept = await tx.fetch_value("SELECT 1 FROM remote_objects WHERE iri = ?", (iri,))
        if not kept:  # not the object asked for, or its author is elsewhere: trust stops here
            break
        fetched.append(iri)
    return fetched
