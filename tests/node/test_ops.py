"""Operations inside the node: /readyz, the request echo doctor uses, forwarded headers from trusted
proxies only, graceful shutdown of the delivery worker, a backup before migrations, doctor and status."""

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from node import db as node_db
from node import ops
from node.accounts import get_actor
from node.app import create_app
from node.appkeys import DB, DELIVERY
from node.config import Config, ConfigError, load_config
from node.db import Database, latest_version, pre_migration_backup_path
from node.outbox import send
from node.proxy import forwarded_client, parse_networks
from tests.federation.harness import free_port


async def test_readyz_is_ready_when_workers_run(node_config: Config) -> None:
    async with TestClient(TestServer(create_app(node_config))) as client:
        resp = await client.get("/readyz")
        assert resp.status == 200
        assert await resp.json() == {"status": "ready",
                                     "checks": {"database": "ok", "migrations": "ok", "disk": "ok", "workers": "ok"}}


async def test_readyz_is_not_ready_without_workers_or_with_an_old_schema(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    resp = await client.get("/readyz")
    assert resp.status == 503
    assert (await resp.json())["checks"]["workers"] == "not started"
    monkeypatch.setattr("node.web.ops.latest_version", lambda: 999)
    body = await (await client.get("/readyz")).json()
    assert body["checks"]["migrations"] == f"schema {latest_version()}, expected 999"


async def test_request_echo_shows_host_raw_path_and_scheme(client: TestClient) -> None:
    raw = URL(f"http://127.0.0.1:{client.port}/readyz/request/a%2Fb//c%7Ed?q=%C3%A9", encoded=True)
    resp = await client.session.get(raw, headers={"Host": "Network.Example:8443"})
    assert await resp.json() == {"host": "Network.Example:8443", "path": "/readyz/request/a%2Fb//c%7Ed?q=%C3%A9",
                                 "scheme": "http", "remote": "127.0.0.1"}


FORWARDED = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9, 127.0.0.1", "X-Forwarded-Proto": "https",
             "Host": "network.example"}


async def test_forwarded_headers_are_ignored_from_untrusted_peers(client: TestClient) -> None:
    seen = await (await client.get("/readyz/request/x", headers=FORWARDED)).json()
    assert (seen["remote"], seen["scheme"], seen["host"]) == ("127.0.0.1", "http", "network.example")


async def test_forwarded_headers_are_used_from_a_trusted_proxy_but_host_is_kept(node_config: Config) -> None:
    config = replace(node_config, trusted_proxies=("127.0.0.0/8",))
    async with TestClient(TestServer(create_app(config, workers=False))) as client:
        seen = await (await client.get("/readyz/request/x", headers=FORWARDED)).json()
    # Read right to left: 127.0.0.1 is a trusted hop, 203.0.113.9 the client; the left part is hearsay.
    assert (seen["remote"], seen["scheme"], seen["host"]) == ("203.0.113.9", "https", "network.example")


def test_forwarded_client_rules() -> None:
    nets = parse_networks(["10.0.0.0/8", "::1"])
    assert forwarded_client("10.1.2.3", "192.0.2.1", "https", nets) == ("192.0.2.1", "https")
    assert forwarded_client("::1", None, "http", nets) == (None, "http")
    assert forwarded_client("::ffff:10.0.0.1", "192.0.2.1", None, nets) == ("192.0.2.1", None)
    assert forwarded_client("192.0.2.50", "192.0.2.1", "https", nets) == (None, None)
    assert forwarded_client("10.0.0.1", "192.0.2.1", "gopher", nets) == ("192.0.2.1", None)
    assert forwarded_client("10.0.0.1", "10.0.0.2, 10.0.0.3", None, nets) == ("10.0.0.2", None)
    assert forwarded_client("10.0.0.1", "192.0.2.1", "https", ()) == (None, None)


