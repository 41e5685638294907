"""RFC 9421 HTTP Message Signatures in the node: the inbox accepts them (Signature-Input present), and
deliveries double-knock: draft-cavage first, RFC 9421 at once after a 400/401, the accepted scheme
remembered per domain (domains.signature_scheme) for the next deliveries."""

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node import clock
from node.appkeys import DB, URLS
from protocol.sig import rfc9421
from tests.support.node import activity, error_of, get_as2, inbox_rows, process
from tests.support.peer import AS2, Peer, fixed_key
from tests.support.picky import PickyRemote


def sign_9421(peer: Peer, name: str, url: str, body: bytes, **headers: str) -> dict[str, str]:
    return rfc9421.sign_request(method="POST", url=url, headers={"Content-Type": AS2, **headers}, body=body,
                                    key_id=f"{peer.actor_iri(name)}#main-key", private_key_pem=fixed_key(),
                                    now=clock.now())


async def test_an_rfc9421_signed_post_is_accepted_and_processed(client: TestClient, peer: Peer) -> None:
    follow = activity(peer, "alice", "Follow", client.app[URLS].actor("reseau"))
    body = json.dumps(follow).encode()
    headers = sign_9421(peer, "alice", client.app[URLS].base + "/inbox", body)
    resp = await client.post("/inbox", data=body, headers=headers)
    assert resp.status == 202, await resp.text()
    await process(client.app)
    assert [(r["activity_iri"], r["state"]) for r in await inbox_rows(client.app[DB])] == [(follow["id"], "done")]


async def test_an_rfc9421_post_signed_for_https_is_accepted_behind_a_tls_proxy(client: TestClient, peer: Peer) -> None:
    follow = activity(peer, "alice", "Follow", client.app[URLS].actor("reseau"))
    body = json.dumps(follow).encode()
    url = (client.app[URLS].base + "/inbox").replace("http://", "https://")
    resp = await client.post("/inbox", data=body, headers=sign_9421(peer, "alice", url, body))
    assert resp.status == 202, await resp.text()


@pytest.mark.parametrize(("tamper", "reason"), [
    (lambda h: {**h, "Signature-Input": h["Signature-Input"].replace('"@method" ', "")},
     "signature rejected: @method not signed"),
    (lambda h: {**h, "Signature": h["Signature"].replace("sig1=", "other=")},
     "bad Signature-Input/Signature headers: no signature in Signature matches Signature-Input"),
    (lambda h: {**h, "Content-Digest": rfc9421.content_digest_header(b"{}")},
     "signature rejected: content digest mismatch"),
    (lambda h: {**h, "Date": "Thu, 01 Jan 2026 00:00:00 GMT"}, "signature rejected: signature does not verify"),
])
async def test_bad_rfc9421_signatures_are_refused(
    client: TestClient, peer: Peer, tamper: Callable[[dict[str, str]], dict[str, str]], reason: str
) -> None:
    follow = activity(peer, "alice", "Follow", client.app[URLS].actor("reseau"))
    body = json.dumps(follow).encode()
    headers = tamper(sign_9421(peer, "alice", client.app[URLS].base + "/inbox", body))
    assert await error_of(await client.post("/inbox", data=body, headers=headers)) == (401, reason)
    assert await inbox_rows(client.app[DB]) == []


class PickyServer(PickyRemote):
    """An inbox that verifies both schemes with the node's published key and accepts only some of them."""

    async def inbox(self, request: web.Request) -> web.Response:
        return web.Response(status=self.answer(self.verified_scheme(request, await request.read()), 202))


