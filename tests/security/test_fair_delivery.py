"""Fair delivery (issue 16): one dead or slow server never delays the others. The delivery worker
(node/delivery.py, node/hosts.py) keeps at most PER_HOST POSTs in flight to one host, starts the next job
as soon as a slot is free (no batch waiting for its slowest POST), serves hosts that have accepted
deliveries before hosts that never did, lets a host that keeps failing wait instead of trying each of its
deliveries, and removes the followers whose server accepted no delivery for 30 days. Time is the node's
clock (node/clock.py), moved by hand; the servers are real, on loopback addresses 127.0.0.N (one host each)."""

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node import clock, ops
from node.appkeys import CONFIG, DB, DELIVERY, HTTP, URLS
from node.delivery import PER_HOST, DeliveryWorker
from protocol.retry import FOLLOWERS_EXPIRE_AFTER_SECONDS, HOST_FAILURES_TO_WAIT, backoff_delay, host_wait
from tests.security.test_limits import queue  # one activity of the network Group, queued for these inboxes
from tests.support.desk import login
from tests.support.node import activity, follow_network, post_signed, process
from tests.support.peer import Peer
from tests.support.tarpit import Tarpits

GROUP = "http://node.test/users/reseau"
DAY = 86400.0


class Inboxes:
    """An inbox server on its own loopback address: answers `status` after `delay` seconds, and notes when
    each POST arrived and how many it held at once."""

    def __init__(self, address: str, *, delay: float = 0.0, status: int = 202) -> None:
        self.address, self.delay, self.status = address, delay, status
        self.arrived: list[tuple[float, str]] = []  # (monotonic time, path)
        self.answered = 0
        self.in_flight = self.most_at_once = 0
        self.server: TestServer | None = None

    async def __aenter__(self) -> "Inboxes":
        async def post(request: web.Request) -> web.Response:
            await request.read()
            self.arrived.append((time.monotonic(), request.path))
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
            try:
                await asyncio.sleep(self.delay)
                return web.Response(status=self.status)
            finally:
                self.in_flight -= 1
                self.answered += 1

        app = web.Application()
        app.router.add_post("/{tail:.*}", post)
        self.server = TestServer(app, host=self.address)
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        await self.server.close()

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"{self.address}:{self.server.port}"

    def inbox(self, n: int = 0) -> str:
        return f"http://{self.host}/users/u{n}/inbox"


class Tick:
    """The node's clock, stopped: `clock.timestamp()` answers `now` until a test moves it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = clock.timestamp()
        monkeypatch.setattr(clock, "timestamp", lambda: self.now)


async def host_row(app: Any, host: str) -> dict[str, Any]:
    row = await app[DB].fetch_one("SELECT * FROM domains WHERE host = ?", (host,))
    assert row is not None
    return dict(row)


async def states(app: Any, host: str) -> Counter[tuple[str, int]]:
    rows = await app[DB].fetch_all("SELECT state, attempts FROM deliveries WHERE host = ?", (host,))
    return Counter((r["state"], r["attempts"]) for r in rows)


async def all_due(app: Any, tick: Tick) -> None:
    """Move the clock to when every pending delivery is due."""
    tick.now = max(tick.now, await app[DB].fetch_value("SELECT max(next_attempt_at) FROM deliveries"
                                                       " WHERE state = 'pending'") or 0) + 1


async def within(seconds: float, what: str, done: Callable[[], bool]) -> float:
    """Wait until `done()`; returns how long it took, fails after `seconds`."""
    start = time.monotonic()
    while not done():
        assert time.monotonic() - start < seconds, f"{what} took more than {seconds}s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


@contextlib.asynccontextmanager
async def running(worker: DeliveryWorker) -> AsyncIterator[None]:
    """The worker's loop, as `serve` runs it, stopped (drained) on leaving: before the servers it talks to."""
    task = asyncio.create_task(worker.run(poll_interval=0.05))
    try:
        yield
    finally:
        worker.stop()
        await asyncio.wait_for(task, 15)


def fast_worker(app: Any, timeout: float) -> DeliveryWorker:
    """The app's worker as `serve` builds it, with a shorter timeout per POST."""
    return DeliveryWorker(db=app[DB], session=app[HTTP], urls=app[URLS], allow_private=True, timeout=timeout)


# The rules (protocol/retry.py).

