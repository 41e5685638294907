"""The inbox's storage in memory and on disk: activities parsed on receipt and handed to the inbox
worker of this process (`Handed`), and the group commit of received activities (`InboxWriter`). Used
by node/inbox.py, which decides what is stored."""

import asyncio
import functools
import sqlite3
import weakref
from typing import Any

from protocol.activities import Activity

from .db import Database, per_database
from .inbox_objects import INSERT_OBJECT

Entry = tuple[str, dict[str, Any], Activity]  # (stored document, compacted, parsed)


class Handed:
    """Parsed activities waiting for the inbox worker of this process, by activity id: parsing a
    document costs as much as storing it. Bounded: a document above MAX_DOCUMENT is not kept (the worker
    parses its row), and past MAX_ENTRIES or MAX_BYTES of documents (a backlog), the oldest are dropped
    and the worker parses their rows itself."""

    MAX_ENTRIES = 1000
    MAX_DOCUMENT = 65536
    MAX_BYTES = 16_000_000

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.size = 0  # length of the documents kept

    @classmethod
    def of(cls, db: Database) -> "Handed":
        return per_database(_handed, db, cls)

    def put(self, activity_iri: str, document: str, compacted: dict[str, Any], activity: Activity) -> Entry | None:
        """Keep a parsed activity before its row is stored; None when one with this id is kept already
        (a duplicate received meanwhile: the first one is the row stored) or when it is too large."""
        if activity_iri in self.entries or len(document) > self.MAX_DOCUMENT:
            return None
        entry = self.entries[activity_iri] = (document, compacted, activity)
        self.size += len(document)
        while len(self.entries) > self.MAX_ENTRIES or self.size > self.MAX_BYTES:
            self._forget(next(iter(self.entries)))
        return entry

    def _forget(self, activity_iri: str) -> Entry | None:
        entry = self.entries.pop(activity_iri, None)
        if entry is not None:
            self.size -= len(entry[0])
        return entry

    def drop(self, activity_iri: str, entry: Entry | None) -> None:
        """`entry` was not stored (a duplicate, an error): forgotten."""
        if entry is not None and self.entries.get(activity_iri) is entry:
            self._forget(activity_iri)

    def take(self, activity_iri: str, document: str) -> tuple[dict[str, Any], Activity] | None:
        entry = self._forget(activity_iri)
        if entry is None or entry[0] != document:
            return None
        return entry[1], entry[2]


_handed: "weakref.WeakKeyDictionary[Database, Handed]" = weakref.WeakKeyDictionary()


Row = tuple[str, tuple[Any, ...], tuple[Any, ...] | None]  # (sender's host, inbox row, object row kept with it)
_writers: "weakref.WeakKeyDictionary[Database, InboxWriter]" = weakref.WeakKeyDictionary()


class InboxWriter:
    """Group commit of received activities: requests that arrive while one batch is being written are
    written by the next batch, all together, one transaction per batch instead of one per request, and each
    request still sees what was committed before it arrived. Each is answered True when its row was
    inserted, False when its activity id was already stored, with the same statements a single row gets
    (the sender's domain is no longer failing; INSERT OR IGNORE, deduped on the activity id; the object
    row of an activity handled at once, when its activity row was inserted), and only
    once its row is committed. If a shared transaction fails, its rows are written one transaction each,
    so that a row fails alone, as it would without grouping. One instance per database (`of`), holding no
    reference to it."""

    MAX_BATCH = 500

    def __init__(self) -> None:
        self.queue: list[tuple[Row, asyncio.Future[bool]]] = []
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, db: Database) -> "InboxWriter":
        return per_database(_writers, db, cls)

    async def submit(self, db: Database, item: Row) -> bool:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.queue.append((item, done))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain(db))
        return await done

    async def _drain(self, db: Database) -> None:
        while self.queue:
            batch, self.queue = self.queue[: self.MAX_BATCH], self.queue[self.MAX_BATCH :]
            try:
                outcomes = await self._outcomes(db, [item for item, _ in batch])
            except BaseException:  # cancelled (shutdown): nobody may wait for an answer that will not come
                for _, done in (*batch, *self.queue):
                    done.cancel()
                self.queue = []
                raise
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if not done.done():  # a caller cancelled meanwhile gets no answer (a row is stored all the same)
                    if isinstance(outcome, Exception):
                        done.set_exception(outcome)
                    else:
                        done.set_result(outcome)

    async def _outcomes(self, db: Database, batch: list[Row]) -> list[bool | Exception]:
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

    async def _write(self, db: Database, batch: list[Row]) -> list[bool]:
        size = sum(len(row[4]) + (len(kept[4]) if kept else 0) for _, row, kept in batch)
        return await db.write_quick(functools.partial(insert_rows, batch), size=size)


def insert_rows(batch: list[Row], conn: sqlite3.Connection) -> list[bool]:
    """The transaction of `InboxWriter._write`: for each row, whether it was inserted (the first of its
    activity id: a batch may hold the same activity twice, and the later one is a duplicate)."""
    conn.executemany(
        "UPDATE domains SET failing_since = NULL, unavailable = 0 WHERE host = ? AND failing_since IS NOT NULL",
        [(host,) for host in dict.fromkeys(host for host, _, _ in batch)],
    )
    inserted = {r[0] for r in conn.execute(
        "INSERT OR IGNORE INTO inbox (activity_iri, type, actor_iri, recipient_actor_id, document, received_at,"
        f" state, attempts, processed_at) VALUES {','.join(['(?, ?, ?, ?, ?, ?, ?, ?, ?)'] * len(batch))}"
        " RETURNING activity_iri",
        [value for _, row, _ in batch for value in row],
    ).fetchall()}
    stored = []
    for _, (iri, *_), _ in batch:
        stored.append(iri in inserted)
        inserted.discard(iri)
    kept = [kept for (_, _, kept), first in zip(batch, stored, strict=True) if first and kept is not None]
    if kept:
        conn.executemany(INSERT_OBJECT, kept)
    return stored
