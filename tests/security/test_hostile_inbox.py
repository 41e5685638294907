"""Hostile POSTs to the inbox that tests/node/test_inbox_rejections.py does not send: huge arrays,
signatures that leave headers out, replays, signing keys whose IRIs are not fetchable URLs. Each case
asserts the exact status and reason and that no table of the database changed (row counts of every
table, and every row of every table but the remote-actor cache)."""

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import clock
from node.appkeys import DB, URLS
from protocol.jsonld import MAX_SLOW_PATH_VALUES
from tests.support.dbstate import changed, row_counts, snapshot
from tests.support.forge import sign_only
from tests.support.node import AS_CONTEXT, activity, error_of, follow_rows, post_signed, process
from tests.support.peer import Peer

GROUP = "http://node.test/users/reseau"
PRACTICE = "http://node.test/practices/x"
# What a bounded path may take: well below what it guards against (a server that answers in 30 s, work
# that grows with a hostile document), well above a busy CI machine's pauses (a 2 s bound was tight).
BOUNDED_SECONDS = 10


@pytest.fixture
async def before(client: TestClient, peer: Peer) -> dict[str, Any]:
    """The database after one accepted activity: what every refusal must leave as it is."""
    like = activity(peer, "alice", "Like", PRACTICE)
    assert (await post_signed(client, peer, "alice", "/inbox", like)).status == 202
    db = client.app[DB]
    return {"counts": await row_counts(db), "rows": await snapshot(db)}


async def unchanged(client: TestClient, before: dict[str, Any]) -> None:
    db = client.app[DB]
    assert changed(before["counts"], await row_counts(db)) == {}
    assert changed(before["rows"], await snapshot(db)) == {}


async def refused(client: TestClient, resp: Any, before: dict[str, Any]) -> tuple[int, str]:
    answer = await error_of(resp)
    await unchanged(client, before)
    return answer


def follow(peer: Peer, **changes: Any) -> dict[str, Any]:
    return {**activity(peer, "alice", "Follow", GROUP), **changes}


# Huge arrays: refused by the parser's bounds, or (in a term nobody reads) by the cost bound of JSON-LD
# compaction, before anything is stored. A 300 kB body of 100 000 numbers once took pyld 15 s.

@pytest.mark.parametrize(("changes", "reason"), [
    ({"to": [f"http://a.example/{i}" for i in range(10_001)]}, "to has more than 10000 entries"),
    ({"cc": ["x"] * 10_001}, "cc has more than 10000 entries"),
    ({"object": [GROUP] * 20_000}, "object must be a single value"),
    ({"actor": ["http://a.example/1", "http://a.example/2"]}, "actor must be an IRI string"),
])
async def test_huge_arrays_in_fields_we_read_are_400(client: TestClient, peer: Peer, before: dict[str, Any],
                                                     changes: dict[str, Any], reason: str) -> None:
    resp = await post_signed(client, peer, "alice", "/inbox", follow(peer, **changes))
    assert await refused(client, resp, before) == (400, f"not a valid activity: {reason}")


EXTENSION = [AS_CONTEXT, {"foo": "https://x.example/ns#foo"}]


@pytest.mark.parametrize("changes", [
    {"@context": EXTENSION, "foo": [1] * 100_000},
    {"@context": EXTENSION, "foo": [{}] * 60_000},
    {"@context": EXTENSION, "foo": [[1]] * 60_000},
    {"@context": EXTENSION, "foo": [{"type": "Hashtag", "name": "#x"}] * 12_000},
    {"type": [0] * 100_000},
    {"@context": [AS_CONTEXT, *[{f"t{i}": f"https://x.example/{i}"} for i in range(6000)]]},
], ids=["numbers", "objects", "arrays", "tags", "type", "contexts"])
async def test_huge_array_that_needs_compaction_is_400_quickly(client: TestClient, peer: Peer,
                                                              before: dict[str, Any], changes: dict[str, Any]) -> None:
    doc = follow(peer, **changes)
    started = time.monotonic()
    resp = await post_signed(client, peer, "alice", "/inbox", doc)
    assert time.monotonic() - started < BOUNDED_SECONDS
    assert await refused(client, resp, before) == (
        400, f"not a valid activity: invalid JSON-LD: document has more than {MAX_SLOW_PATH_VALUES} values")


async def test_huge_array_that_needs_no_compaction_is_accepted_and_costs_nothing(
        client: TestClient, peer: Peer) -> None:
    """Terms of the AS context take the fast path: no pyld, whatever the size (the parsers bound what
    they read)."""
    doc = follow(peer, tag=[{"type": "Hashtag", "name": "#x"}] * 20_000)
    started = time.monotonic()
    assert (await post_signed(client, peer, "alice", "/inbox", doc)).status == 202
    assert await process(client.app) == (1, 1)
    assert time.monotonic() - started < BOUNDED_SECONDS
    assert await follow_rows(client.app[DB]) == [(peer.actor_iri("alice"), GROUP, "accepted")]


