"""SQLite storage: one writer connection behind a lock, one reader connection, WAL, migrations.

Why two connections: a transaction on the writer spans several awaits; a reader on its own
connection sees only committed data, so a page never shows a half-written publication. Other
processes (the CLI while `serve` runs) share the file through WAL and `busy_timeout`.
"""

import asyncio
import importlib.resources
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from . import clock

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
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=10000")
    return conn


class Database:
    """The node's database. Use `transaction()` for every write; read with `fetch_*`."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        # Used from the event loop's thread only, for `PRAGMA data_version` (a few microseconds, no I/O):
        # in-memory caches ask it whether anything was committed since they were filled.
        self._probe = sqlite3.connect(path, isolation_level=None)

    @classmethod
    async def open(cls, path: Path) -> "Database":
        writer = await _open(path)
        try:
            await migrate(writer, db_path=path)
            reader = await _open(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        """Close both connections, the writer even when closing the reader fails or is cancelled (a second
        SIGTERM during shutdown): each holds a non-daemon thread that would keep the process alive."""
        try:
            self._probe.close()
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
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._writer)
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            else:
                await self._writer.execute("COMMIT")

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


def _first(rows: Iterable[aiosqlite.Row]) -> aiosqlite.Row | None:
    return next(iter(rows), None)


class Transaction:
    """The writer connection while a transaction is open; reads here see the transaction's writes."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

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
