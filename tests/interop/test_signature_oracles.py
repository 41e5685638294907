"""Signature oracles (draft-cavage HTTP Signatures): independent implementations verify what a real
node signs, and sign what a real node must accept.

Our side is never re-implemented here: the POST is the one the DeliveryWorker sent to a peer (node/delivery.py)
and the GET the one the node's Fetcher sent (node/fetch.py), both captured on the wire, with the signer's
actor document as the node serves it. Their side: joyent's http-signature, @peertube/http-signature (with
PeerTube's options), activitypub-http-signatures and Fedify 1.10 (`verifyRequest`, and a whole Fedify
Federation inbox) from npm, run by oracles/verify.mjs; httpsig (PyPI) in-process; bovine (PyPI) in a venv of
its own (oracles/bovine). Requests they sign go through protocol.sig.cavage.verify_request and then a real node's
inbox, with both Digest spellings (`SHA-256=` as Mastodon and Fedify write it, `sha-256=` as bovine does).
"""

import json
from typing import Any
from urllib.parse import urlsplit

import httpsig  # type: ignore[import-untyped]
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node import clock
from node.appkeys import DB, FETCHER, URLS
from protocol.keys import public_key_pem
from protocol.sig.cavage import digest_header, parse_signature_header, verify_request
from protocol.sig.common import format_http_date, key_owner_iri
from tests.interop import oracle_support as oracles
from tests.interop.oracle_support import Signed
from tests.support.node import activity, follow_network, get_as2, inbox_rows, process
from tests.support.peer import AS2, Peer, fixed_key

pytestmark = pytest.mark.interop
NODE_VERIFIERS = ("http-signature", "@peertube/http-signature", "activitypub-http-signatures", "fedify",
                  "fedify-inbox")
SPELLINGS = ("SHA-256", "sha-256")


