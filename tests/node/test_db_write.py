"""Database.write, write_quick and fetch_all_quick: whole transactions in one step, on the writer's thread
or on the event loop's own, committed together or not at all, and never making the loop wait for a lock
another process holds."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from node import db as db_module
from node.db import Database


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "maillage.db")
    async with database.transaction() as tx:
        await tx.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
    try:
        yield database
    finally:
        await database.close()


def _insert(values: list[str], thread: list[int], conn: sqlite3.Connection) -> list[int]:
    thread.append(threading.get_ident())
    return [conn.execute("INSERT INTO t (v) VALUES (?) RETURNING id", (v,)).fetchone()[0] for v in values]


async def _values(db: Database) -> list[str]:
    return [r["v"] for r in await db.fetch_all("SELECT v FROM t ORDER BY id")]


async def test_write_runs_the_transaction_on_the_writer_thread_and_commits(db: Database) -> None:
    thread: list[int] = []
    assert await db.write(lambda conn: _insert(["a", "b"], thread, conn)) == [1, 2]
    assert thread != [threading.get_ident()]
    assert await _values(db) == ["a", "b"]


@pytest.mark.parametrize("method", ["write", "write_quick"])
async def test_a_failing_transaction_leaves_nothing(db: Database, method: str) -> None:
    await db.write(lambda conn: _insert(["a"], [], conn))
    write = db.write if method == "write" else lambda work: db.write_quick(work, size=0)
    with pytest.raises(sqlite3.IntegrityError):
        await write(lambda conn: _insert(["b", "a"], [], conn))  # "b" is inserted, then "a" fails: both go
    assert await _values(db) == ["a"]
    await write(lambda conn: _insert(["c"], [], conn))  # the connection is usable again
    assert await _values(db) == ["a", "c"]


async def test_write_quick_runs_on_the_loop_thread_and_other_connections_see_it(db: Database) -> None:
    thread: list[int] = []
    version = db.data_version()
    assert await db.write_quick(lambda conn: _insert(["a"], thread, conn), size=10) == [1]
    assert thread == [threading.get_ident()]
    assert db.data_version() != version  # response caches see the commit
    assert await _values(db) == ["a"]  # the reader's connection
    assert [r["v"] for r in await db.fetch_all_quick("SELECT v FROM t")] == ["a"]


async def test_large_quick_writes_take_the_writer_thread(db: Database) -> None:
    thread: list[int] = []
    await db.write_quick(lambda conn: _insert(["a"], thread, conn), size=db_module.QUICK_WRITE_BYTES + 1)
    assert thread != [threading.get_ident()]
    assert await _values(db) == ["a"]


async def test_write_quick_does_not_block_the_loop_while_another_process_writes(db: Database) -> None:
    """Another connection (the CLI) holds the write lock: the quick write waits on the writer's thread,
    within the busy timeout, while the loop goes on; it commits once the lock is released."""
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES ('cli')")
    thread: list[int] = []
    write = asyncio.create_task(db.write_quick(lambda conn: _insert(["node"], thread, conn), size=10))
    ticks = 0
    for _ in range(20):
        await asyncio.sleep(0.01)
        ticks += 1
    assert not write.done() and ticks == 20  # the loop ran for 0.2 s while the write waited
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(write, 5) == [2]
    assert thread != [threading.get_ident()]
    assert await _values(db) == ["cli", "node"]


async def test_quick_writes_are_serialised_with_transactions(db: Database) -> None:
    """A quick write waits for this process's open transaction instead of failing on its lock."""
    started = asyncio.Event()

    async def slow() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO t (v) VALUES ('tx')")
            started.set()
            await asyncio.sleep(0.05)

    task = asyncio.create_task(slow())
    await started.wait()
    await db.write_quick(lambda conn: _insert(["quick"], [], conn), size=10)
    await task
    assert await _values(db) == ["tx", "quick"]


@pytest.mark.parametrize("checkpoints", [True, False])
async def test_quick_writes_are_checkpointed_off_the_loop(db: Database, monkeypatch: pytest.MonkeyPatch,
                                                          checkpoints: bool) -> None:
    """The quick connection never checkpoints itself: new pages reach the database file only when the
    reader's thread checkpoints, at most once per CHECKPOINT_SECONDS (never, in the second case)."""
    monkeypatch.setattr(db_module, "CHECKPOINT_SECONDS", 0.0 if checkpoints else 1e9)
    before = db.path.stat().st_size
    for n in range(25):  # 5 MB, past SQLite's own automatic checkpoint (1,000 pages of 4 kB)
        await db.write_quick(lambda conn, n=n: _insert([f"{n:03}" + "x" * 200_000], [], conn), size=200_004)
    for _ in range(50):
        await asyncio.sleep(0.01)
        if db.path.stat().st_size > before:
            break
    assert (db.path.stat().st_size > before) is checkpoints
    assert len(await _values(db)) == 25


async def test_fetch_all_quick_sees_committed_rows_only(db: Database) -> None:
    await db.write(lambda conn: _insert(["a"], [], conn))
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO t (v) VALUES ('uncommitted')")
        assert [r["v"] for r in await db.fetch_all_quick("SELECT v FROM t")] == ["a"]
    assert [r[0] for r in await db.fetch_all_quick("SELECT v FROM t ORDER BY id")] == ["a", "uncommitted"]
