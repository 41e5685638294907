"""SQLite storage: one writer connection behind a lock, one reader connection, WAL, migrations.

Why two connections: a transaction on the writer spans several awaits; a reader on its own
connection sees only committed data, so a page never shows a half-written publication. Other
processes (the CLI while `serve` runs) share the file through WAL and `busy_timeout`.

Each of those calls is a trip to the connection's thread, and a trip waits for the event loop's
next turns: when the loop is busy (the inbox under load), milliseconds for a statement that
takes microseconds. Hot paths run their short statements on the loop's own thread instead
(`fetch_all_quick`, `write_quick`), which never waits for a lock: busy, they take the trip.
"""

import asyncio
import importlib.resources
import logging
import os
import re
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

from . import clock
from .diskspace import disk_full_cause

T = TypeVar("T")
State = TypeVar("State")
log = logging.getLogger(__name__)
CHECKPOINT_SECONDS = 1.0
QUICK_WRITE_BYTES = 256 * 1024
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """The database is unusable (newer schema than this code, corrupt file...)."""


def _migrations() -> list[tuple[int, str, str]]:
    files = importlib.resources.files("node.migrations")
    found = []
    for entry in files.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for (a, name_a, _), (b, name_b, _) in zip(found, found[1:], strict=False):
        if a == b:
            raise StorageError(f"two migrations share version {a:04d}: {name_a} and {name_b}")
    return found


