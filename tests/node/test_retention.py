"""Retention of the traffic logs: processed inbox rows and finished deliveries older than
`log_retention_days` go; queued work, recent rows and what the traffic brought stay."""

from dataclasses import replace
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node import clock, retention
from node.app import create_app
from node.appkeys import WORKER_TASKS
from node.config import Config
from node.db import Database

OLD = clock.iso(clock.now() - timedelta(days=40))
RECENT = clock.iso(clock.now() - timedelta(days=2))


async def _seed(db: Database) -> None:
    async with db.transaction() as tx:
        for n, (state, processed) in enumerate([("done", OLD), ("ignored", OLD), ("failed", OLD), ("new", None),
                                                 ("done", RECENT), ("failed", RECENT)]):
            await tx.execute(
                "INSERT INTO inbox (activity_iri, type, actor_iri, document, state, received_at, processed_at)"
                " VALUES (?, 'Create', 'https://r.example/u', '{}', ?, ?, ?)",
                (f"https://r.example/a/{n}", state, processed or OLD, processed))
        actor_id = await tx.fetch_value("SELECT id FROM actors ORDER BY id LIMIT 1")
        activity_id = await tx.execute(
            "INSERT INTO activities (iri, type, actor_id, public, document, created_at)"
            " VALUES ('https://n.example/activities/1', 'Create', ?, 1, '{}', ?)", (actor_id, OLD))
        for n, (state, updated) in enumerate([("delivered", OLD), ("failed", OLD), ("pending", OLD),
                                              ("delivered", RECENT)]):
            await tx.execute(
                "INSERT INTO deliveries (activity_id, inbox, host, state, next_attempt_at, created_at, updated_at)"
                " VALUES (?, ?, 'r.example', ?, 0, ?, ?)", (activity_id, f"https://r.example/inbox/{n}", state, OLD,
                                                            updated))


@pytest.fixture
async def db(node_config: Config):
    database = await Database.open(node_config.database_path)
    try:
        yield database
    finally:
        await database.close()


async def test_old_processed_rows_and_finished_deliveries_go(db: Database) -> None:
    await _seed(db)
    assert await retention.prune(db, 30) == retention.Pruned(inbox=3, deliveries=2)
    inbox = [(r["state"], r["processed_at"]) for r in await db.fetch_all("SELECT * FROM inbox ORDER BY id")]
    assert inbox == [("new", None), ("done", RECENT), ("failed", RECENT)]
    deliveries = [(r["state"], r["updated_at"]) for r in await db.fetch_all("SELECT * FROM deliveries ORDER BY id")]
    assert deliveries == [("pending", OLD), ("delivered", RECENT)]
    assert await db.fetch_value("SELECT count(*) FROM activities") == 1  # what the traffic was about stays
    assert await retention.prune(db, 30) == retention.Pruned(inbox=0, deliveries=0)


async def test_a_longer_retention_keeps_more(db: Database) -> None:
    await _seed(db)
    assert await retention.prune(db, 60) == retention.Pruned(inbox=0, deliveries=0)
    assert await retention.prune(db, 1) == retention.Pruned(inbox=5, deliveries=3)


async def test_rows_are_deleted_a_chunk_at_a_time(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "CHUNK", 2)
    await _seed(db)
    assert await retention.prune(db, 30) == retention.Pruned(inbox=3, deliveries=2)
    assert await db.fetch_value("SELECT count(*) FROM inbox") == 3


@pytest.mark.parametrize(("days", "started"), [(30.0, True), (0.0, False)])
async def test_serve_prunes_unless_told_to_keep_everything(node_config: Config, days: float, started: bool) -> None:
    app = create_app(replace(node_config, log_retention_days=days))
    async with TestClient(TestServer(app)) as client:
        names = [task.get_name() for task in app[WORKER_TASKS]]
        assert ("retention" in names) is started
        resp = await client.get("/readyz")
        assert resp.status == 200
