"""Review of issue 16's work: what a failed activity keeps, when a host's followers expire, slow hosts
that accept, and how often the delivery pass writes. Each test replays the reviewer's case."""

import json

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB, DELIVERY
from protocol.retry import FOLLOWERS_EXPIRE_AFTER_SECONDS, HOST_FAILURES_TO_WAIT
from tests.security.test_fair_delivery import DAY, Tick, all_due, follow_and_fail, followers, host_row, states
from tests.security.test_limits import queue
from tests.support.node import activity, post_signed, process
from tests.support.peer import Peer


async def test_a_failed_activity_keeps_its_id_a_digest_and_the_error_not_its_body(
        client: TestClient, other_peer: Peer) -> None:
    """An Announce (padded to 900 kB) of an object whose server answers 503: retried, then `failed`.
    Before: its whole body kept for `log_retention_days`, as much as anyone may send."""
    db = client.app[DB]
    other_peer.statuses["/notes/unreachable"] = 503
    announce = activity(other_peer, "carol", "Announce", f"{other_peer.base}/notes/unreachable",
                        summary="x" * 900_000)
    assert (await post_signed(client, other_peer, "carol", "/inbox", announce)).status == 202
    for _ in range(5):
        async with db.transaction() as tx:
            await tx.execute("UPDATE inbox SET next_attempt_at = 0")
        await process(client.app)
    row = await db.fetch_one("SELECT state, attempts, error, document FROM inbox")
    assert (row["state"], row["attempts"]) == ("failed", 5)
    assert "503" in row["error"]
    assert len(row["document"]) < 200
    kept = json.loads(row["document"])
    assert kept["id"] == announce["id"] and kept["digest"].startswith("sha-256=")
    again = await post_signed(client, other_peer, "carol", "/inbox", announce)  # still a duplicate
    assert again.status == 202
    await process(client.app)
    assert await db.fetch_value("SELECT COUNT(*) FROM inbox") == 1


# Follower expiry: a host's followers expire only while it is failing now, beyond the circuit breaker.

async def fail_every_retry(client: TestClient, peer: Peer, tick: Tick) -> None:
    """alice and bob on the peer follow the network; a post then fails every retry (about two days), and the
    node posts nothing more."""
    await follow_and_fail(client, peer)
    for _ in range(60):
        if not await client.app[DB].fetch_value("SELECT 1 FROM deliveries WHERE state = 'pending'"):
            break
        await all_due(client.app, tick)
        await client.app[DELIVERY].run_once()
    assert (await states(client.app, peer.host))[("failed", 16)] == 1  # (the Accepts of the follows went)


async def test_a_host_that_missed_a_post_a_month_ago_keeps_its_followers_through_one_failed_attempt(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next post, a month on: its first attempt fails (a restart), its retry is accepted. Before: the
    followers were removed at that first failed attempt (no delivery accepted for 30 days)."""
    app, tick = client.app, Tick(monkeypatch)
    await fail_every_retry(client, peer, tick)
    tick.now += FOLLOWERS_EXPIRE_AFTER_SECONDS + DAY
    await queue(app, f"{peer.base}/inbox")
    assert await app[DELIVERY].run_once() == 1
    assert len(await followers(app)) == 2
    row = await host_row(app, peer.host)
    assert (row["failures"], row["unavailable"]) == (1, 0)  # a new run of failures, not the 17th of the old one
    peer.inbox_status = 202
    await all_due(app, tick)
    assert await app[DELIVERY].run_once() == 1
    assert len(await followers(app)) == 2
    assert (await host_row(app, peer.host))["undelivered_since"] is None


async def test_a_host_that_missed_a_post_a_month_ago_and_keeps_failing_loses_its_followers(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same host, still down: its followers expire once it fails as often as the circuit breaker waits."""
    app, tick = client.app, Tick(monkeypatch)
    await fail_every_retry(client, peer, tick)
    tick.now += FOLLOWERS_EXPIRE_AFTER_SECONDS + DAY
    await queue(app, f"{peer.base}/inbox")
    for _ in range(HOST_FAILURES_TO_WAIT - 1):
        await all_due(app, tick)
        await app[DELIVERY].run_once()
        assert len(await followers(app)) == 2
    await all_due(app, tick)
    await app[DELIVERY].run_once()
    assert await followers(app) == []
    assert (await host_row(app, peer.host))["failures"] == HOST_FAILURES_TO_WAIT