def test_a_host_waits_after_three_failures_in_a_row_as_one_delivery_would() -> None:
    rng = random.Random(1)
    assert [host_wait(n, rng) for n in range(HOST_FAILURES_TO_WAIT)] == [None] * HOST_FAILURES_TO_WAIT
    for failures in range(HOST_FAILURES_TO_WAIT, 40):
        retry = failures - HOST_FAILURES_TO_WAIT + 1
        wait = host_wait(failures, random.Random(failures))
        assert wait == min(backoff_delay(retry, random.Random(failures)), DAY)
    assert host_wait(1000, rng) == DAY


# Per-host cap, no batch barrier, proven hosts first.

async def test_one_host_gets_at_most_four_posts_at_once(client: TestClient) -> None:
    async with Inboxes("127.0.0.40", delay=0.2) as server:
        await queue(client.app, *(server.inbox(n) for n in range(12)))
        assert await client.app[DELIVERY].run_once() == 12
        assert await states(client.app, server.host) == {("delivered", 1): 12}
    assert server.most_at_once == PER_HOST == 4  # before: all 12 at once (16 in all, none per host)


async def test_a_slow_host_does_not_hold_back_what_is_queued_for_another(
        client: TestClient) -> None:
    """Before: a batch waited for its slowest POST, so what was queued meanwhile waited too (a 3 s server
    held the next activity to a fast one for 3 s)."""
    app = client.app
    worker = app[DELIVERY]
    async with Inboxes("127.0.0.41", delay=3.0) as slow, Inboxes("127.0.0.42") as fast, running(worker):
        await queue(app, slow.inbox(), fast.inbox())
        worker.wakeup.set()
        await within(2, "the first activity to reach the fast server", lambda: len(fast.arrived) == 1)
        await queue(app, fast.inbox())
        worker.wakeup.set()
        took = await within(1.0, "the second activity to reach the fast server", lambda: len(fast.arrived) == 2)
        assert slow.answered == 0, "the slow server answered first: the test proved nothing"
        print(f"the fast server got the next activity {took:.2f}s after it was queued, the slow one still holding")


async def test_a_host_with_a_long_queue_does_not_hold_back_one_row_for_another(
        client: TestClient) -> None:
    """300 rows for one slow host queued first, then one for another host: claimed host by host, that one
    goes at once. Before: it waited for the first batch of 200 rows, all for the slow host (about 4 s)."""
    app = client.app
    async with Inboxes("127.0.0.44", delay=0.3) as crowded, Inboxes("127.0.0.45") as other:
        await queue(app, *(crowded.inbox(n) for n in range(300)))
        await queue(app, other.inbox())
        async with running(app[DELIVERY]):
            took = await within(1.5, "the other host's delivery", lambda: len(other.arrived) == 1)
            assert len(crowded.arrived) < 20
        print(f"the other host got its delivery in {took:.2f}s, the crowded one {len(crowded.arrived)} so far")


async def test_a_backlog_for_slow_hosts_does_not_hold_back_what_is_queued_for_another(
        client: TestClient, peer: Peer) -> None:
    """Three slow new hosts with 100 rows each keep more than a hundred jobs waiting for their slots; a row
    queued meanwhile for a host that accepts deliveries (by another process: no wakeup) goes at the pass's
    next look for new rows (every 0.5 s). Before: a batch of 200 slow rows went first (about 26 s)."""
    app = client.app
    await queue(app, f"{peer.base}/inbox")
    assert await app[DELIVERY].run_once() == 1  # the peer accepts a delivery: it is proven
    async with Inboxes("127.0.0.46", delay=2.0) as s1, Inboxes("127.0.0.47", delay=2.0) as s2, \
            Inboxes("127.0.0.48", delay=2.0) as s3:
        await queue(app, *(server.inbox(n) for n in range(100) for server in (s1, s2, s3)))
        async with running(app[DELIVERY]):
            await within(2, "the slow hosts' first deliveries", lambda: len(s1.arrived) + len(s2.arrived) > 0)
            await queue(app, f"{peer.base}/inbox")
            took = await within(1.5, "the proven host's delivery", lambda: len(peer.inbox) == 2)
        print(f"the proven host got its delivery in {took:.2f}s, the slow ones"
              f" {len(s1.arrived) + len(s2.arrived) + len(s3.arrived)} of 300 so far")


