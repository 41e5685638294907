"""Backfill: when our network starts following a peer (or an admin runs `maillage backfill`), page
through the peer's outbox and import its earlier practices, journeys and outcomes, so a network that
joins late still learns from what the others wrote before, with the discussion under each: the replies
an imported item's origin lists in its `replies` collection (the comments it approved), each fetched from
its own server, and the replies listed in theirs, at most MAX_REPLIES per item.

Bounded (`backfill_max_items`, `backfill_max_pages`), resumable (the next page's IRI and the counts are
stored after each page, in the transaction that stores the page's items) and polite (at most
`backfill_concurrency` requests at a time per domain, `backfill_delay` seconds between two pages of one
outbox). Objects are always fetched from their origin: an outbox may embed them, but only the origin's
current copy is up to date (edits) or gone (410 after a Delete).
"""

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from protocol.collections import collection_items, item_iri, outbox_target
from protocol.iri import iri_host, same_origin

from . import clock, peers, relevance, remote_content, search
from .config import Config
from .db import Database, Transaction
from .fetch import Fetcher, FetchError
from .inbox_objects import keep_listed_reply
from .urls import Urls

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
LEASE_SECONDS = 120.0  # a row being worked on is not picked up by another process (the CLI and `serve`)
BATCH = 8
MAX_REPLIES = 100  # replies fetched per item, its whole discussion: the start of one, not an archive
MAX_REPLY_PAGES = 5  # pages read of one replies collection
MAX_REPLY_DEPTH = 3  # replies collections walked down a thread: the item's, its replies', theirs
CONTENT_TYPES = frozenset({"Article", "Event"})
SWEEP_CHUNK = 1_000  # ids of `remote_objects` the sweep reads per pass (about 4 ms with 4 KB documents)
SWEEP_SAVE_EVERY = 60  # passes between two saves of the sweep's progress while it finds nothing to store
SWEEP_KEY = "backfill_raw_sweep"  # node_settings: {"after": the last id read, "until": the last id to read}


@dataclass(frozen=True)
class BackfillSettings:
    max_items: int = 500
    max_pages: int = 50
    delay: float = 1.0
    concurrency: int = 2

    @classmethod
    def of(cls, config: Config) -> "BackfillSettings":
        return cls(max_items=config.backfill_max_items, max_pages=config.backfill_max_pages,
                   delay=config.backfill_delay, concurrency=config.backfill_concurrency)


@dataclass(frozen=True)
class BackfillState:
    actor_iri: str
    state: str
    next_page: str | None
    pages: int
    seen: int
    imported: int
    attempts: int
    next_attempt_at: float
    error: str | None


def retry_delay(attempt: int) -> float:
    """10 s, 1 min, 6 min, 36 min: a peer that is down is usually restarting or being upgraded."""
    return 10.0 * 6.0 ** (attempt - 1)


async def schedule(tx: Transaction, actor_iri: str, *, restart: bool = True) -> None:
    """Queue the backfill of an actor's outbox. A finished or failed one starts over when `restart`
    (a new follow, the CLI): what we already hold is skipped without a fetch."""
    now = clock.iso()
    await tx.execute(
        "INSERT INTO backfills (actor_iri, state, created_at, updated_at) VALUES (?, 'pending', ?, ?)"
        " ON CONFLICT (actor_iri) DO UPDATE SET state = 'pending', next_page = NULL, pages = 0, seen = 0,"
        " imported = 0, attempts = 0, next_attempt_at = 0, error = NULL, updated_at = excluded.updated_at"
        " WHERE ? AND backfills.state IN ('done', 'failed')",
        (actor_iri, now, now, int(restart)),
    )


async def follow_accepted(db: Database, local_base: str, actor_iri: str) -> None:
    """A peer accepted our follow: backfill its outbox, and describe its node in the directory now."""
    async with db.transaction() as tx:
        await schedule(tx, actor_iri)
        await peers.note_actor(tx, local_base, actor_iri, direct=True, due=True)


async def get_state(db: Database | Transaction, actor_iri: str) -> BackfillState | None:
    row = await db.fetch_one(
        "SELECT actor_iri, state, next_page, pages, seen, imported, attempts, next_attempt_at, error"
        " FROM backfills WHERE actor_iri = ?", (actor_iri,))
    return BackfillState(**dict(row)) if row else None