def test_trusted_proxies_from_file_and_environment(node_config: Config) -> None:
    path = node_config.data_dir / "maillage.toml"
    assert "\ntrusted_proxies = []\n" in path.read_text()
    assert load_config(node_config.data_dir, environ={}).trusted_proxies == ()
    env = {"MAILLAGE_TRUSTED_PROXIES": "127.0.0.1, ::1,10.0.0.0/8"}
    assert load_config(node_config.data_dir, environ=env).trusted_proxies == ("127.0.0.1/32", "::1/128", "10.0.0.0/8")
    path.write_text(path.read_text().replace("trusted_proxies = []", 'trusted_proxies = ["192.168.1.0/24"]'))
    assert load_config(node_config.data_dir, environ={}).trusted_proxies == ("192.168.1.0/24",)
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_config(node_config.data_dir, environ={"MAILLAGE_TRUSTED_PROXIES": "not-an-address"})


class SlowInbox:
    """A remote inbox that takes `delay` seconds to answer, to catch a delivery in flight."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.arrived = asyncio.Event()
        self.server: TestServer | None = None

    async def __aenter__(self) -> str:
        async def post_inbox(request: web.Request) -> web.Response:
            await request.read()
            self.arrived.set()
            await asyncio.sleep(self.delay)
            return web.Response(status=202)

        app = web.Application()
        app.router.add_post("/inbox", post_inbox)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return f"http://127.0.0.1:{self.server.port}/inbox"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()


async def _queue_one(app: web.Application, inbox: str) -> None:
    db, base = app[DB], app[DELIVERY].urls.base
    network = await get_actor(db, "reseau")
    assert network is not None
    async with db.transaction() as tx:
        await send(tx, actor_id=network.id, inboxes=[inbox], document={
            "@context": "https://www.w3.org/ns/activitystreams", "id": f"{base}/activities/shutdown-test",
            "type": "Like", "actor": f"{base}/users/reseau", "object": inbox})
    app[DELIVERY].wakeup.set()


def _delivery_state(config: Config) -> str:
    conn = sqlite3.connect(config.database_path)
    try:
        return str(conn.execute("SELECT state FROM deliveries").fetchone()[0])
    finally:
        conn.close()


async def test_shutdown_lets_the_delivery_in_flight_finish(node_config: Config) -> None:
    slow = SlowInbox(delay=0.5)
    async with slow as inbox_url:
        client = TestClient(TestServer(create_app(node_config)))
        await client.start_server()
        await _queue_one(client.app, inbox_url)
        await asyncio.wait_for(slow.arrived.wait(), timeout=5)
        await client.close()  # app cleanup: the server stops, the batch in flight finishes, the db closes
    assert _delivery_state(node_config) == "delivered"


async def test_shutdown_waits_only_so_long(node_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """A peer that never answers cannot hold the shutdown: past the drain time the delivery is
    cancelled and stays pending for the next start."""
    monkeypatch.setattr("node.app.DRAIN_SECONDS", 0.3)
    slow = SlowInbox(delay=30)
    async with slow as inbox_url:
        client = TestClient(TestServer(create_app(node_config)))
        await client.start_server()
        await _queue_one(client.app, inbox_url)
        await asyncio.wait_for(slow.arrived.wait(), timeout=5)
        started = asyncio.get_running_loop().time()
        await client.close()
        assert asyncio.get_running_loop().time() - started < 3
    assert _delivery_state(node_config) == "pending"


async def test_upgrade_backs_up_before_migrating(node_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    current = latest_version()
    known = node_db._migrations()
    extra = (current + 1, f"{current + 1:04d}_test.sql", "CREATE TABLE upgrade_probe (x INTEGER);")
    monkeypatch.setattr(node_db, "_migrations", lambda: [*known, extra])
    db = await Database.open(node_config.database_path)
    await db.close()
    backup = pre_migration_backup_path(node_config.database_path, current + 1)
    assert backup.name == f"maillage.db.before-{current + 1:04d}"
    conn = sqlite3.connect(backup)
    try:
        assert conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == current
        assert conn.execute("SELECT COUNT(*) FROM actors").fetchone()[0] == 3
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    # Nothing pending: no new backup. A brand-new database: nothing to back up.
    backup.unlink()
    await (await Database.open(node_config.database_path)).close()
    assert not backup.exists()
    fresh = node_config.data_dir / "fresh.db"
    await (await Database.open(fresh)).close()
    assert [p.name for p in node_config.data_dir.iterdir() if p.name.startswith("fresh.db.before")] == []


def _execute(config: Config, *statements: str) -> None:
    conn = sqlite3.connect(config.database_path)
    try:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def test_status_counts(node_config: Config) -> None:
    base = node_config.base_url
    _execute(
        node_config,
        "INSERT INTO remote_actors (iri, type, host, inbox, key_id, public_key_pem, document, fetched_at) VALUES"
        " ('https://peer.example/u/a', 'Person', 'peer.example', 'https://peer.example/inbox', 'k', 'p', '{}', 0),"
        " ('https://other.example/u/b', 'Group', 'other.example', 'https://other.example/inbox', 'k', 'p', '{}', 0)",
        "INSERT INTO follows (follower_iri, followee_iri, activity_iri, state, created_at, updated_at) VALUES"
        f" ('https://peer.example/u/a', '{base}/users/reseau', 'f1', 'accepted', '', ''),"
        f" ('https://x.example/u/c', '{base}/users/reseau', 'f2', 'pending', '', ''),"
        f" ('{base}/users/reseau', 'https://other.example/u/b', 'f3', 'accepted', '', '')",
        "INSERT INTO inbox (activity_iri, type, actor_iri, document, state, received_at) VALUES"
        " ('i1', 'Like', 'a', '{}', 'done', ''), ('i2', 'Like', 'a', '{}', 'failed', '')",
    )
    info = ops.status(node_config)
    assert info["followers"] == {"accepted": 1, "pending": 1}
    assert info["following"] == {"accepted": 1}
    assert info["peers"] == 2
    assert info["inbox"] == {"done": 1, "failed": 1}
    text = ops.format_status(info)
    assert "followers   1 accepted, 1 pending" in text
    assert "inbox       0 new, 1 done, 0 ignored, 1 failed" in text


async def test_doctor_all_ok_against_a_serving_node(node_template: dict[bool, Path], tmp_path: Path) -> None:
    from tests.node.conftest import copy_node

    port = free_port()
    config = copy_node(node_template[False], tmp_path / "n")
    text = (config.data_dir / "maillage.toml").read_text()
    (config.data_dir / "maillage.toml").write_text(text.replace(config.base_url, f"http://127.0.0.1:{port}"))
    config = load_config(config.data_dir, environ={})
    async with TestClient(TestServer(create_app(config), host="127.0.0.1", port=port)):
        checks = {c.name: c for c in await ops.doctor(config)}
    report = ops.format_checks(list(checks.values()))
    assert [n for n, c in checks.items() if c.level != "OK" and n != "disk"] == [], report
    assert set(checks) >= {"webfinger", "actor", "proxy", "readiness", "clock", "keys", "database", "schema",
                           "deliveries", "inbox", "disk"}


async def test_doctor_fails_when_the_public_url_does_not_answer(node_config: Config) -> None:
    config = replace(node_config, base_url=f"http://127.0.0.1:{free_port()}")
    checks = await ops.doctor(config)
    public = [c for c in checks if c.name == "public URL"]
    assert public and public[0].level == "FAIL" and "is `maillage serve` running" in public[0].reason
    assert {c.name for c in checks} >= {"keys", "database", "disk"}


def test_doctor_local_findings(node_config: Config) -> None:
    _execute(
        node_config,
        "UPDATE actors SET private_key_pem = 'garbage' WHERE username = 'admin'",
        "INSERT INTO activities (iri, type, actor_id, public, document, created_at)"
        " VALUES ('a1', 'Like', 1, 0, '{}', '')",
        "INSERT INTO deliveries (activity_id, inbox, host, state, next_attempt_at, created_at, updated_at) VALUES"
        " (1, 'https://down.example/inbox', 'down.example', 'failed', 0, '', ''),"
        " (1, 'https://late.example/inbox', 'late.example', 'pending', 0, '', '')",
    )
    checks, _ = ops._local_checks(node_config)
    found = {c.name: c for c in checks}
    assert found["keys"].level == "FAIL" and "admin" in found["keys"].reason
    assert found["database"].level == "OK" and found["schema"].level == "OK"
    assert found["deliveries"].level == "WARN"
    assert "1 deliveries are overdue" in found["deliveries"].reason and "down.example" in found["deliveries"].reason
