"""RFC 9421 HTTP Message Signatures against Fedify, both ways.

The live Fedify peer of test_fedify.py is Fedify 1.5.9, which has no RFC 9421 code (draft-cavage only:
sig/http.ts gained RFC 9421 and double-knocking in 1.6). Fedify 1.10 runs here from oracles/ (see verify.mjs
for the one ES2024 method it needs on Node 20): its `verifyRequest`, a whole Federation inbox, `signRequest`
and its own delivery (`sendActivity`, which double-knocks, RFC 9421 first) against a real node.
"""

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node import clock
from node.app import create_app
from node.appkeys import DB, URLS
from protocol.keys import public_key_pem
from protocol.sig import rfc9421
from tests.conftest import make_node
from tests.interop import oracle_support as oracles
from tests.interop.oracle_support import Signed
from tests.support.node import activity, follow_network, get_as2, inbox_rows, process
from tests.support.peer import AS2, Peer, fixed_key
from tests.support.ports import free_port

pytestmark = pytest.mark.interop


@pytest.fixture
async def delivered_9421(client: TestClient, peer: Peer) -> Signed:
    """The Group's Accept as the DeliveryWorker sends it to a domain known to accept RFC 9421."""
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO domains (host, signature_scheme) VALUES (?, 'rfc9421')", (peer.host,))
    await follow_network(client, peer, "alice")
    post = peer.inbox[-1]
    assert "Signature-Input" in post.headers, post.headers
    group = await (await get_as2(client, client.app[URLS].actor("reseau"))).json(content_type=None)
    return Signed("POST", f"{peer.base}{post.path}", post.headers, post.body, group)


@pytest.mark.parametrize("lib", ["fedify", "fedify-inbox"])
async def test_fedify_accepts_our_rfc9421_delivery(node_oracles: list[str], delivered_9421: Signed,
                                                   lib: str) -> None:
    result = oracles.available(oracles.run(node_oracles, [delivered_9421.case(lib)])[0])
    assert result["ok"], result
    assert delivered_9421.headers["Content-Digest"] == rfc9421.content_digest_header(delivered_9421.body or b"")


async def test_fedify_verifies_our_rfc9421_get(node_oracles: list[str]) -> None:
    actor, key_id = "https://maillage.example/actor", "https://maillage.example/actor#main-key"
    url = "http://fedify.example/users/bob?page=2"
    headers = rfc9421.sign_request(method="GET", url=url, headers={"Accept": AS2}, body=None, key_id=key_id,
                                       private_key_pem=fixed_key(), now=clock.now())
    document = oracles.key_document(actor, key_id, public_key_pem(fixed_key()))
    case = Signed("GET", url, headers, None, document).case("fedify")
    result = oracles.available(oracles.run(node_oracles, [case])[0])
    assert result["ok"], result


async def test_bovine_verifies_our_rfc9421_signature_over_path_and_authority(bovine: list[str]) -> None:
    """bovine 0.5.19 derives @method, @path and @authority only: signed over those (and content-digest),
    our RFC 9421 signature, Content-Digest and signature base agree with its verifier."""
    actor, key_id = "https://maillage.example/users/alice", "https://maillage.example/users/alice#main-key"
    url, body = "http://bovine.example/inbox", b'{"type":"Follow"}'
    headers = rfc9421.sign_request(method="POST", url=url, headers={"Content-Type": AS2}, body=body,
                                       key_id=key_id, private_key_pem=fixed_key(), now=clock.now(),
                                       components=("@method", "@path", "@authority", "content-digest"))
    document = oracles.key_document(actor, key_id, public_key_pem(fixed_key()))
    result = oracles.run(bovine, [Signed("POST", url, headers, body, document).case("bovine")])[0]
    assert (result["ok"], result["owner"]) == (True, actor), result


async def test_bovine_and_our_rfc9421_delivery(bovine: list[str], delivered_9421: Signed) -> None:
    result = oracles.run(bovine, [delivered_9421.case("bovine")])[0]
    if not result["ok"]:
        pytest.skip("bovine 0.5.19 cannot verify the signature Fedify and Maillage send: it has no @target-uri "
                    f"(only @method, @path, @authority): {result['detail']}")


async def test_rfc9421_requests_signed_by_fedify_are_accepted(
    node_oracles: list[str], client: TestClient, peer: Peer
) -> None:
    follow = activity(peer, "alice", "Follow", client.app[URLS].actor("reseau"))
    body = json.dumps(follow).encode()
    url, key_id = client.app[URLS].base + "/inbox", f"{peer.actor_iri('alice')}#main-key"
    case = {"op": "sign", "lib": "fedify", "spec": "rfc9421", "method": "POST", "url": url, "body": oracles.b64(body),
            "headers": {"Content-Type": AS2}, "privateKeyPem": fixed_key(), "keyId": key_id}
    headers = oracles.available((await oracles.run_async(node_oracles, [case]))[0])["headers"]
    signature = rfc9421.parse_signature_headers(headers["signature-input"], headers["signature"])
    assert signature.components == ("@method", "@target-uri", "@authority", "host", "date", "content-digest")
    rfc9421.verify_request(method="POST", target_uris=[url], headers=headers, body=body, signature=signature,
                               public_key_pem=public_key_pem(fixed_key()), now=clock.now())
    resp = await client.post("/inbox", data=body, headers=headers)
    assert resp.status == 202, await resp.text()
    await process(client.app)
    assert [(r["activity_iri"], r["state"]) for r in await inbox_rows(client.app[DB])] == [(follow["id"], "done")]


@pytest.fixture
async def client_at_its_url(tmp_path: Path) -> AsyncIterator[TestClient]:
    """A node served at its own base URL (a loopback port): Fedify signs for the URL it connects to,
    and the node accepts only requests signed for its own host."""
    port = free_port()
    config = await make_node(tmp_path / "own", base_url=f"http://127.0.0.1:{port}")
    async with TestClient(TestServer(create_app(config, workers=False), port=port)) as test_client:
        yield test_client


@pytest.mark.parametrize(("first_knock", "spec"), [
    ("rfc9421", "rfc9421"),
    ("draft-cavage-http-signatures-12", "draft-cavage-http-signatures-12"),
])
async def test_fedify_delivery_to_our_inbox_succeeds_on_the_first_knock(
    node_oracles: list[str], client_at_its_url: TestClient, peer: Peer, first_knock: str, spec: str
) -> None:
    """Fedify's sendActivity (double-knocking, RFC 9421 first by default) POSTs to the node over loopback."""
    client = client_at_its_url
    follow = activity(peer, "alice", "Follow", client.app[URLS].actor("reseau"))
    case: dict[str, Any] = {
        "op": "send", "activity": follow, "inbox": client.app[URLS].shared_inbox,
        "recipient": client.app[URLS].actor("reseau"), "privateKeyPem": fixed_key(),
        "keyId": f"{peer.actor_iri('alice')}#main-key", "keyDocument": peer.actor_document("alice"),
        "firstKnock": first_knock,
    }
    result = oracles.available((await oracles.run_async(node_oracles, [case]))[0])
    assert result["error"] is None, result
    assert result["attempts"] == [{"spec": spec, "status": 202}], result
    await process(client.app)
    assert [(r["activity_iri"], r["state"]) for r in await inbox_rows(client.app[DB])] == [(follow["id"], "done")]