async def test_tarpits_do_not_hold_back_a_host_that_accepts_deliveries(
        client: TestClient, peer: Peer) -> None:
    """48 hosts that accept TCP and never answer, queued before a host that has accepted our deliveries:
    that host is served at once; the tarpits hold at most half the slots. Before: the 16 slots went to
    the first 16 POSTs in the queue, all tarpits, and the good host waited for them to time out."""
    app = client.app
    worker = fast_worker(app, timeout=2.0)
    await queue(app, f"{peer.base}/inbox")
    assert await worker.run_once() == 1  # the peer accepts a delivery: it is proven
    with Tarpits(48, first=100) as pits:
        # http://127.0.0.100… to 147… sort before http://127.0.0.1:…: the tarpits' rows come first in the queue.
        await queue(app, *(pits.inbox(n) for n in range(48)), f"{peer.base}/inbox")
        async with running(worker):
            took = await within(1.5, "the proven host's delivery", lambda: len(peer.inbox) == 2)
            assert sum(pits.held.values()) <= worker.concurrency // 2
        print(f"the proven host got its delivery in {took:.2f}s; the tarpits held {sum(pits.held.values())}")


async def test_a_host_that_never_completes_the_handshake_costs_the_connect_timeout(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SYN nobody answers: given up after the connect timeout (5 s; 0.3 s here), not the POST's 10 s."""
    import socket

    monkeypatch.setattr("node.delivery.CONNECT_TIMEOUT", 0.3, raising=False)
    with socket.socket() as listener:
        listener.bind(("127.0.0.43", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]  # fill the backlog: later SYNs are dropped
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.43", port))
        try:
            await queue(client.app, f"http://127.0.0.43:{port}/inbox")
            started = time.monotonic()
            assert await fast_worker(client.app, timeout=10.0).run_once() == 1
            assert time.monotonic() - started < 3
        finally:
            for filler in fillers:
                filler.close()
    row = await client.app[DB].fetch_one("SELECT state, last_error FROM deliveries")
    assert row["state"] == "pending" and "ConnectionTimeoutError" in row["last_error"]


# The circuit breaker.

async def test_a_host_that_keeps_failing_waits_instead_of_being_tried_for_each_delivery(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    app, tick = client.app, Tick(monkeypatch)
    peer.inbox_status = 503
    for _ in range(10):
        await queue(app, f"{peer.base}/inbox")
    # At most four go at once (the cap; fewer once one has failed); the third failure puts the rest off.
    tried = await app[DELIVERY].run_once()
    assert HOST_FAILURES_TO_WAIT <= tried <= PER_HOST  # before: 10, one POST per delivery
    host = await host_row(app, peer.host)
    assert host["failures"] == tried
    assert tick.now + wait_at_least(tried) <= host["retry_at"] <= tick.now + wait_at_least(tried) + 30 * (tried - 2)
    assert await states(app, peer.host) == {("pending", 1): tried, ("pending", 0): 10 - tried}
    waits = await app[DB].fetch_all("SELECT next_attempt_at FROM deliveries")
    assert min(r["next_attempt_at"] for r in waits) == host["retry_at"]
    assert await app[DELIVERY].run_once() == 0

    # When the wait is over, one POST tries the host; it fails, and the host waits longer.
    await all_due(app, tick)
    assert await app[DELIVERY].run_once() == 1
    host = await host_row(app, peer.host)
    assert host["failures"] == tried + 1
    assert host["retry_at"] >= tick.now + wait_at_least(tried + 1)
    assert len(peer.inbox) == tried + 1

    # The host is back: the one POST that tries it succeeds, and everything else goes in the same pass.
    peer.inbox_status = 202
    await all_due(app, tick)
    assert await app[DELIVERY].run_once() == 10
    rows = await app[DB].fetch_all("SELECT state, attempts FROM deliveries")
    assert {r["state"] for r in rows} == {"delivered"} and sum(r["attempts"] for r in rows) == tried + 1 + 10
    assert len(peer.inbox) == tried + 11
    host = await host_row(app, peer.host)
    assert (host["failures"], host["retry_at"], host["delivered_at"]) == (0, None, tick.now)


def wait_at_least(failures: int) -> float:
    """The shortest wait of a host after `failures` failed POSTs in a row (host_wait without its jitter)."""
    return (failures - HOST_FAILURES_TO_WAIT + 1) ** 4 + 15


async def test_a_failing_host_gets_one_post_at_a_time(client: TestClient, peer: Peer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    Tick(monkeypatch)
    peer.inbox_status = 500
    await queue(client.app, f"{peer.base}/inbox")
    assert await client.app[DELIVERY].run_once() == 1  # one failure: not yet waiting, but failing
    peer.inbox_status, peer.inbox_delay = 202, 0.1
    await queue(client.app, *(f"{peer.base}/users/u{n}/inbox" for n in range(5)))
    started = time.monotonic()
    assert await client.app[DELIVERY].run_once() == 5
    # The first answer clears the failure; the other four then go together.
    assert 0.2 <= time.monotonic() - started < 1.0


# Fake followers expire.

async def follow_and_fail(client: TestClient, peer: Peer) -> None:
    """alice and bob on the peer follow the network; then a delivery to the peer fails."""
    await follow_network(client, peer, "alice")
    peer.add_actor("bob")
    await follow_network(client, peer, "bob")
    peer.inbox_status = 503
    await queue(client.app, f"{peer.base}/inbox")
    assert await client.app[DELIVERY].run_once() == 1


async def followers(app: Any) -> list[str]:
    rows = await app[DB].fetch_all("SELECT follower_iri FROM follows WHERE followee_iri = ? ORDER BY 1", (GROUP,))
    return [r[0] for r in rows]


async def test_followers_on_a_host_that_accepted_nothing_for_30_days_expire(
        client: TestClient, peer: Peer, other_peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    app, tick = client.app, Tick(monkeypatch)
    await follow_network(client, other_peer, "carol")
    await follow_and_fail(client, peer)
    started = tick.now
    tick.now += FOLLOWERS_EXPIRE_AFTER_SECONDS - DAY  # 29 days on, still failing: kept
    await queue(app, f"{peer.base}/inbox")
    await all_due(app, tick)
    assert await app[DELIVERY].run_once() >= 1
    assert len(await followers(app)) == 3

    tick.now = started + FOLLOWERS_EXPIRE_AFTER_SECONDS + 60  # 30 days on, failing still: they expire
    await queue(app, f"{peer.base}/inbox")
    await app[DELIVERY].run_once()
    assert await followers(app) == [other_peer.actor_iri("carol")]  # before: all three, for ever
    host = await host_row(app, peer.host)
    assert (host["followers_expired"], host["followers_expired_at"], host["undelivered_since"]) == (2, tick.now, None)

    # The admin sees it: `maillage status` and the deliveries page.
    info = ops.status(app[CONFIG])
    assert info["followers_expired"] == 2
    assert "followers   1 accepted, 0 pending, 2 expired" in ops.format_status(info)
    await login(client)
    page = await (await client.get("/admin/deliveries", headers={"Accept-Language": "en"})).text()
    assert peer.host in page.split("Servers not accepting deliveries")[1].split("Failed deliveries")[0]


async def test_a_host_that_talks_to_us_but_accepts_nothing_still_expires(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """An activity from a host clears its `failing_since` and `unavailable` (it is up), not its
    `undelivered_since`: a tarpit cannot keep its fake followers by sending us something now and then."""
    app, tick = client.app, Tick(monkeypatch)
    await follow_and_fail(client, peer)
    started = tick.now
    tick.now += 20 * DAY
    follow = activity(peer, "alice", "Follow", GROUP)  # a Follow again: it talks to us (its Accept fails)
    assert (await post_signed(client, peer, "alice", "/inbox", follow)).status == 202
    await process(app)
    tick.now = started + FOLLOWERS_EXPIRE_AFTER_SECONDS + 60
    await queue(app, f"{peer.base}/inbox")
    await all_due(app, tick)
    await app[DELIVERY].run_once()
    assert await followers(app) == []


async def test_a_host_down_when_the_node_last_posted_keeps_its_followers(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Failures a month ago, then nothing to deliver: the next delivery decides, and it is accepted."""
    app, tick = client.app, Tick(monkeypatch)
    await follow_and_fail(client, peer)
    async with app[DB].transaction() as tx:  # its retries are over (given up), the node was quiet since
        await tx.execute("UPDATE deliveries SET state = 'failed' WHERE state = 'pending'")
    tick.now += FOLLOWERS_EXPIRE_AFTER_SECONDS + DAY
    peer.inbox_status = 202
    await queue(app, f"{peer.base}/inbox")
    assert await app[DELIVERY].run_once() == 1
    assert len(await followers(app)) == 2
    assert (await host_row(app, peer.host))["undelivered_since"] is None


async def test_followers_on_an_unavailable_host_expire_with_its_next_delivery(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unavailable (failing for 7 days): its deliveries fail without a try, and count as not accepted."""
    app, tick = client.app, Tick(monkeypatch)
    await follow_and_fail(client, peer)
    async with app[DB].transaction() as tx:
        await tx.execute("UPDATE domains SET unavailable = 1 WHERE host = ?", (peer.host,))
    tick.now += FOLLOWERS_EXPIRE_AFTER_SECONDS + 60
    await queue(app, f"{peer.base}/inbox")
    sent = len(peer.inbox)
    assert await app[DELIVERY].run_once() == 0
    assert len(peer.inbox) == sent
    assert await followers(app) == []
    assert (await host_row(app, peer.host))["followers_expired"] == 2
