"""Limits: the token-bucket rate limiter (node/ratelimit.py) on its own, the per-domain inbox rate limit,
remote fetches bounded in size and time against a slow server and a huge body, deliveries to a domain
that is down failing fast instead of piling up, and a delivery queue that a malformed inbox URL cannot
stop. Backfill (issue 4) is not built yet."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node import clock
from node.accounts import get_actor
from node.app import create_app
from node.appkeys import DB, DELIVERY, FETCHER, URLS
from node.config import load_config
from node.fetch import Fetcher, FetchError, Signer
from node.outbox import send
from node.ratelimit import RateLimiter, retry_after_header
from protocol.retry import UNAVAILABLE_AFTER_SECONDS
from tests.node.conftest import copy_node
from tests.support.dbstate import changed, row_counts
from tests.support.node import AS_CONTEXT, PUBLIC, activity, error_of, post_signed, publish_practice
from tests.support.peer import AS2, Peer, fixed_key

GROUP = "http://node.test/users/reseau"
# What a bounded path may take: well below what it guards against (a server that answers in 30 s, work
# that grows with a hostile document), well above a busy CI machine's pauses (a 2 s bound was tight).
BOUNDED_SECONDS = 10


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# The limiter.

def test_a_bucket_allows_a_burst_then_one_request_per_interval() -> None:
    tick = FakeClock()
    limiter = RateLimiter(6, 60.0, clock=tick)  # one every 10 s, six saved up
    assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
    assert limiter.take("a") == pytest.approx(10.0)
    assert limiter.wait("a") == pytest.approx(10.0)
    tick.now += 4
    assert limiter.take("a") == pytest.approx(6.0)  # refused requests cost nothing
    tick.now += 6
    assert limiter.take("a") == 0.0
    assert limiter.take("a") == pytest.approx(10.0)
    tick.now += 3600
    assert [limiter.take("a") for _ in range(7)] == [0.0] * 6 + [pytest.approx(10.0)]  # never more than the burst


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(1, 60.0, clock=FakeClock())
    assert (limiter.take("a.example"), limiter.take("b.example")) == (0.0, 0.0)
    assert limiter.take("a.example") > 0 and limiter.take("b.example") > 0
    assert limiter.take("c.example") == 0.0


def test_burst_and_cost_are_configurable() -> None:
    limiter = RateLimiter(60, 60.0, burst=2, clock=FakeClock())
    assert limiter.take("k", cost=2) == 0.0
    assert limiter.take("k") == pytest.approx(1.0)
    assert limiter.wait("k", cost=3) == pytest.approx(3.0)


def test_spending_can_run_into_debt() -> None:
    """Requests already served are counted even past the limit (concurrent requests all passed `wait`)."""
    tick = FakeClock()
    limiter = RateLimiter(1, 60.0, clock=tick)
    for _ in range(3):
        limiter.spend("k")
    assert limiter.wait("k") == pytest.approx(180.0)
    tick.now += 180
    assert limiter.take("k") == 0.0


def test_memory_is_bounded_whatever_the_number_of_keys() -> None:
    tick = FakeClock()
    limiter = RateLimiter(2, 60.0, max_keys=100, clock=tick)
    limiter.take("busy")
    limiter.take("busy")
    for i in range(10_000):
        limiter.take(f"key-{i}")
        tick.now += 0.001
    assert len(limiter) <= 100
    limiter.take("recent")
    assert limiter.take("recent") == 0.0 and limiter.take("recent") > 0  # recent keys are kept


@pytest.mark.parametrize(("rate", "period"), [(0, 60.0), (-1, 60.0), (1, 0.0)])
def test_nonsense_limits_are_refused(rate: float, period: float) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate, period)


@pytest.mark.parametrize(("seconds", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.9, "60")])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: str) -> None:
    assert retry_after_header(seconds) == header


# The inbox, limited per sending domain.

@pytest.fixture
async def limited(node_template: dict[bool, Path], tmp_path: Path) -> AsyncIterator[TestClient]:
    """A node accepting 3 activities a minute from each domain."""
    copy_node(node_template[False], tmp_path / "limited")
    config = load_config(tmp_path / "limited", environ={"MAILLAGE_INBOX_RATE_PER_MINUTE": "3"})
    assert config.inbox_rate_per_minute == 3
    async with TestClient(TestServer(create_app(config, workers=False))) as test_client:
        yield test_client


async def test_a_domain_past_its_rate_gets_429_with_retry_after(limited: TestClient, peer: Peer,
                                                                other_peer: Peer) -> None:
    for _ in range(3):
        resp = await post_signed(limited, peer, "alice", "/inbox", activity(peer, "alice", "Like", GROUP))
        assert resp.status == 202
    db = limited.app[DB]
    counts = await row_counts(db)
    resp = await post_signed(limited, peer, "alice", "/users/reseau/inbox", activity(peer, "alice", "Like", GROUP))
    assert await error_of(resp) == (429, f"too many activities from {peer.host}: retry later")
    assert 19 <= int(resp.headers["Retry-After"]) <= 20
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert changed(counts, await row_counts(db)) == {}
    # Another server has its own allowance.
    carol = activity(other_peer, "carol", "Like", GROUP)
    assert (await post_signed(limited, other_peer, "carol", "/inbox", carol)).status == 202


async def test_forgeries_naming_a_domain_do_not_spend_its_allowance(limited: TestClient, peer: Peer) -> None:
    """The forger sends from an address of its own (its refusals count toward that address)."""
    url = limited.app[URLS].base + "/inbox"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))) as forger:
        for _ in range(10):
            body = json.dumps(activity(peer, "alice", "Like", GROUP)).encode()
            headers = peer.sign("alice", "POST", url, body, key="other-rsa-2048")
            async with forger.post(limited.make_url("/inbox"), data=body, headers=headers) as forged:
                assert forged.status in (401, 429)
            async with forger.post(limited.make_url("/inbox"), data=b"{", headers={
                    "Content-Type": AS2, "Signature": f'keyId="{peer.actor_iri("alice")}#main-key",signature="eA=="'}
                    ) as unsigned:
                assert unsigned.status in (400, 401, 429)
    for _ in range(3):
        assert (await post_signed(limited, peer, "alice", "/inbox", activity(peer, "alice", "Like", GROUP))).status \
            == 202


async def test_the_default_limit_lets_a_busy_peer_through(client: TestClient, peer: Peer) -> None:
    """600 a minute by default: a burst of 50 activities from one server is accepted."""
    for _ in range(50):
        assert (await post_signed(client, peer, "alice", "/inbox", activity(peer, "alice", "Like", GROUP))).status \
            == 202


# Remote fetches, bounded in size and time.

@pytest.fixture
async def hostile_server() -> AsyncIterator[str]:
    """A server that answers slowly, drips its body, or sends far more than asked (with or without a
    Content-Length)."""
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(30)
        return web.json_response({}, content_type=AS2)

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AS2})
        await response.prepare(request)
        for _ in range(300):
            await response.write(b" ")
            await asyncio.sleep(0.1)
        return response

    async def huge(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"[" + b"1," * 1_000_000 + b"1]", content_type=AS2)

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": AS2})
        await response.prepare(request)
        try:
            for _ in range(100_000):
                await response.write(b" " * 65536)
        except (ConnectionError, RuntimeError):
            pass
        return response

    app = web.Application()
    for name, handler in (("slow", slow), ("drip", drip), ("huge", huge), ("endless", endless)):
        app.router.add_get(f"/{name}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def bounded_fetcher(client: TestClient) -> Fetcher:
    return Fetcher(session=aiohttp.ClientSession(), db=client.app[DB],
                   signer=Signer("http://node.test/actor#main-key", fixed_key()), allow_private=True, timeout=0.5,
                   max_bytes=100_000, user_agent="test")


@pytest.mark.parametrize(("path", "reason"), [
    ("/slow", "failed: TimeoutError"), ("/drip", "failed: TimeoutError"),
    ("/huge", "response larger than 100000 bytes"), ("/endless", "response larger than 100000 bytes"),
])
async def test_remote_fetches_are_bounded_in_time_and_size(client: TestClient, hostile_server: str, path: str,
                                                           reason: str) -> None:
    fetch = await bounded_fetcher(client)
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as refused:
            await fetch.get_json(f"{hostile_server}{path}")
    finally:
        await fetch.session.close()
    assert time.monotonic() - started < BOUNDED_SECONDS
    assert reason in refused.value.reason


async def test_a_signing_key_on_a_slow_server_gets_401_within_the_fetch_timeout(
        node_template: dict[bool, Path], tmp_path: Path, peer: Peer, hostile_server: str) -> None:
    copy_node(node_template[False], tmp_path / "impatient")
    config = load_config(tmp_path / "impatient", environ={"MAILLAGE_FETCH_TIMEOUT": "0.5"})
    async with TestClient(TestServer(create_app(config, workers=False))) as impatient:
        started = time.monotonic()
        resp = await post_signed(impatient, peer, "alice", "/inbox", activity(peer, "alice", "Like", GROUP),
                                 key_id=f"{hostile_server}/slow#main-key")
        status, reason = await error_of(resp)
        assert time.monotonic() - started < BOUNDED_SECONDS
        assert status == 401 and "TimeoutError" in reason
        assert impatient.app[FETCHER].timeout.total == 0.5


# Bounded backfill (items, pages, per-domain concurrency and delay) is tested with the backfill itself:
# tests/node/test_backfill.py::test_bounds and its neighbours.


# Deliveries to a domain that is down.

async def queue(app: Any, *inboxes: str) -> None:
    group = await get_actor(app[DB], "reseau")
    assert group is not None
    doc = {"@context": AS_CONTEXT, "id": app[URLS].new_activity(), "type": "Announce", "actor": GROUP,
           "object": f"{app[URLS].base}/practices/x", "to": [PUBLIC]}
    async with app[DB].transaction() as tx:
        await send(tx, actor_id=group.id, document=doc, inboxes=inboxes)


async def test_new_deliveries_to_an_unavailable_domain_fail_fast_instead_of_piling_up(
        client: TestClient, peer: Peer) -> None:
    app = client.app
    async with app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, failing_since, unavailable) VALUES (?, ?, 1)",
                         (peer.host, clock.timestamp() - UNAVAILABLE_AFTER_SECONDS - 60))
    for _ in range(200):
        await queue(app, f"{peer.base}/inbox")
    await queue(app, f"{peer.base}/users/alice/inbox", "http://127.0.0.1:1/inbox")
    started = time.monotonic()
    attempts = await app[DELIVERY].run_once()
    assert time.monotonic() - started < BOUNDED_SECONDS
    assert attempts == 1  # only the other domain's delivery was tried
    rows = await app[DB].fetch_all("SELECT state, count(*) AS n FROM deliveries WHERE host = ? GROUP BY state",
                                   (peer.host,))
    assert {r["state"]: r["n"] for r in rows} == {"failed": 201}
    assert peer.inbox == []
    assert await app[DELIVERY].run_once() == 0  # nothing left to retry for the domain that is down


async def test_deliveries_to_a_failing_domain_wait_their_turn_and_do_not_multiply(
        client: TestClient, peer: Peer) -> None:
    """A domain that is down but not yet given up on: one pending row per activity, each retried later,
    none retried at once. Four POSTs go at once (node.delivery.PER_HOST); the fifth waits with its host,
    whose POSTs all failed (node/hosts.py), untried."""
    peer.inbox_status = 503
    for _ in range(5):
        await queue(client.app, f"{peer.base}/inbox")
    assert await client.app[DELIVERY].run_once() == 4
    assert await client.app[DELIVERY].run_once() == 0
    rows = await client.app[DB].fetch_all("SELECT state, attempts, next_attempt_at FROM deliveries")
    assert sorted((r["state"], r["attempts"]) for r in rows) == [("pending", 0)] + [("pending", 1)] * 4
    assert all(r["next_attempt_at"] > clock.timestamp() + 10 for r in rows)


async def test_an_inbox_url_the_http_client_cannot_encode_does_not_stop_the_queue(
        client: TestClient, peer: Peer) -> None:
    """A remote actor may publish any inbox URL: one whose host IDNA refuses (a label over 63 characters)
    made aiohttp raise ValueError, which stopped the delivery worker for every other inbox."""
    bad = "http://" + "a" * 64 + ".example/inbox"
    await queue(client.app, bad, f"{peer.base}/inbox")
    assert await client.app[DELIVERY].run_once() == 2
    rows = {r["inbox"]: r["state"] for r in await client.app[DB].fetch_all("SELECT inbox, state FROM deliveries")}
    assert rows == {bad: "pending", f"{peer.base}/inbox": "delivered"}
    assert len(peer.inbox) == 1


async def test_the_delivery_loop_survives_a_failing_pass(client: TestClient, peer: Peer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    worker = client.app[DELIVERY]
    calls = {"n": 0}
    real = worker._due_jobs

    async def flaky() -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database is locked")
        return await real()

    monkeypatch.setattr(worker, "_due_jobs", flaky)
    await publish_practice(client.app)
    await queue(client.app, f"{peer.base}/inbox")
    task = asyncio.create_task(worker.run(poll_interval=0.05))
    try:
        for _ in range(100):
            if peer.inbox:
                break
            await asyncio.sleep(0.02)
    finally:
        worker.stop()
        await asyncio.wait_for(task, 5)
    assert calls["n"] >= 2 and len(peer.inbox) == 1
