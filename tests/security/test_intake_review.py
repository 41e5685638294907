"""Issue 16's intake, reviewed: holes left after the first round, each reproduced as the reviewer did.

- Keys: invented keyIds (new fragments, queries, actors on the victim's host) were each fetched: 300
  GETs to the victim for 300 POSTs. A key fetch is now counted per owner and per host when it starts,
  and an actor document fetched less than a minute ago is read again instead of fetched.
"""

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from node import clock, compaction, inbox_store
from node.app import create_app
from node.appkeys import INTAKE, URLS
from node.config import Config
from protocol import jsonld_fast
from protocol.activities import parse_activity
from protocol.jsonld import AS_CONTEXT_IRI as AS_CONTEXT
from protocol.jsonld import compact
from tests.protocol.test_jsonld import mastodon_create
from tests.support.node import activity, post_signed
from tests.support.peer import AS2, Peer, fixed_key

PRACTICE = "http://node.test/practices/x"


async def test_invented_keyids_on_one_host_send_a_few_gets_not_one_each(client: TestClient, peer: Peer) -> None:
    """The reviewer's 300 keyIds naming the victim (new fragments, queries, actors): 300 GETs before."""
    alice = peer.actor_iri("alice")
    key_ids = [*(f"{alice}#k{i}" for i in range(100)), *(f"{alice}?x={i}#main-key" for i in range(100)),
               *(f"{peer.base}/users/u{i}#main-key" for i in range(100))]

    intake = client.app[INTAKE]
    intake.per_address = intake.total = 1000  # what is measured here is the key fetches, not these caps

    async def forged(key_id: str) -> int:
        resp = await post_signed(client, peer, "alice", "/inbox", body=b"{}", key_id=key_id)
        return resp.status

    assert set(await asyncio.gather(*(forged(k) for k in key_ids))) == {401}
    assert sum(peer.get_counts.values()) <= 30, peer.get_counts  # HOST_KEY_FETCHES


