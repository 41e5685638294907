"""Every way the inbox refuses a POST: exact status and reason in `{"error": ...}`, and nothing
stored. Each test starts with one accepted activity in the `inbox` table and checks that it is
still the only one afterwards. Then the POSTs that are answered 202 but not stored twice."""

import asyncio
import codecs
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import clock
from node.appkeys import DB, URLS
from node.config import Config
from node.inbox import MAX_BODY_BYTES
from protocol.keys import public_key_pem
from tests.support.node import activity, error_of, inbox_rows, post_signed
from tests.support.peer import AS2, Peer, fixed_key

GROUP = "http://node.test/users/reseau"


@pytest.fixture(params=["/inbox", "/users/reseau/inbox"])
def path(request: pytest.FixtureRequest) -> str:
    """Shared and personal inboxes apply the same rules."""
    return str(request.param)


@pytest.fixture
async def before(client: TestClient, peer: Peer) -> list[dict[str, Any]]:
    """The inbox table after one accepted activity: what every refusal must leave untouched."""
    like = activity(peer, "alice", "Like", "http://node.test/practices/x")
    assert (await post_signed(client, peer, "alice", "/inbox", like)).status == 202
    rows = await inbox_rows(client.app[DB])
    assert [r["activity_iri"] for r in rows] == [like["id"]]
    return rows


async def refused(client: TestClient, resp: Any, before: list[dict[str, Any]]) -> tuple[int, str]:
    answer = await error_of(resp)
    assert await inbox_rows(client.app[DB]) == before
    return answer


def follow(peer: Peer, name: str = "alice", **changes: Any) -> dict[str, Any]:
    doc = activity(peer, name, "Follow", GROUP)
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


async def test_body_over_1mb_with_content_length_is_413(client: TestClient, before: list[Any], path: str) -> None:
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    resp = await client.post(path, data=body, headers={"Content-Type": AS2})
    assert await refused(client, resp, before) == (413, "body larger than 1000000 bytes")


def signed_headers(client: TestClient, peer: Peer, path: str) -> dict[str, str]:
    """Headers that pass what is checked before a body is read (a signature for this node); the body
    sent is another one, never verified: its size is refused first."""
    return peer.sign("alice", "POST", client.app[URLS].base + path, b"{}")


async def test_chunked_body_over_1mb_is_413(client: TestClient, peer: Peer, before: list[Any], path: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"{"
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b" " * 65536
        yield b"}"

    resp = await client.post(path, data=chunks(), headers=signed_headers(client, peer, path))
    assert resp.request_info.headers.get("Transfer-Encoding") == "chunked"
    assert await refused(client, resp, before) == (413, "body larger than 1000000 bytes")


async def test_chunked_body_just_over_the_limit_is_413(client: TestClient, peer: Peer, before: list[Any],
                                                      path: str) -> None:
    """Past MAX_BODY_BYTES but under the app's client_max_size (aiohttp's own limit, a little above)."""
    async def chunks() -> AsyncIterator[bytes]:
        yield b"{" + b" " * (MAX_BODY_BYTES + 100) + b"}"

    resp = await client.post(path, data=chunks(), headers=signed_headers(client, peer, path))
    assert resp.request_info.headers.get("Transfer-Encoding") == "chunked"
    assert await refused(client, resp, before) == (413, "body larger than 1000000 bytes")


async def test_body_of_exactly_1mb_passes_the_size_check(client: TestClient, before: list[Any], path: str) -> None:
    body = b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}"
    resp = await client.post(path, data=body, headers={"Content-Type": AS2})
    assert await refused(client, resp, before) == (401, "request is not signed (no Signature header)")


@pytest.mark.parametrize(("content_type", "shown"), [
    ("text/plain", "text/plain"), ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
    ("", "(none)"),
])
async def test_wrong_content_type_is_415(client: TestClient, peer: Peer, before: list[Any], path: str,
                                         content_type: str, shown: str) -> None:
    body = json.dumps(follow(peer)).encode()
    headers = peer.sign("alice", "POST", client.app[URLS].base + path, body, headers={"Content-Type": content_type})
    if not content_type:
        del headers["Content-Type"]
    resp = await client.post(path, data=body, headers=headers, skip_auto_headers=["Content-Type"])
    assert await refused(client, resp, before) == (
        415, f"unsupported content type {shown}: send application/activity+json")