async def _open(path: Path) -> aiosqlite.Connection:
    """A connection set up for the node; closed if that fails (its thread would keep the process alive:
    a full disk fails `journal_mode=WAL`, and the command hung after its traceback)."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=10000")
    except BaseException:
        await conn.close()
        raise
    return conn


class Database:
    """The node's database. Use `transaction()` for every write; read with `fetch_*`."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        # Used from the event loop's thread only, for `PRAGMA data_version` (a few microseconds, no I/O):
        # in-memory caches ask it whether anything was committed since they were filled. Quick reads use
        # it too (they do not change what data_version reports).
        self._probe = _connect_quick(path)
        # Quick writes, from the event loop's thread too: a separate connection, so that the probe sees
        # their commits. It never checkpoints (that would write the database file, and sync it, on the
        # loop): `_checkpoint` does it on the reader's thread.
        self._quick = _connect_quick(path)
        self._quick.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointed_at = 0.0
        self._checkpointing: asyncio.Task[None] | None = None
        self.disk_full_at: float | None = None  # when the last write failed for lack of room (monotonic)
        self._outcome = _WriteOutcome(self)

    @classmethod
    async def open(cls, path: Path) -> "Database":
        writer = await _open(path)
        reader = None
        try:
            await migrate(writer, db_path=path)
            reader = await _open(path)
            return cls(path, writer, reader)
        except BaseException:
            if reader is not None:
                await reader.close()
            await writer.close()
            raise

    async def close(self) -> None:
        """Close both connections, the writer even when closing the reader fails or is cancelled (a second
        SIGTERM during shutdown): each holds a non-daemon thread that would keep the process alive."""
        try:
            if self._checkpointing is not None:
                await asyncio.gather(self._checkpointing, return_exceptions=True)
            self._probe.close()
            self._quick.close()
            await self._reader.close()
        finally:
            await self._writer.close()

    def data_version(self) -> int:
        """A number that changes whenever any connection, in this process or another (the CLI), commits
        a write. Synchronous on purpose: a trip to a connection's thread would cost more than the cached
        work it guards."""
        return int(self._probe.execute("PRAGMA data_version").fetchone()[0])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator["Transaction"]:
        """All statements inside commit together or not at all (`BEGIN IMMEDIATE` takes the write
        lock up front, so a concurrent CLI process waits instead of failing half-way)."""
        async with self._lock, self._outcome:
            await self._writer.execute("BEGIN IMMEDIATE")
            tx = Transaction(self._writer)
            try:
                yield tx
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")
        for callback in tx.after_commit:
            callback()

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` in one transaction, whole, on the writer's thread: one trip there, where
        `transaction()` makes one per statement plus BEGIN and COMMIT. `work` runs in another thread: it
        must only use the connection it is given. (aiosqlite has no public call for this: `_execute` is the
        one every aiosqlite method goes through; tests/node/test_db_write.py would catch a change.)"""
        async with self._lock, self._outcome:
            return await self._write_on_thread(work)

    async def _write_on_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in a transaction on the writer's thread; the caller holds the lock."""
        result: T = await self._writer._execute(  # type: ignore[no-untyped-call]  # aiosqlite's internal call
            _run_transaction, self._writer._conn, work)
        return result

    async def write_quick(self, work: Callable[[sqlite3.Connection], T], *, size: int) -> T:
        """`write`, run on the event loop's thread: for a short transaction on a hot path (a few indexed
        rows, about a hundred microseconds in WAL mode, which syncs nothing at commit). When the loop is
        busy, a trip to the writer's thread waits for its turns: milliseconds, during which the write lock
        is held. `size` is about how many bytes `work` writes: past QUICK_WRITE_BYTES (large documents),
        the loop would stall, so `work` takes the trip. So it does when another process (the CLI) holds
        SQLite's write lock: the writer's thread waits for it, the loop must not."""
        if size > QUICK_WRITE_BYTES:
            return await self.write(work)
        async with self._lock, self._outcome:
            try:
                self._quick.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
            else:
                result = _finish_transaction(self._quick, work)
                self._checkpoint_soon()
                return result
            return await self._write_on_thread(work)

    async def fetch_all_quick(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """`fetch_all` on the event loop's thread, for an indexed read of a few rows on a hot path (tens of
        microseconds, against milliseconds for a trip to the reader's thread when the loop is busy). A WAL
        reader never waits for writers; in the rare case SQLite answers busy (a WAL being recovered), the
        read takes the trip instead."""
        try:
            return self._probe.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        return await self.fetch_all(sql, params)

    def _checkpoint_soon(self) -> None:
        """Quick writes leave the WAL to grow: at most once a second, copy it into the database file on the
        reader's thread (PASSIVE: it waits for no one and writers go on meanwhile)."""
        now = time.monotonic()
        if now - self._checkpointed_at < CHECKPOINT_SECONDS or (
                self._checkpointing is not None and not self._checkpointing.done()):
            return
        self._checkpointed_at = now
        self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            await self._reader.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except (sqlite3.Error, ValueError):  # closed meanwhile, or busy: the next quick write tries again
            log.debug("WAL checkpoint skipped", exc_info=True)

    # Every call below is one trip to the connection's thread (aiosqlite's execute_fetchall/execute_insert):
    # a cursor opened, read and closed from here would be three, and the trips, not SQLite, are what
    # a busy node waits on. fetch_one is for queries that select one row (or a few).

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        return _first(await self._reader.execute_fetchall(sql, params))

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return row[0] if row is not None else None


class _WriteOutcome:
    """Around every write: sets `Database.disk_full_at` when it failed for lack of room, clears it when it
    succeeded (`/readyz` reads it). A class, not a generator: the inbox's hot path goes through it."""

    __slots__ = ("db",)

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc is None:
            self.db.disk_full_at = None
        elif disk_full_cause(exc, self.db.path.parent) is not None:
            self.db.disk_full_at = time.monotonic()


def _busy(exc: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY, or one of its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT...)."""
    return exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


def _connect_quick(path: Path) -> sqlite3.Connection:
    """A connection used from the event loop's thread, which must never wait: no busy timeout."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout=0")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _run_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    return _finish_transaction(conn, work)


def _finish_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """`work` in the transaction just begun on `conn`, then COMMIT; ROLLBACK if it raises."""
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _first(rows: Iterable[aiosqlite.Row]) -> aiosqlite.Row | None:
    return next(iter(rows), None)


class Transaction:
    """The writer connection while a transaction is open; reads here see the transaction's writes.
    `after_commit`: what to call once they are committed (a cache of what the transaction changed)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self.after_commit: list[Callable[[], None]] = []

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the last inserted row id (0 when nothing was inserted)."""
        row = await self._conn.execute_insert(sql, params)
        return (row[0] if row is not None else 0) or 0

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def changes(self) -> int:
        """Rows changed by the last statement (to tell an insert-or-ignore that ignored)."""
        row = _first(await self._conn.execute_fetchall("SELECT changes()"))
        return int(row[0]) if row else 0

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        return _first(await self._conn.execute_fetchall(sql, params))

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return row[0] if row is not None else None


def latest_version() -> int:
    """The schema version this code expects (the highest migration it ships)."""
    return max(v for v, _, _ in _migrations())


def pre_migration_backup_path(db_path: Path, version: int) -> Path:
    return db_path.with_name(f"{db_path.name}.before-{version:04d}")


async def _backup_before(conn: aiosqlite.Connection, target: Path) -> None:
    """Copy the database with SQLite's online backup API (consistent even with other processes
    attached) to `target`, through a temporary file so a crash never leaves half a backup."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # it holds every private key
    copy = sqlite3.connect(partial, check_same_thread=False)  # written from aiosqlite's thread
    try:
        await conn.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    partial.replace(target)


async def migrate(conn: aiosqlite.Connection, *, db_path: Path | None = None) -> list[int]:
    """Apply pending migrations, each in its own transaction; returns the versions applied.
    Upgrades back up first: when `db_path` is given and an existing schema is about to change, the
    database is copied to `maillage.db.before-NNNN` (NNNN = first pending migration)."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        done = {row[0] for row in await cur.fetchall()}
    known = _migrations()
    if done and max(done) > max(v for v, _, _ in known):
        raise StorageError(
            f"database schema version {max(done)} is newer than this Maillage ({max(v for v, _, _ in known)})"
        )
    pending = [v for v, _, _ in known if v not in done]
    if db_path is not None and done and pending:
        await _backup_before(conn, pre_migration_backup_path(db_path, pending[0]))
    applied = []
    for version, name, sql in known:
        if version in done:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, clock.iso()),
            )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        applied.append(version)
    return applied


def _split_statements(sql: str) -> list[str]:
    """Split a migration into whole statements; `sqlite3.complete_statement` keeps triggers intact."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise StorageError(f"incomplete SQL statement in migration: {buffer.strip()[:80]}")
    return statements


# Keyset pages (newest first, `id < cursor`): a cursor before every row id, and the page read with one row
# more than it shows, which says whether there is an older page.
FIRST_PAGE = 2**63 - 1


def keyset_page(rows: Sequence[T], size: int, cursor: Callable[[T], int]) -> tuple[list[T], int | None]:
    """(the page: at most `size` of `rows`, read with LIMIT size + 1; the cursor of the next, older page,
    or None when there is none)."""
    return list(rows[:size]), cursor(rows[size - 1]) if len(rows) > size else None


def per_database(registry: "weakref.WeakKeyDictionary[Database, State]", db: Database,
                 make: Callable[[], State]) -> State:
    """The one `State` of this process for `db` (a cache, a queue), made on first use; the registry holds
    no reference to `db`."""
    state = registry.get(db)
    if state is None:
        state = registry[db] = make()
    return state