# Signatures that leave out what must be signed.

@pytest.mark.parametrize(("covered", "reason"), [
    (["host", "date"], "(request-target) not signed"),
    (["host", "date", "digest"], "(request-target) not signed"),
    (["(request-target)", "host", "date"], "Digest header not signed"),
    (["(request-target)", "host", "digest"], "Date header not signed"),
    (["(request-target)", "host", "date", "digest", "x-not-sent"], "signed header x-not-sent missing"),
])
async def test_signature_not_covering_the_required_headers_is_401(
        client: TestClient, peer: Peer, before: dict[str, Any], covered: list[str], reason: str) -> None:
    body = json.dumps(follow(peer)).encode()
    headers = sign_only(peer, "alice", client.app[URLS].base + "/inbox", body, covered, now=clock.now())
    resp = await client.post("/inbox", data=body, headers=headers)
    assert await refused(client, resp, before) == (401, f"signature rejected: {reason}")


async def test_covering_the_required_headers_is_enough(client: TestClient, peer: Peer) -> None:
    """The control for the cases above: the same forgery covering every required header passes."""
    body = json.dumps(follow(peer)).encode()
    headers = sign_only(peer, "alice", client.app[URLS].base + "/inbox", body,
                        ["(request-target)", "host", "date", "digest"], now=clock.now())
    assert (await client.post("/inbox", data=body, headers=headers)).status == 202


# Replays: the same signed request sent again.

async def test_replayed_request_is_answered_but_stored_and_processed_once(client: TestClient,
                                                                         peer: Peer) -> None:
    """A Follow replayed after its Undo does not bring the follow back: the inbox dedupes on ids."""
    doc = follow(peer)
    body = json.dumps(doc).encode()
    headers = peer.sign("alice", "POST", client.app[URLS].base + "/inbox", body)
    assert (await client.post("/inbox", data=body, headers=headers)).status == 202
    await process(client.app)
    undo = activity(peer, "alice", "Undo", {k: v for k, v in doc.items() if k != "@context"})
    assert (await post_signed(client, peer, "alice", "/inbox", undo)).status == 202
    await process(client.app)
    assert await follow_rows(client.app[DB]) == []
    db = client.app[DB]
    counts, rows = await row_counts(db), await snapshot(db)
    replay = await client.post("/inbox", data=body, headers=headers)
    assert replay.status == 202
    assert await process(client.app) == (0, 0)
    assert changed(counts, await row_counts(db)) == {}
    assert changed(rows, await snapshot(db)) == {}


@pytest.mark.parametrize(("later", "status"), [(timedelta(hours=11, minutes=59), 202),
                                               (timedelta(hours=12, minutes=1), 401)])
async def test_replay_of_an_old_request_is_refused_once_its_date_is_stale(
        client: TestClient, peer: Peer, before: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        later: timedelta, status: int) -> None:
    """Captured, then replayed hours later with a new activity id in the body is impossible (the Digest
    is signed); with the same body it is deduplicated; past 12 hours it is refused outright."""
    doc = follow(peer)
    body = json.dumps(doc).encode()
    sent_at = clock.now()
    headers = peer.sign("alice", "POST", client.app[URLS].base + "/inbox", body, now=sent_at)
    monkeypatch.setattr(clock, "now", lambda: sent_at + later)
    resp = await client.post("/inbox", data=body, headers=headers)
    if status == 202:
        assert resp.status == 202
        return
    assert await refused(client, resp, before) == (401, "signature rejected: Date is too old")


# Signing keys whose IRIs are not URLs the node can fetch: refused as 401, never an error.

@pytest.mark.parametrize("key_id", [
    "http://127.0.0.1:99999/users/alice#main-key",
    "http://[::1/users/alice#main-key",
    "http://127.0.0.1:port/users/alice#main-key",
    "ftp://127.0.0.1/users/alice#main-key",
    "file:///etc/passwd#main-key",
    "javascript:alert(1)#main-key",
    "acct:alice@127.0.0.1",
    "#main-key",
    "http://#main-key",
    "http:///users/alice#main-key",
    "http://a b.example/users/alice#main-key",
    "http://xn--.example/#main-key",
    "http://" + "a" * 64 + ".example/users/alice#main-key",
    "http://" + "a" * 3000 + ".example/#main-key",
])
async def test_signing_key_iri_that_is_not_a_fetchable_url_is_401(
        client: TestClient, peer: Peer, before: dict[str, Any], key_id: str) -> None:
    resp = await post_signed(client, peer, "alice", "/inbox", follow(peer), key_id=key_id)
    status, reason = await refused(client, resp, before)
    assert status == 401
    assert reason.startswith(f"could not fetch signing key {key_id}: "), reason
