"""The durable delivery queue over real HTTP: one POST per shared inbox, retries with backoff on 5xx,
401/408/429 and network errors, 4xx final, Retry-After honoured, domains failing for 7 days (or
blocked) stop receiving, and queued rows survive a restart."""

import json
import socket
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node import clock
from node.accounts import get_actor
from node.app import create_app
from node.appkeys import DB, DELIVERY, HTTP, URLS
from node.config import Config
from node.delivery import DeliveryWorker
from node.outbox import send
from protocol.retry import UNAVAILABLE_AFTER_SECONDS
from protocol.sig.common import format_http_date
from tests.support.node import AS_CONTEXT, PUBLIC, follow_network, process, publish_practice, verify_delivery
from tests.support.peer import Peer

GROUP = "http://node.test/users/reseau"


async def queue(app: Any, *inboxes: str) -> str:
    """Store an activity of the network Group and queue it for these inboxes (what every use case does)."""
    urls, db = app[URLS], app[DB]
    group = await get_actor(db, "reseau")
    assert group is not None
    doc = {"@context": AS_CONTEXT, "id": urls.new_activity(), "type": "Announce", "actor": GROUP,
           "object": f"{urls.base}/practices/x", "to": [PUBLIC]}
    async with db.transaction() as tx:
        await send(tx, actor_id=group.id, document=doc, inboxes=inboxes)
    return str(doc["id"])


async def deliveries(app: Any) -> list[dict[str, Any]]:
    rows = await app[DB].fetch_all(
        "SELECT inbox, state, attempts, last_status, last_error, next_attempt_at FROM deliveries ORDER BY id")
    return [dict(r) for r in rows]


async def make_due(app: Any) -> None:
    """Move every pending delivery's next attempt to now (instead of waiting for the backoff)."""
    async with app[DB].transaction() as tx:
        await tx.execute("UPDATE deliveries SET next_attempt_at = 0 WHERE state = 'pending'")


async def domain(app: Any, host: str) -> dict[str, Any] | None:
    row = await app[DB].fetch_one("SELECT failing_since, unavailable, blocked FROM domains WHERE host = ?", (host,))
    return dict(row) if row else None


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_followers_on_one_server_get_one_post_per_activity(client: TestClient, peer: Peer, bob: str) -> None:
    await follow_network(client, peer, "alice")
    await follow_network(client, peer, "bob")
    peer.inbox.clear()
    result = await publish_practice(client.app)
    assert [(d["inbox"], d["state"]) for d in await deliveries(client.app)][-2:] == [
        (f"{peer.base}/inbox", "pending"), (f"{peer.base}/inbox", "pending")]
    assert await process(client.app) == (0, 2)
    # One batch goes out concurrently: the two may arrive in either order (an Announce received first
    # makes the receiver fetch the object, so order does not matter to it).
    received = sorted(peer.inbox, key=lambda r: r.json["type"], reverse=True)
    assert [(r.path, r.json["type"]) for r in received] == [("/inbox", "Create"), ("/inbox", "Announce")]
    create, announce = received
    assert (await verify_delivery(client, create)).key_id == "http://node.test/users/admin#main-key"
    assert (await verify_delivery(client, announce)).key_id == f"{GROUP}#main-key"
    stored = await client.app[DB].fetch_value("SELECT document FROM activities WHERE iri = ?",
                                              (result.activity_iris[0],))
    assert create.body == stored.encode()
    assert {d["state"] for d in await deliveries(client.app)} == {"delivered"}


async def test_server_error_is_retried_later_with_backoff(client: TestClient, peer: Peer) -> None:
    inbox = f"{peer.base}/inbox"
    await queue(client.app, inbox)
    peer.inbox_status = 500
    before = clock.timestamp()
    assert await client.app[DELIVERY].run_once() == 1
    [row] = await deliveries(client.app)
    assert (row["state"], row["attempts"], row["last_status"], row["last_error"]) == ("pending", 1, 500, "HTTP 500")
    assert before + 16 <= row["next_attempt_at"] <= clock.timestamp() + 46  # 1**4 + 15 + up to 30 of jitter
    assert (await domain(client.app, peer.host) or {})["failing_since"] >= before
    assert await client.app[DELIVERY].run_once() == 0  # not due yet

    peer.inbox_status = 202
    await make_due(client.app)
    assert await client.app[DELIVERY].run_once() == 1
    [row] = await deliveries(client.app)
    assert (row["state"], row["attempts"], row["last_status"], row["last_error"]) == ("delivered", 2, 202, None)
    assert await domain(client.app, peer.host) == {"failing_since": None, "unavailable": 0, "blocked": 0}
    assert len(peer.inbox) == 2


@pytest.mark.parametrize("status", [400, 403, 404, 410, 422])
async def test_client_error_is_final(client: TestClient, peer: Peer, status: int) -> None:
    await queue(client.app, f"{peer.base}/inbox")
    peer.inbox_status = status
    assert await client.app[DELIVERY].run_once() == 1
    [row] = await deliveries(client.app)
    assert (row["state"], row["attempts"], row["last_status"]) == ("failed", 1, status)
    await make_due(client.app)
    assert await client.app[DELIVERY].run_once() == 0
    # The server answered: it is not failing (its row only notes that it accepted nothing yet).
    assert await domain(client.app, peer.host) == {"failing_since": None, "unavailable": 0, "blocked": 0}