@pytest.fixture
async def picky(client: TestClient, peer: Peer) -> AsyncIterator[Callable[..., Any]]:
    """A factory: `await picky({"rfc9421"})` is alice's inbox from now on, accepting only those schemes."""
    servers: list[TestServer] = []
    group = await (await get_as2(client, client.app[URLS].actor("reseau"))).json(content_type=None)

    async def make(accepts: set[str], refusal: int = 401) -> PickyServer:
        remote = PickyServer(accepts, group["publicKey"]["publicKeyPem"], refusal)
        app = web.Application()
        app.router.add_post("/inbox", remote.inbox)
        await remote.start(app)
        assert remote.server is not None
        servers.append(remote.server)
        inbox = f"http://{remote.host}/inbox"
        peer.actor_fields["alice"] = {"inbox": inbox, "endpoints": {"sharedInbox": inbox}}
        return remote

    yield make
    for server in servers:
        await server.close()


async def follow_and_deliver(client: TestClient, peer: Peer) -> None:
    """alice follows the network Group; the Group's Accept is delivered to alice's inbox."""
    follow = activity(peer, "alice", "Follow", client.app[URLS].actor("reseau"))
    resp = await client.post("/inbox", data=json.dumps(follow).encode(),
                             headers=peer.sign("alice", "POST", client.app[URLS].base + "/inbox",
                                               json.dumps(follow).encode()))
    assert resp.status == 202, await resp.text()
    await process(client.app)


async def remembered(client: TestClient, host: str) -> str | None:
    return await client.app[DB].fetch_value("SELECT signature_scheme FROM domains WHERE host = ?", (host,))


async def last_delivery(client: TestClient) -> tuple[str, int]:
    row = await client.app[DB].fetch_one("SELECT state, last_status FROM deliveries ORDER BY id DESC LIMIT 1")
    assert row is not None
    return row["state"], row["last_status"]


@pytest.mark.parametrize("refusal", [401, 400])
async def test_a_refused_draft_signature_is_sent_again_with_rfc9421_and_remembered(
    client: TestClient, peer: Peer, picky: Callable[..., Any], refusal: int
) -> None:
    remote = await picky({"rfc9421"}, refusal)
    await follow_and_deliver(client, peer)
    assert remote.attempts == [("draft-cavage", refusal), ("rfc9421", 202)]
    assert await last_delivery(client) == ("delivered", 202)
    assert await remembered(client, remote.host) == "rfc9421"
    await follow_and_deliver(client, peer)  # a repeated Follow is accepted again: the next delivery
    assert remote.attempts[2:] == [("rfc9421", 202)]


async def test_a_remembered_scheme_that_stops_working_falls_back_to_draft(
    client: TestClient, peer: Peer, picky: Callable[..., Any]
) -> None:
    remote = await picky({"draft-cavage"})
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, signature_scheme) VALUES (?, 'rfc9421')", (remote.host,))
    await follow_and_deliver(client, peer)
    assert remote.attempts == [("rfc9421", 401), ("draft-cavage", 202)]
    assert await remembered(client, remote.host) == "draft-cavage"


async def test_a_server_refusing_both_schemes_gets_two_knocks_only(
    client: TestClient, peer: Peer, picky: Callable[..., Any]
) -> None:
    remote = await picky(set())
    await follow_and_deliver(client, peer)
    assert remote.attempts == [("draft-cavage", 401), ("rfc9421", 401)]
    assert (await last_delivery(client))[1] == 401
    assert await remembered(client, remote.host) is None


async def test_a_server_accepting_draft_is_not_knocked_twice_nor_remembered(
    client: TestClient, peer: Peer, picky: Callable[..., Any]
) -> None:
    remote = await picky({"draft-cavage"})
    await follow_and_deliver(client, peer)
    assert remote.attempts == [("draft-cavage", 202)]
    assert await remembered(client, remote.host) is None


async def test_a_server_error_is_not_a_reason_to_knock_again(
    client: TestClient, peer: Peer, picky: Callable[..., Any]
) -> None:
    remote = await picky(set(), refusal=503)
    await follow_and_deliver(client, peer)
    assert remote.attempts == [("draft-cavage", 503)]
    assert await last_delivery(client) == ("pending", 503)