@pytest.mark.parametrize("content_type", [
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"', "application/json",
    "Application/Activity+JSON; charset=utf-8",
])
async def test_json_media_types_are_accepted(client: TestClient, peer: Peer, path: str, content_type: str) -> None:
    body = json.dumps(follow(peer)).encode()
    headers = peer.sign("alice", "POST", client.app[URLS].base + path, body, headers={"Content-Type": content_type})
    resp = await client.post(path, data=body, headers=headers)
    assert resp.status == 202


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty body"),
    (b"{not json", "body is not valid JSON"),
    (b'{"a": 1', "body is not valid JSON"),
    (b"\xff\xfe{}", "body is not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "body is not valid JSON"),
    (b"[]", "body is not a JSON object"),
    (b'"Follow"', "body is not a JSON object"),
    (b"null", "body is not a JSON object"),
    (b"42", "body is not a JSON object"),
    (b'{"a": ' * 64 + b"1" + b"}" * 64, "JSON nested deeper than 64 levels"),
    (b'{"a": [' + b"[" * 63 + b"]" * 63 + b"]}", "JSON nested deeper than 64 levels"),
    (('{"a": ' * 64 + "1" + "}" * 64).encode("utf-16"), "JSON nested deeper than 64 levels"),
])
async def test_bad_json_is_400(client: TestClient, peer: Peer, before: list[Any], path: str, body: bytes,
                               reason: str) -> None:
    resp = await post_signed(client, peer, "alice", path, body=body)
    assert await refused(client, resp, before) == (400, reason)


async def test_nesting_of_exactly_64_levels_is_allowed(client: TestClient, peer: Peer, before: list[Any]) -> None:
    doc = follow(peer)
    doc["deep"] = json.loads('{"a": ' * 62 + "1" + "}" * 62)  # the activity is level 1, "deep" level 2
    resp = await post_signed(client, peer, "alice", "/inbox", doc)
    assert resp.status == 202


async def test_unsigned_is_401(client: TestClient, peer: Peer, before: list[Any], path: str) -> None:
    resp = await client.post(path, json=follow(peer), headers={"Content-Type": AS2})
    assert await refused(client, resp, before) == (401, "request is not signed (no Signature header)")


@pytest.mark.parametrize(("signature", "reason"), [
    ("garbage", "malformed Signature header"),
    ('keyId="x",signature="abc",keyId="y"', "duplicate parameter keyid"),
    ('algorithm="rsa-sha256",signature="c2ln"', "missing keyId"),
    ('keyId="http://127.0.0.1:1/users/a#main-key"', "missing signature"),
    ('keyId="k",signature="***"', "invalid base64 in signature"),
])
async def test_garbage_signature_header_is_401(client: TestClient, peer: Peer, before: list[Any], path: str,
                                               signature: str, reason: str) -> None:
    resp = await client.post(path, json=follow(peer), headers={"Content-Type": AS2, "Signature": signature})
    assert await refused(client, resp, before) == (401, f"bad Signature header: {reason}")


async def test_key_of_a_missing_actor_is_401(client: TestClient, peer: Peer, before: list[Any], path: str) -> None:
    key_id = f"{peer.base}/nowhere/alice#main-key"
    resp = await post_signed(client, peer, "alice", path, follow(peer), key_id=key_id)
    assert await refused(client, resp, before) == (
        401, f"could not fetch signing key {key_id}: GET {peer.base}/nowhere/alice answered 404")


async def test_key_the_actor_does_not_publish_is_401(client: TestClient, peer: Peer, before: list[Any],
                                                     path: str) -> None:
    key_id = f"{peer.actor_iri('alice')}#other-key"
    resp = await post_signed(client, peer, "alice", path, follow(peer), key_id=key_id)
    assert await refused(client, resp, before) == (
        401, f"could not fetch signing key {key_id}: actor {peer.actor_iri('alice')} does not publish key {key_id}")


async def test_key_on_an_unreachable_server_is_401(client: TestClient, peer: Peer, before: list[Any]) -> None:
    key_id = "http://127.0.0.1:1/users/alice#main-key"
    resp = await post_signed(client, peer, "alice", "/inbox", follow(peer), key_id=key_id)
    status, reason = await refused(client, resp, before)
    assert status == 401
    assert reason.startswith(f"could not fetch signing key {key_id}: GET http://127.0.0.1:1/users/alice failed: ")