@pytest.mark.parametrize("status", [401, 408, 429])
async def test_client_errors_that_ask_to_come_back_are_retried(client: TestClient, peer: Peer, status: int) -> None:
    await queue(client.app, f"{peer.base}/inbox")
    peer.inbox_status = status
    assert await client.app[DELIVERY].run_once() == 1
    [row] = await deliveries(client.app)
    assert (row["state"], row["attempts"], row["last_status"]) == ("pending", 1, status)
    assert row["next_attempt_at"] > clock.timestamp() + 15


@pytest.mark.parametrize(("retry_after", "delay"), [
    ("3600", 3600.0), ("999999", 86400.0), ("date+7200", 7200.0),
])
async def test_retry_after_is_honoured(client: TestClient, peer: Peer, retry_after: str, delay: float) -> None:
    await queue(client.app, f"{peer.base}/inbox")
    peer.inbox_status = 429
    if retry_after.startswith("date+"):
        retry_after = format_http_date(clock.now() + timedelta(seconds=int(retry_after[5:])))
    peer.inbox_headers["Retry-After"] = retry_after
    before = clock.timestamp()
    assert await client.app[DELIVERY].run_once() == 1
    [row] = await deliveries(client.app)
    assert row["state"] == "pending"
    assert before + delay - 2 <= row["next_attempt_at"] <= clock.timestamp() + delay + 1


async def test_connection_refused_is_retried(client: TestClient) -> None:
    port = closed_port()
    await queue(client.app, f"http://127.0.0.1:{port}/inbox")
    assert await client.app[DELIVERY].run_once() == 1
    [row] = await deliveries(client.app)
    assert (row["state"], row["attempts"], row["last_status"]) == ("pending", 1, None)
    assert f"Cannot connect to host 127.0.0.1:{port}" in row["last_error"]
    assert row["next_attempt_at"] > clock.timestamp() + 15
    assert (await domain(client.app, f"127.0.0.1:{port}") or {})["unavailable"] == 0


async def test_domain_failing_for_7_days_stops_receiving(client: TestClient, peer: Peer) -> None:
    app = client.app
    async with app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, failing_since) VALUES (?, ?)",
                         (peer.host, clock.timestamp() - UNAVAILABLE_AFTER_SECONDS - 60))
    await queue(app, f"{peer.base}/inbox")
    peer.inbox_status = 503
    assert await app[DELIVERY].run_once() == 1
    assert (await domain(app, peer.host) or {})["unavailable"] == 1
    await queue(app, f"{peer.base}/users/alice/inbox")
    await make_due(app)
    assert await app[DELIVERY].run_once() == 0
    assert [(d["state"], d["last_error"]) for d in await deliveries(app)] == [
        ("failed", "domain unavailable or blocked"), ("failed", "domain unavailable or blocked")]
    assert len(peer.inbox) == 1


async def test_domain_failing_for_6_days_is_still_tried(client: TestClient, peer: Peer) -> None:
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, failing_since) VALUES (?, ?)",
                         (peer.host, clock.timestamp() - 6 * 24 * 3600))
    await queue(client.app, f"{peer.base}/inbox")
    peer.inbox_status = 500
    assert await client.app[DELIVERY].run_once() == 1
    assert (await domain(client.app, peer.host) or {})["unavailable"] == 0


async def test_unavailable_domain_comes_back_when_it_talks_to_us(client: TestClient, peer: Peer) -> None:
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, failing_since, unavailable) VALUES (?, 1, 1)", (peer.host,))
    await follow_network(client, peer, "alice")  # its Follow clears the mark; our Accept goes out
    assert await domain(client.app, peer.host) == {"failing_since": None, "unavailable": 0, "blocked": 0}


async def test_blocked_domain_receives_nothing(client: TestClient, peer: Peer) -> None:
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, blocked) VALUES (?, 1)", (peer.host,))
    await queue(client.app, f"{peer.base}/inbox")
    assert await client.app[DELIVERY].run_once() == 0
    assert [d["state"] for d in await deliveries(client.app)] == ["failed"]
    assert peer.inbox == []


async def test_private_addresses_are_refused_outside_dev_mode(client: TestClient, peer: Peer) -> None:
    app = client.app
    await queue(app, f"{peer.base}/inbox")
    guarded = DeliveryWorker(db=app[DB], session=app[HTTP], urls=app[URLS], allow_private=False)
    assert await guarded.run_once() == 1
    [row] = await deliveries(app)
    assert (row["state"], row["last_status"], row["last_error"]) == (
        "failed", 403, "refused: 127.0.0.1 is not a public address")
    assert peer.inbox == []


async def test_queue_survives_a_restart(node_config: Config, peer: Peer) -> None:
    async with TestClient(TestServer(create_app(node_config, workers=False))) as first:
        peer.inbox_status = 500
        retried = await queue(first.app, f"{peer.base}/inbox")
        assert await first.app[DELIVERY].run_once() == 1
        never_tried = await queue(first.app, f"{peer.base}/users/alice/inbox")
    # The process is gone; a new one opens the same data folder.
    peer.inbox_status = 202
    async with TestClient(TestServer(create_app(node_config, workers=False))) as second:
        assert [(d["state"], d["attempts"]) for d in await deliveries(second.app)] == [("pending", 1), ("pending", 0)]
        assert await second.app[DELIVERY].run_once() == 1
        assert json.loads(peer.inbox[-1].body)["id"] == never_tried
        await make_due(second.app)
        assert await second.app[DELIVERY].run_once() == 1
        assert json.loads(peer.inbox[-1].body)["id"] == retried
        assert [d["state"] for d in await deliveries(second.app)] == ["delivered"] * 2