class BackfillWorker:
    """Imports one outbox page per due backfill per pass; `run_once()` never sleeps (tests call it)."""

    def __init__(self, *, db: Database, fetcher: Fetcher, local_base: str, settings: BackfillSettings,
                 group_iri: str | None = None) -> None:
        self.db = db
        self.fetcher = fetcher
        self.local_base = local_base
        self.settings = settings
        self.group_iri = group_iri  # our network: its accepted follows are backfilled (see _sweep); None: no sweeps
        self.swept = False  # the follows, once per start (see _sweep)
        self.raw_sweep: tuple[int, int] | None = None  # (after, until) of the raw objects' sweep, once read
        self.raw_unsaved = 0  # passes since its progress was last saved
        self.domains: dict[str, asyncio.Semaphore] = {}

    async def run_once(self, only: str | None = None) -> int:
        """One page for each due backfill (at most BATCH, concurrently: the domain limit applies across
        them); returns how many were worked on."""
        if self.group_iri:
            if not self.swept:
                await self._sweep()
            await self._sweep_raw()
        now = clock.timestamp()
        sql = ("SELECT actor_iri, next_attempt_at FROM backfills WHERE state IN ('pending', 'running')"
               " AND next_attempt_at <= ?")
        params: list[Any] = [now]
        if only is not None:
            sql, params = f"{sql} AND actor_iri = ?", [*params, only]
        rows = await self.db.fetch_all(f"{sql} ORDER BY next_attempt_at LIMIT ?", [*params, BATCH])
        if not rows:
            return 0
        claimed = []
        async with self.db.transaction() as tx:
            for row in rows:  # a lease: the CLI and `serve` never work on the same row at once
                await tx.execute("UPDATE backfills SET next_attempt_at = ? WHERE actor_iri = ? AND next_attempt_at = ?",
                                 (now + LEASE_SECONDS, row["actor_iri"], row["next_attempt_at"]))
                if await tx.changes():
                    claimed.append(row["actor_iri"])
        states = [await get_state(self.db, iri) for iri in claimed]
        await asyncio.gather(*(self._step(s) for s in states if s is not None))
        return len(claimed)

    async def _sweep(self) -> None:
        """Once per start: follows of our network accepted before this worker existed (or while a crash
        lost the schedule) get their backfill too."""
        self.swept = True
        rows = await self.db.fetch_all(
            "SELECT followee_iri FROM follows WHERE follower_iri = ? AND state = 'accepted'"
            " AND followee_iri NOT IN (SELECT actor_iri FROM backfills)", (self.group_iri,))
        if rows:
            async with self.db.transaction() as tx:
                for row in rows:
                    await schedule(tx, row["followee_iri"], restart=False)

    async def _sweep_raw(self) -> None:
        """Peers' objects kept raw before `remote_content` existed are read in full, once per node: since
        then the inbox and `keep_fetched` store both forms in one transaction, so the sweep reads the ids
        up to the highest one when it began, SWEEP_CHUNK of them per pass, after the node started serving
        (reading them all at once took 3.5 s at a million objects, and held the reader connection that
        pages and /healthz wait on). Its progress is saved in node_settings: a restart continues, and a
        finished sweep is not run again. Saved when something was stored, at the end, and every
        SWEEP_SAVE_EVERY passes, not at every pass: a commit empties the response cache."""
        if self.raw_sweep is None:
            self.raw_sweep = await self._raw_sweep_progress()
        after, until = self.raw_sweep
        if after >= until:
            return
        end = min(after + SWEEP_CHUNK, until)
        raw = await self.db.fetch_all(
            "SELECT iri, attributed_to, document FROM remote_objects WHERE id > ? AND id <= ?"
            " AND type IN ('Article', 'Event') AND deleted_at IS NULL AND iri NOT IN (SELECT iri FROM remote_content)"
            " ORDER BY id", (after, end))
        followed = await relevance.followed(self.db, Urls(self.local_base))  # a stranger's article stays raw
        for row in raw:  # one transaction each: a document that cannot be read does not hold the others back
            try:
                async with self.db.transaction() as tx:
                    if await remote_content.store(tx, json.loads(row["document"]),
                                                  new=followed.lists(row["attributed_to"])):
                        await search.index_remote(tx, row["iri"])
            except Exception:
                log.exception("%s, kept raw, could not be read in full", row["iri"])
        self.raw_sweep, self.raw_unsaved = (end, until), self.raw_unsaved + 1
        if raw or end >= until or self.raw_unsaved >= SWEEP_SAVE_EVERY:
            await self._save_raw_sweep(end, until)

    async def _raw_sweep_progress(self) -> tuple[int, int]:
        """(after, until) as saved; the first time, the sweep starts: up to the highest id there is now."""
        saved = await self.db.fetch_value("SELECT value FROM node_settings WHERE key = ?", (SWEEP_KEY,))
        if saved is not None:
            progress = json.loads(saved)
            return int(progress["after"]), int(progress["until"])
        until = int(await self.db.fetch_value("SELECT COALESCE(max(id), 0) FROM remote_objects"))
        await self._save_raw_sweep(0, until)
        return 0, until

    async def _save_raw_sweep(self, after: int, until: int) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO node_settings (key, value) VALUES (?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             (SWEEP_KEY, json.dumps({"after": after, "until": until})))
        self.raw_sweep, self.raw_unsaved = (after, until), 0

    async def _get(self, iri: str, *, collection: bool = False) -> dict[str, Any]:
        """A signed GET from the origin, at most `concurrency` at a time per domain. A `collection` may come
        without an `id` (Takahē's outbox): it is the URL fetched."""
        host = iri_host(iri)
        semaphore = self.domains.setdefault(host, asyncio.Semaphore(max(1, self.settings.concurrency)))
        async with semaphore:
            return await self.fetcher.get_object(iri, require_id=not collection)

    async def _first_page(self, actor_iri: str) -> tuple[str, dict[str, Any]]:
        actor = await self.fetcher.get_actor(actor_iri)
        if not actor.outbox or not same_origin(actor.outbox, actor_iri):
            raise FetchError(f"{actor_iri} has no outbox on its own server", 404)
        outbox = await self._get(actor.outbox, collection=True)
        first = outbox.get("first")
        if isinstance(first, dict):
            return actor.outbox, first
        first_iri = item_iri(first)
        if first_iri is None:  # an OrderedCollection with its items inline, or empty
            return actor.outbox, outbox
        return first_iri, await self._get(first_iri, collection=True)

    async def _fetch_item(self, item: Any, tolerate: bool) -> tuple[str, dict[str, Any]] | None:
        """The current document of the practice, journey or outcome an outbox item brings, or None."""
        try:
            activity = await self._get(item) if isinstance(item, str) else item
            iri = outbox_target(activity, CONTENT_TYPES) if isinstance(activity, dict) else None
            if iri is None or iri.startswith(f"{self.local_base}/") or await remote_content.known(self.db, iri):
                return None
            # A bare object listed by IRI was just fetched from its origin; embedded, it is fetched again.
            document = activity if isinstance(item, str) and activity.get("id") == iri else await self._get(iri)
        except FetchError as exc:
            if exc.gone or tolerate:  # deleted since; or the last attempt: skip what still fails
                return None
            raise
        types = document.get("type")
        types = types if isinstance(types, list) else [types]
        return (iri, document) if CONTENT_TYPES.intersection(t for t in types if isinstance(t, str)) else None

    async def _step(self, state: BackfillState) -> None:
        """One page: fetch it and its objects, then store them and move the cursor in one transaction."""
        limits = self.settings
        try:
            if state.next_page is None:
                page_iri, page = await self._first_page(state.actor_iri)
            else:
                page_iri, page = state.next_page, await self._get(state.next_page, collection=True)
            items = collection_items(page)[:max(0, limits.max_items - state.seen)]
            tolerate = state.attempts + 1 >= MAX_ATTEMPTS
            fetched = await asyncio.gather(*(self._fetch_item(item, tolerate) for item in items))
        except FetchError as exc:
            await self._failed(state, exc)
            return
        except Exception as exc:  # a bug or a malformed answer: counted like a failure, not retried forever
            log.exception("backfill of %s failed", state.actor_iri)
            await self._failed(state, FetchError(f"{exc.__class__.__name__}: {exc}"))
            return
        next_page = item_iri(page.get("next"))
        if next_page is not None and (next_page == page_iri or not same_origin(next_page, page_iri)):
            next_page = None
        pages, seen = state.pages + 1, state.seen + len(items)
        finished = next_page is None or seen >= limits.max_items or pages >= limits.max_pages
        imported: list[tuple[str, dict[str, Any]]] = []
        async with self.db.transaction() as tx:
            for found in fetched:
                if found is not None and await remote_content.keep_fetched(tx, *found):
                    await search.index_remote(tx, found[0])
                    imported.append(found)
            await tx.execute(
                "UPDATE backfills SET next_page = ?, pages = ?, seen = ?, imported = imported + ?, state = ?,"
                " attempts = 0, next_attempt_at = ?, error = NULL, updated_at = ? WHERE actor_iri = ?",
                (None if finished else next_page, pages, seen, len(imported), "done" if finished else "running",
                 0 if finished else clock.timestamp() + limits.delay, clock.iso(), state.actor_iri))
        log.info("backfill of %s: page %d, %d items, %d imported%s", state.actor_iri, pages, len(items),
                 len(imported), " (done)" if finished else "")
        for iri, document in imported:
            try:
                await self._import_replies(iri, document)
            except Exception:  # a bug or a storage error: this item's discussion is missed, not the backfill
                log.exception("backfill of the replies of %s failed", iri)

    async def _import_replies(self, item_iri: str, document: dict[str, Any]) -> None:
        """The discussion under an imported item, breadth first: the replies its replies collection lists,
        kept as comments on it (node/inbox_objects.keep_listed_reply), then those each kept reply's own
        collection lists, MAX_REPLY_DEPTH collections down, at most MAX_REPLIES fetched in all. A reply's
        collection is where a reply to a Mastodon comment is found: the item's origin may never have
        received it. A collection must be on its owner's server; a reply that fails to fetch is skipped:
        the item is imported already, and the discussion goes on in the inbox."""
        urls = Urls(self.local_base)
        budget, kept, seen = MAX_REPLIES, 0, set()
        level = [(item_iri, document)]
        for _ in range(MAX_REPLY_DEPTH):
            below: list[tuple[str, dict[str, Any]]] = []
            for owner_iri, owner in level:
                if budget <= 0:
                    break
                found = await self._listed_replies(owner_iri, owner, budget)
                if found is None:
                    continue
                listing, listed = found
                for iri in listed:
                    if iri in seen or iri.startswith(f"{self.local_base}/") or await self.db.fetch_value(
                            "SELECT 1 FROM remote_objects WHERE iri = ?", (iri,)):
                        continue
                    seen.add(iri)
                    budget -= 1
                    try:
                        reply = await self._get(iri)
                    except FetchError as exc:
                        log.info("backfill: reply %s skipped: %s", iri, exc.reason)
                        continue
                    async with self.db.transaction() as tx:
                        if await keep_listed_reply(tx, urls, iri, reply, listing):
                            kept += 1
                            below.append((iri, reply))
            level = below
        log.info("backfill of the replies of %s: %d fetched, %d kept", item_iri, len(seen), kept)

    async def _listed_replies(self, owner_iri: str, document: dict[str, Any],
                              limit: int) -> tuple[str, list[str]] | None:
        """(the collection's IRI, the first `limit` replies it lists, oldest first as listed) of
        `document`'s replies collection, read from at most MAX_REPLY_PAGES pages; None when it has none,
        one on another server than `owner_iri`'s, or one that fails to fetch."""
        replies = document.get("replies")
        listing = item_iri(replies)
        if listing is None or not same_origin(listing, owner_iri):
            return None
        listed: list[str] = []
        try:
            embedded = isinstance(replies, dict) and ("first" in replies or collection_items(replies))
            page = replies if embedded else await self._get(listing, collection=True)
            for _ in range(MAX_REPLY_PAGES + 1):  # the collection, then its pages
                if page is None or len(listed) >= limit:
                    break
                if "first" in page and not collection_items(page):  # the collection itself: on to its first page
                    page = await self._page(page["first"], listing)
                    continue
                found = [iri for iri in map(item_iri, collection_items(page)) if iri is not None]
                listed += found[:limit - len(listed)]
                page = await self._page(page.get("next"), listing) if len(listed) < limit else None
        except FetchError as exc:
            log.info("backfill of the replies of %s: %s", owner_iri, exc.reason)
            return None
        return listing, listed

    async def _page(self, ref: Any, listing: str) -> dict[str, Any] | None:
        """A page of a replies collection, embedded or by IRI; None for none, or one on another server."""
        if isinstance(ref, dict):  # Mastodon embeds a first page, often empty, whose `next` lists the others
            return ref
        iri = item_iri(ref)
        return await self._get(iri, collection=True) if iri is not None and same_origin(iri, listing) else None

    async def _failed(self, state: BackfillState, exc: FetchError) -> None:
        attempts = state.attempts + 1
        final = exc.gone or attempts >= MAX_ATTEMPTS
        log.warning("backfill of %s: %s%s", state.actor_iri, exc.reason, " (giving up)" if final else "")
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE backfills SET attempts = ?, state = ?, next_attempt_at = ?, error = ?, updated_at = ?"
                " WHERE actor_iri = ?",
                (attempts, "failed" if final else state.state, clock.timestamp() + retry_delay(attempts),
                 exc.reason[:500], clock.iso(), state.actor_iri))

    async def run_to_end(self, actor_iri: str, poll: float = 0.5) -> BackfillState:
        """Work on one backfill until it is done, failed, or waiting to retry after an error (the CLI;
        `serve` retries later), waiting between pages as politeness asks."""
        while True:
            await self.run_once(only=actor_iri)
            state = await get_state(self.db, actor_iri)
            if state is None:
                raise LookupError(f"no backfill of {actor_iri}")
            if state.state in ("done", "failed") or state.attempts:
                return state
            await asyncio.sleep(min(poll, max(0.0, state.next_attempt_at - clock.timestamp())))

    async def run(self, poll_interval: float = 1.0) -> None:
        """Work forever; rows scheduled by the inbox worker or the CLI are picked up within a second."""
        while True:
            try:
                await self.run_once()
            except Exception:  # a bug must not stop the loop; the row's lease expires and it is retried
                log.exception("backfill pass failed")
            await asyncio.sleep(poll_interval)