async def test_wrong_key_is_401(client: TestClient, peer: Peer, before: list[Any], path: str) -> None:
    resp = await post_signed(client, peer, "alice", path, follow(peer), key="other-rsa-2048")
    assert await refused(client, resp, before) == (401, "signature rejected: signature does not verify")


async def test_wrong_key_when_the_actor_is_now_gone_is_401(client: TestClient, peer: Peer,
                                                          before: list[Any]) -> None:
    del peer.keys["alice"]  # cached by `before`; refetching the key now answers 410
    resp = await post_signed(client, peer, "alice", "/inbox", follow(peer), key="other-rsa-2048")
    assert await refused(client, resp, before) == (401, "signature rejected: signature does not verify")


async def test_rotated_key_is_refetched_once(client: TestClient, peer: Peer, before: list[Any],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    alice = peer.actor_iri("alice")
    later = clock.timestamp() + 61  # alice was fetched by `before`: within a minute, her document is read again
    monkeypatch.setattr(clock, "timestamp", lambda: later)
    peer.keys["alice"] = fixed_key("other-rsa-2048")  # alice's server rotated her key; we cached the old one
    doc = follow(peer)
    resp = await post_signed(client, peer, "alice", "/inbox", doc)
    assert resp.status == 202
    assert [r["activity_iri"] for r in await inbox_rows(client.app[DB])] == [before[0]["activity_iri"], doc["id"]]
    cached = await client.app[DB].fetch_value("SELECT public_key_pem FROM remote_actors WHERE iri = ?", (alice,))
    assert cached == public_key_pem(fixed_key("other-rsa-2048"))


async def test_refetched_key_that_still_does_not_verify_is_401(client: TestClient, peer: Peer,
                                                               before: list[Any]) -> None:
    peer.keys["alice"] = fixed_key("other-rsa-2048")
    doc = follow(peer)
    resp = await post_signed(client, peer, "alice", "/inbox", doc, sent_body=json.dumps({**doc, "x": 1}).encode())
    assert await refused(client, resp, before) == (401, "signature rejected: digest mismatch")


@pytest.mark.parametrize(("shift", "reason"), [
    (timedelta(hours=-12, minutes=-1), "Date is too old"),
    (timedelta(hours=1, minutes=1), "Date is in the future"),
])
async def test_stale_or_future_date_is_401(client: TestClient, peer: Peer, before: list[Any], path: str,
                                           shift: timedelta, reason: str) -> None:
    resp = await post_signed(client, peer, "alice", path, follow(peer), now=clock.now() + shift)
    assert await refused(client, resp, before) == (401, f"signature rejected: {reason}")


@pytest.mark.parametrize("shift", [timedelta(hours=-11, minutes=-59), timedelta(minutes=59)])
async def test_date_within_the_window_is_accepted(client: TestClient, peer: Peer, shift: timedelta) -> None:
    resp = await post_signed(client, peer, "alice", "/inbox", follow(peer), now=clock.now() + shift)
    assert resp.status == 202


async def test_digest_mismatch_is_401(client: TestClient, peer: Peer, before: list[Any], path: str) -> None:
    doc = follow(peer)
    tampered = json.dumps({**doc, "object": "http://node.test/users/admin"}).encode()
    resp = await post_signed(client, peer, "alice", path, doc, sent_body=tampered)
    assert await refused(client, resp, before) == (401, "signature rejected: digest mismatch")


async def test_signer_other_than_the_actor_is_401(client: TestClient, peer: Peer, bob: str, before: list[Any],
                                                  path: str) -> None:
    resp = await post_signed(client, peer, "alice", path, follow(peer, "bob"))
    assert await refused(client, resp, before) == (
        401, f"signed by {peer.actor_iri('alice')}, but the activity's actor is {bob}")


@pytest.mark.parametrize(("changes", "reason"), [
    ({"id": None}, "id must be an IRI string"),
    ({"type": None}, "type is missing or not a string"),
    ({"type": ""}, "type is missing or not a string"),
    ({"actor": None}, "actor is missing"),
    ({"id": "urn:uuid:0b2f7c1e-7a57-4a3b-9a39-6c7a3b5c1d00"},
     "id must be an http(s) IRI: 'urn:uuid:0b2f7c1e-7a57-4a3b-9a39-6c7a3b5c1d00'"),
    ({"id": "ftp://127.0.0.1/a"}, "id must be an http(s) IRI: 'ftp://127.0.0.1/a'"),
    ({"object": "javascript:alert(1)"}, "object must be an http(s) IRI: 'javascript:alert(1)'"),
    ({"object": {"type": "Note"}}, "object id must be an IRI string"),
])
async def test_signed_but_invalid_activity_is_400(client: TestClient, peer: Peer, before: list[Any], path: str,
                                                  changes: dict[str, Any], reason: str) -> None:
    resp = await post_signed(client, peer, "alice", path, follow(peer, **changes))
    assert await refused(client, resp, before) == (400, f"not a valid activity: {reason}")


async def test_actor_that_is_not_an_http_iri_is_refused(client: TestClient, peer: Peer, before: list[Any]) -> None:
    resp = await post_signed(client, peer, "alice", "/inbox", follow(peer, actor="acct:alice@127.0.0.1"))
    assert await refused(client, resp, before) == (
        400, "not a valid activity: actor must be an http(s) IRI: 'acct:alice@127.0.0.1'")


async def test_blocked_domain_is_403(client: TestClient, peer: Peer, before: list[Any], path: str) -> None:
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, blocked) VALUES (?, 1)", (peer.host,))
    resp = await post_signed(client, peer, "alice", path, follow(peer))
    assert await refused(client, resp, before) == (403, f"domain {peer.host} is blocked")