async def test_a_rotated_key_is_picked_up_once_the_cached_one_is_a_minute_old(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within a minute of fetching alice, a failing signature reads the same document again (no GET);
    a minute later one refetch finds her new key."""
    like = activity(peer, "alice", "Like", PRACTICE)
    assert (await post_signed(client, peer, "alice", "/inbox", like)).status == 202
    wrong = activity(peer, "alice", "Like", PRACTICE)
    assert (await post_signed(client, peer, "alice", "/inbox", wrong, key="other-rsa-2048")).status == 401
    assert peer.get_counts == {"/users/alice": 1}
    later = clock.timestamp() + 61
    monkeypatch.setattr(clock, "timestamp", lambda: later)
    peer.keys["alice"] = fixed_key("other-rsa-2048")
    rotated = activity(peer, "alice", "Like", PRACTICE)
    assert (await post_signed(client, peer, "alice", "/inbox", rotated)).status == 202
    assert peer.get_counts == {"/users/alice": 2}


# Requests waiting for their signer's key still hold their upload slot.

async def test_requests_waiting_for_a_slow_key_server_are_capped_per_address(client: TestClient, peer: Peer) -> None:
    """Signed POSTs of 900 kB whose keys are on servers that accept and never answer: each held its body
    and parsed document for the fetch's 10 s, any number of them from one address, before. Now the fifth
    from one address is refused at once (429: 4 MB not yet verified), the first four waiting still."""
    stalled: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stalled.append(writer)

    servers = [await asyncio.start_server(hold, "127.0.0.1", 0) for _ in range(8)]
    try:
        key_ids = [f"http://127.0.0.1:{s.sockets[0].getsockname()[1]}/users/x#main-key" for s in servers]
        body = b'{"type": "Create", "object": {"content": "' + b"x" * 900_000 + b'"}}'
        posts = []
        for key_id in key_ids:  # one after the other: each body is read before the next is sent
            posts.append(asyncio.create_task(post_signed(client, peer, "alice", "/inbox", body=body, key_id=key_id)))
            await asyncio.sleep(0.3)
        done, pending = await asyncio.wait(posts, timeout=1.0)
        assert pending == set(posts[:4])
        assert [(await t).status for t in posts[4:]] == [429] * 4
    finally:
        for task in posts:
            task.cancel()
        for writer in stalled:
            writer.close()
        for server in servers:
            server.close()


@pytest.fixture
async def served(node_config: Config) -> AsyncIterator[tuple[web.Application, int]]:
    """A node taking 5 activities a minute from each sender, served as `maillage serve` serves it (the
    test server cancels a handler whose client went away; aiohttp's own server lets it run)."""
    app = create_app(replace(node_config, inbox_rate_per_minute=5), workers=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield app, runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def test_an_upload_the_sender_cuts_short_is_a_counted_refusal_not_a_500(
        served: tuple[web.Application, int], peer: Peer, caplog: pytest.LogCaptureFixture) -> None:
    """Part of a body, then the connection closed: a logged traceback and a 500, not counted, before."""
    app, port = served
    url = f"{app[URLS].base}/inbox"
    headers = {"Host": url.split("/")[2], "Content-Type": AS2, "Content-Length": "1000",
               "Signature": f'keyId="{peer.actor_iri("alice")}#main-key",algorithm="rsa-sha256",'
                            'headers="(request-target) host date digest",signature="AAAA"'}
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    for _ in range(5):
        _, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.4", 0))
        writer.write(f"POST /inbox HTTP/1.1\r\n{lines}\r\n".encode() + b"a" * 100)
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()
    await asyncio.sleep(0.3)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
    assert app[INTAKE].in_flight == 0
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.4", 0))
    async with aiohttp.ClientSession(connector=connector) as session, session.post(
            f"http://127.0.0.1:{port}/inbox", data=b"{}", headers=peer.sign("alice", "POST", url, b"{}")) as resp:
        assert (resp.status, await resp.json()) == (
            429, {"error": "too many refused requests from your address: retry later"})


# JSON-LD: the compaction thread's queue is bounded, and the contexts used most stay analysed.

async def test_documents_waiting_for_jsonld_processing_are_capped(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the compaction thread busy, every signed document needing pyld was queued, without end,
    before; now the 17th waiting is answered 503 with Retry-After."""
    release = threading.Event()

    def slow(doc: object) -> dict[str, Any]:
        release.wait(10)
        return compact(doc)

    monkeypatch.setattr(compaction, "compact", slow)
    intake = client.app[INTAKE]
    intake.per_address = intake.total = 1000  # measured here: the compaction queue, not these caps

    async def post() -> tuple[int, str | None]:
        doc = activity(peer, "alice", "Like", PRACTICE)
        doc["@context"] = [AS_CONTEXT, {"custom": f"https://example.com/ns#{uuid.uuid4()}"}]  # not analysed yet
        resp = await post_signed(client, peer, "alice", "/inbox", doc)
        return resp.status, resp.headers.get("Retry-After")

    assert (await post_signed(client, peer, "alice", "/inbox", activity(peer, "alice", "Like", PRACTICE))).status \
        == 202  # alice's key is cached
    posts = [asyncio.create_task(post()) for _ in range(compaction.MAX_WAITING + 4)]
    done, _ = await asyncio.wait(posts, timeout=3.0)
    try:
        assert sorted(t.result() for t in done) == [(503, "10")] * 4
    finally:
        release.set()
    assert {(await t)[0] for t in posts if t not in done} == {202}
    assert compaction._waiting == 0


def test_contexts_seen_once_do_not_push_mastodons_off_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """300 distinct contexts flushed the 256 analyses, Mastodon's with them: its documents then waited for
    the compaction thread (the slow path), before. The most used analyses are kept."""
    monkeypatch.setattr(jsonld_fast, "_ANALYSES", jsonld_fast._Analyses())
    note = mastodon_create()
    for _ in range(20):  # a busy peer's documents
        assert jsonld_fast.is_fast_path(note)
    for i in range(300):
        jsonld_fast._ANALYSES.put(f'["https://www.w3.org/ns/activitystreams",{{"x{i}":"https://e.example/{i}"}}]',
                                  None)
    assert jsonld_fast.is_fast_path(note, compute=False)


# The parsed activities handed to the inbox worker are bounded by size, not only in number.

def test_activities_handed_to_the_worker_are_bounded_in_bytes() -> None:
    """1,000 activities of 900 kB each were all held, parsed, for the worker (900 MB), before."""
    handed = inbox_store.Handed()
    parsed = parse_activity({"@context": AS_CONTEXT, "id": "https://p.example/a/1", "type": "Like",
                             "actor": "https://p.example/users/alice", "object": PRACTICE})
    for i in range(1000):
        handed.put(f"https://p.example/a/{i}", "x" * 900_000, {}, parsed)
        handed.put(f"https://p.example/b/{i}", "x" * 60_000, {}, parsed)
    small = handed.put("https://p.example/small", "{}", {}, parsed)
    assert sum(len(document) for document, _, _ in handed.entries.values()) <= 16_000_000
    assert small is not None and handed.take("https://p.example/small", "{}") == ({}, parsed)