async def signer_document(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    owner = key_owner_iri(parse_signature_header(headers["Signature"]).key_id)
    return dict(await (await get_as2(client, owner)).json(content_type=None))


@pytest.fixture
async def delivered(client: TestClient, peer: Peer) -> Signed:
    """The Group's Accept, POSTed by the DeliveryWorker to the peer's inbox."""
    await follow_network(client, peer, "alice")
    post = peer.inbox[-1]
    return Signed("POST", f"{peer.base}{post.path}", post.headers, post.body,
                  await signer_document(client, post.headers))


async def fetched(client: TestClient, query: str = "") -> Signed:
    """A GET by the node's Fetcher (signed by the instance actor), as a remote server receives it."""
    received: list[dict[str, str]] = []

    async def serve(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.json_response({"id": str(request.url), "type": "Note"}, content_type=AS2)

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    async with TestServer(app, host="127.0.0.1") as server:
        url = f"http://127.0.0.1:{server.port}/users/bob{query}"
        await client.app[FETCHER].get_json(url)
    return Signed("GET", url, received[0], None, await signer_document(client, received[0]))


def verify_with(oracle: list[str], signed: Signed, lib: str) -> dict[str, Any]:
    return oracles.available(oracles.run(oracle, [signed.case(lib)])[0])


@pytest.mark.parametrize("lib", NODE_VERIFIERS)
async def test_our_delivery_is_verified_by_npm_libraries(node_oracles: list[str], delivered: Signed, lib: str) -> None:
    result = verify_with(node_oracles, delivered, lib)
    assert result["ok"], result
    assert result["digest"] is True


@pytest.mark.parametrize("lib", NODE_VERIFIERS[:4])
async def test_our_fetch_is_verified_by_npm_libraries(node_oracles: list[str], client: TestClient, lib: str) -> None:
    result = verify_with(node_oracles, await fetched(client), lib)
    assert result["ok"], result


async def test_our_delivery_and_fetch_are_verified_by_bovine(bovine: list[str], client: TestClient,
                                                             delivered: Signed) -> None:
    get = await fetched(client)
    results = oracles.run(bovine, [delivered.case("bovine"), get.case("bovine")])
    assert [r["ok"] for r in results] == [True, True], results
    assert [r["owner"] for r in results] == [delivered.key_document["id"], get.key_document["id"]]


def httpsig_verifies(signed: Signed) -> bool:
    required = ["(request-target)", "host", "date", *(["digest"] if signed.body is not None else [])]
    verifier = httpsig.HeaderVerifier(headers=signed.headers, secret=signed.key_document["publicKey"]["publicKeyPem"],
                                      required_headers=required, method=signed.method, path=signed.path,
                                      sign_header="signature")
    return bool(verifier.verify())


async def test_our_delivery_and_fetch_are_verified_by_httpsig(client: TestClient, delivered: Signed) -> None:
    assert httpsig_verifies(delivered)
    assert httpsig_verifies(await fetched(client))


async def test_a_query_string_in_request_target_is_read_two_ways(
    node_oracles: list[str], bovine: list[str], client: TestClient
) -> None:
    """Known divergence, not a bug of ours: we sign `(request-target)` with the query string, as Mastodon >= 4.3
    does (mastodon#31994) and as draft-cavage §2.3 reads (the `:path` pseudo-header); Fedify (draft-cavage) and
    bovine verify the path alone, so a signed GET of a URL with a query (a collection page) fails there."""
    signed = await fetched(client, "?page=1")
    node_results = oracles.run(node_oracles, [signed.case(lib) for lib in NODE_VERIFIERS[:4]])
    outcome = {lib: oracles.available(r)["ok"] for lib, r in zip(NODE_VERIFIERS[:4], node_results, strict=True)}
    outcome["bovine"] = oracles.run(bovine, [signed.case("bovine")])[0]["ok"]
    outcome["httpsig"] = httpsig_verifies(signed)
    assert outcome == {"http-signature": True, "@peertube/http-signature": True,
                       "activitypub-http-signatures": True, "fedify": False, "bovine": False, "httpsig": True}


# --- their signatures, our verification and inbox ------------------------------------------------------------


def sign_case(lib: str, url: str, body: bytes, key_id: str, spelling: str, **extra: Any) -> dict[str, Any]:
    return {"op": "sign", "lib": lib, "method": "POST", "url": url, "headers": {"Content-Type": AS2},
            "body": oracles.b64(body), "privateKeyPem": fixed_key(), "keyId": key_id, "digest": spelling,
            "digestPrefix": spelling, "spec": "draft-cavage-http-signatures-12", **extra}


def httpsig_sign(url: str, body: bytes, key_id: str, spelling: str) -> dict[str, str]:
    parts = urlsplit(url)
    headers = {"Host": parts.netloc, "Date": format_http_date(clock.now()), "Content-Type": AS2,
               "Digest": spelling + digest_header(body).removeprefix("SHA-256")}
    signer = httpsig.HeaderSigner(key_id, fixed_key(), algorithm="rsa-sha256", sign_header="signature",
                                  headers=["(request-target)", "host", "date", "digest", "content-type"])
    return dict(signer.sign(headers, method="POST", path=parts.path))


async def accepted_by_node(client: TestClient, peer: Peer, signer: Any) -> list[tuple[str, str, str]]:
    """For each Digest spelling: a Follow of the Group by alice, signed by `signer(url, body, key_id, spelling)`,
    checked by protocol.sig.cavage.verify_request, then POSTed to the node; returns (spelling, status, state)."""
    url, key_id = client.app[URLS].base + "/inbox", f"{peer.actor_iri('alice')}#main-key"
    outcomes = []
    for spelling in SPELLINGS:
        follow = activity(peer, "alice", "Follow", client.app[URLS].actor("reseau"))
        body = json.dumps(follow).encode()
        headers = await signer(url, body, key_id, spelling)
        assert any(v.startswith(f"{spelling}=") for k, v in headers.items() if k.lower() == "digest"), headers
        signature = next(v for k, v in headers.items() if k.lower() == "signature")
        verify_request(method="POST", path="/inbox", headers=headers, body=body,
                       params=parse_signature_header(signature), public_key_pem=public_key_pem(fixed_key()),
                       now=clock.now())
        resp = await client.post("/inbox", data=body, headers=headers)
        await process(client.app)
        rows = {r["activity_iri"]: r["state"] for r in await inbox_rows(client.app[DB])}
        outcomes.append((spelling, f"{resp.status} {await resp.text()}".strip(), rows.get(follow["id"], "")))
    return outcomes


ACCEPTED = [(spelling, "202", "done") for spelling in SPELLINGS]


@pytest.mark.parametrize(("lib", "extra"), [
    ("http-signature", {}),
    ("@peertube/http-signature", {}),
    ("@peertube/http-signature", {"hideAlgorithm": True}),  # algorithm="hs2019"
    ("activitypub-http-signatures", {}),
])
async def test_requests_signed_by_npm_libraries_are_accepted(
    node_oracles: list[str], client: TestClient, peer: Peer, lib: str, extra: dict[str, Any]
) -> None:
    async def sign(url: str, body: bytes, key_id: str, spelling: str) -> dict[str, str]:
        result = oracles.available((await oracles.run_async(node_oracles, [
            sign_case(lib, url, body, key_id, spelling, **extra)]))[0])
        assert "headers" in result, result
        if extra.get("hideAlgorithm"):
            assert 'algorithm="hs2019"' in result["headers"]["Signature"]
        return dict(result["headers"])

    assert await accepted_by_node(client, peer, sign) == ACCEPTED


async def test_requests_signed_by_fedify_draft_cavage_are_accepted(
    node_oracles: list[str], client: TestClient, peer: Peer
) -> None:
    async def sign(url: str, body: bytes, key_id: str, spelling: str) -> dict[str, str]:
        # Fedify computes its own Digest, always spelt SHA-256; the lowercase one is set beforehand.
        result = oracles.available((await oracles.run_async(node_oracles, [{
            **sign_case("fedify", url, body, key_id, spelling),
            "headers": {"Content-Type": AS2, "Digest": spelling + digest_header(body).removeprefix("SHA-256")}}]))[0])
        assert "Signature-Input" not in result["headers"] and "signature-input" not in result["headers"]
        return dict(result["headers"])

    assert await accepted_by_node(client, peer, sign) == ACCEPTED


async def test_requests_signed_by_bovine_are_accepted(bovine: list[str], client: TestClient, peer: Peer) -> None:
    async def sign(url: str, body: bytes, key_id: str, spelling: str) -> dict[str, str]:
        result = (await oracles.run_async(bovine, [sign_case("bovine", url, body, key_id, spelling)]))[0]
        return dict(result["headers"])

    assert await accepted_by_node(client, peer, sign) == ACCEPTED


async def test_requests_signed_by_httpsig_are_accepted(client: TestClient, peer: Peer) -> None:
    async def sign(url: str, body: bytes, key_id: str, spelling: str) -> dict[str, str]:
        return httpsig_sign(url, body, key_id, spelling)

    assert await accepted_by_node(client, peer, sign) == ACCEPTED