async def test_a_block_made_by_another_process_applies_at_once(client: TestClient, node_config: Config,
                                                               peer: Peer, before: list[Any]) -> None:
    """What another process (the CLI, an admin's sqlite3) commits is read by the next request."""
    def set_blocked(value: int) -> None:
        with closing(sqlite3.connect(node_config.database_path)) as other, other:
            other.execute("INSERT INTO domains (host, blocked) VALUES (?, ?) ON CONFLICT (host)"
                          " DO UPDATE SET blocked = excluded.blocked", (peer.host, value))

    set_blocked(1)
    resp = await post_signed(client, peer, "alice", "/inbox", follow(peer))
    assert await refused(client, resp, before) == (403, f"domain {peer.host} is blocked")
    set_blocked(0)
    assert (await post_signed(client, peer, "alice", "/inbox", follow(peer))).status == 202


async def test_requests_arriving_together_each_get_their_own_answer(client: TestClient, peer: Peer,
                                                                    other_peer: Peer, before: list[Any]) -> None:
    """Concurrent requests, each checked for its own domain and key, and written together (InboxWriter)."""
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, blocked) VALUES (?, 1)", (other_peer.host,))
    docs = [(peer, "alice", follow(peer)) for _ in range(4)] + [(other_peer, "carol", follow(other_peer, "carol"))]
    answers = await asyncio.gather(*(post_signed(client, p, name, "/inbox", doc) for p, name, doc in docs))
    assert [a.status for a in answers] == [202, 202, 202, 202, 403]
    assert await error_of(answers[-1]) == (403, f"domain {other_peer.host} is blocked")
    assert {r["activity_iri"] for r in await inbox_rows(client.app[DB])} == {
        before[0]["activity_iri"], *(doc["id"] for _, _, doc in docs[:4])}


async def test_the_first_stored_copy_of_a_key_is_used(client: TestClient, peer: Peer, before: list[Any]) -> None:
    """Two cached actors listing one keyId (an account that moved): the older row, as Fetcher.get_key reads it."""
    alice = peer.actor_iri("alice")
    async with client.app[DB].transaction() as tx:
        await tx.execute(
            "INSERT INTO remote_actors (iri, type, host, inbox, key_id, public_key_pem, document, fetched_at)"
            " VALUES (?, 'Person', ?, ?, ?, ?, '{}', ?)",
            (f"{alice}-copy", peer.host, f"{alice}/inbox", f"{alice}#main-key",
             public_key_pem(fixed_key("other-rsa-2048")), clock.timestamp()))
    assert (await post_signed(client, peer, "alice", "/inbox", follow(peer))).status == 202


async def test_personal_inbox_of_an_unknown_actor_is_404(client: TestClient, peer: Peer,
                                                         before: list[Any]) -> None:
    resp = await post_signed(client, peer, "alice", "/users/nobody/inbox", follow(peer))
    assert await refused(client, resp, before) == (404, "no such actor")


# Answered 202, stored at most once.

async def test_same_activity_posted_twice_is_stored_once(client: TestClient, peer: Peer, path: str) -> None:
    doc = follow(peer)
    first = await post_signed(client, peer, "alice", path, doc)
    again = await post_signed(client, peer, "alice", "/inbox", {**doc, "object": "http://node.test/users/admin"})
    assert (first.status, again.status) == (202, 202)
    rows = await inbox_rows(client.app[DB])
    assert [(r["activity_iri"], r["type"], r["actor_iri"], r["state"]) for r in rows] == [
        (doc["id"], "Follow", peer.actor_iri("alice"), "new")]
    stored = await client.app[DB].fetch_value("SELECT document FROM inbox")
    assert json.loads(stored)["object"] == GROUP


async def test_the_same_activity_posted_twice_at_once_is_stored_once(client: TestClient, peer: Peer) -> None:
    """Requests arriving together are written in one transaction (node/inbox_store.py, InboxWriter)."""
    doc, other = follow(peer), follow(peer)
    answers = await asyncio.gather(*(post_signed(client, peer, "alice", "/inbox", d) for d in (doc, doc, other, doc)))
    assert [a.status for a in answers] == [202] * 4
    assert sorted(r["activity_iri"] for r in await inbox_rows(client.app[DB])) == sorted([doc["id"], other["id"]])


async def test_the_body_is_stored_as_received(client: TestClient, peer: Peer) -> None:
    doc = follow(peer, summary="Très bien")
    body = json.dumps(doc, indent=2, ensure_ascii=False).encode()
    assert (await post_signed(client, peer, "alice", "/inbox", body=body)).status == 202
    assert await client.app[DB].fetch_value("SELECT document FROM inbox") == body.decode()


@pytest.mark.parametrize("encode", [
    lambda text: codecs.BOM_UTF8 + text.encode(),
    lambda text: text.encode("utf-16"),
    lambda text: text.encode("utf-16-be"),
    lambda text: text.replace("Tr\\u00e8s", "Tr\ud800").encode("utf-8", "surrogatepass"),
], ids=["utf-8 with BOM", "utf-16", "utf-16-be", "encoded surrogate"])
async def test_a_body_that_is_not_plain_utf8_is_stored_as_json(client: TestClient, peer: Peer,
                                                                encode: Callable[[str], bytes]) -> None:
    """JSON in another Unicode encoding (RFC 8259 §8.1 asks for UTF-8, json.loads reads them all) is
    stored as the JSON it parses to."""
    doc = follow(peer, summary="Très bien")
    body = encode(json.dumps(doc))
    assert (await post_signed(client, peer, "alice", "/inbox", body=body)).status == 202
    stored = await client.app[DB].fetch_value("SELECT document FROM inbox")
    assert json.loads(stored) == json.loads(body)
    assert stored == json.dumps(json.loads(body))


async def test_signature_in_the_authorization_header_is_accepted(client: TestClient, peer: Peer) -> None:
    doc = follow(peer)
    body = json.dumps(doc).encode()
    headers = peer.sign("alice", "POST", client.app[URLS].base + "/inbox", body)
    headers["Authorization"] = "Signature " + headers.pop("Signature")
    resp = await client.post("/inbox", data=body, headers=headers)
    assert resp.status == 202
    assert [r["activity_iri"] for r in await inbox_rows(client.app[DB])] == [doc["id"]]


async def test_last_delete_of_a_gone_account_is_dropped(client: TestClient, peer: Peer, bob: str,
                                                        before: list[Any]) -> None:
    """Mastodon removes the key, then sends Delete{actor}: it cannot be verified, and there is nothing
    to keep. The same POST from an account that still exists is verified (and refused if forged)."""
    delete = activity(peer, "bob", "Delete", bob)
    body = json.dumps(delete).encode()
    headers = peer.sign("bob", "POST", client.app[URLS].base + "/inbox", body)
    del peer.keys["bob"]  # the peer now answers 410 Gone for bob
    resp = await client.post("/inbox", data=body, headers=headers)
    assert resp.status == 202
    assert await inbox_rows(client.app[DB]) == before

    forged = activity(peer, "alice", "Delete", peer.actor_iri("alice"))
    resp = await post_signed(client, peer, "alice", "/inbox", forged, key="other-rsa-2048")
    assert await refused(client, resp, before) == (401, "signature rejected: signature does not verify")
