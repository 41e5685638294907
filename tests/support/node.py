"""Driving a node under aiohttp's test client: signed inbox POSTs from a peer, activity documents,
publishing, and reading back what the node stored. Real HTTP and real signatures throughout."""

import itertools
import json
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from node import clock
from node.accounts import get_actor
from node.appkeys import DB, DELIVERY, INBOX_WORKER, URLS
from node.db import Database
from node.drafts import parse_markdown as parse_draft
from node.follows import upsert_follow
from node.publishing import PublishResult, publish
from protocol.sig.cavage import SignatureParams, parse_signature_header, verify_request
from protocol.sig.common import key_owner_iri
from tests.support.peer import AS2, Peer, Received

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_ids = itertools.count(1)


def activity(peer: Peer, name: str, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
    """An activity by `name` on the peer, with a fresh id on the peer's host."""
    actor = peer.actor_iri(name)
    return {"@context": AS_CONTEXT, "id": f"{actor}/activities/{next(_ids)}", "type": kind, "actor": actor,
            "object": obj, **extra}


async def post_signed(
    client: TestClient, peer: Peer, name: str, path: str, doc: dict[str, Any] | None = None, *,
    body: bytes | None = None, sent_body: bytes | None = None, **sign: Any,
) -> ClientResponse:
    """POST `doc` (or raw `body`) to the node, signed by `name` on the peer. `sent_body` replaces the
    bytes actually sent after signing (a digest mismatch); `sign` goes to Peer.sign (key, key_id, now).
    Signed for the node's own URL, as a peer does (its Host header is the node's, not the test server's)."""
    data = body if body is not None else json.dumps(doc).encode()
    headers = peer.sign(name, "POST", client.app[URLS].base + path, data, **sign)
    return await client.post(path, data=sent_body if sent_body is not None else data, headers=headers)


async def error_of(resp: ClientResponse) -> tuple[int, str]:
    """(status, reason) of a JSON error answer `{"error": reason}`."""
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers["Content-Type"]
    return resp.status, (await resp.json())["error"]


async def inbox_rows(db: Database) -> list[dict[str, Any]]:
    rows = await db.fetch_all("SELECT activity_iri, type, actor_iri, state, error FROM inbox ORDER BY id")
    return [dict(r) for r in rows]


async def follow_rows(db: Database) -> list[tuple[str, str, str]]:
    """(follower, followee, state) of every follow, oldest first."""
    rows = await db.fetch_all("SELECT follower_iri, followee_iri, state FROM follows ORDER BY id")
    return [(r[0], r[1], r[2]) for r in rows]


async def process(app: Application) -> tuple[int, int]:
    """Run the inbox worker, then the delivery worker, once: (activities processed, deliveries attempted)."""
    return await app[INBOX_WORKER].run_once(), await app[DELIVERY].run_once()


async def handled(client: TestClient, peer: Peer, name: str, doc: dict[str, Any], path: str = "/inbox") -> str:
    """POST a signed activity, run both workers once; returns the state its inbox row ended in."""
    resp = await post_signed(client, peer, name, path, doc)
    assert resp.status == 202, await resp.text()
    await process(client.app)
    rows = {r["activity_iri"]: r for r in await inbox_rows(client.app[DB])}
    return str(rows[doc["id"]]["state"])


async def follow_network(client: TestClient, peer: Peer, name: str) -> dict[str, Any]:
    """`name` follows the network Group through the shared inbox; the Accept is delivered."""
    follow = activity(peer, name, "Follow", client.app[URLS].actor("reseau"))
    resp = await post_signed(client, peer, name, "/inbox", follow)
    assert resp.status == 202, await resp.text()
    assert await process(client.app) == (1, 1)
    assert peer.inbox[-1].json["type"] == "Accept"
    return follow


async def follows_peer(app: Application, peer: Peer, name: str = "alice") -> None:
    """The network Group follows `name` on the peer, accepted: the peer's posts are ones the node keeps
    (node/relevance.py), as a peer network's are once followed."""
    urls = app[URLS]
    async with app[DB].transaction() as tx:
        group = await tx.fetch_value("SELECT username FROM actors WHERE type = 'Group' ORDER BY id LIMIT 1")
        await upsert_follow(tx, follower_iri=urls.actor(group), followee_iri=peer.actor_iri(name),
                            activity_iri=f"{urls.base}/activities/follows-{peer.host}-{name}", state="accepted")


def practice(slug: str = "monnaie-locale", *, lang: str = "fr", title: str = "Une monnaie locale",
             summary: str = "Comment un territoire a lancé sa monnaie.", body: str = "Le **récit** complet.",
             themes: str = "[social-currency]") -> str:
    """A practice write-up as an organizer writes it: Markdown with front matter."""
    return (f"---\ntype: practice\nslug: {slug}\nlang: {lang}\ntitle: {title}\nsummary: {summary}\n"
            f"themes: {themes}\n---\n{body}\n")


async def publish_practice(app: Application, slug: str = "monnaie-locale", *, author: str = "admin",
                           **fields: Any) -> PublishResult:
    """Publish a practice as a local organizer, through the same use case as the CLI."""
    db = app[DB]
    actor = await get_actor(db, author)
    assert actor is not None
    return await publish(db, app[URLS], network="reseau", author=actor,
                         draft=parse_draft(practice(slug, **fields), default_lang="fr"))


async def get_as2(client: TestClient, iri: str, accept: str = AS2) -> ClientResponse:
    """GET one of the node's IRIs (http://node.test/...) through the test server."""
    return await client.get(iri.removeprefix(client.app[URLS].base), headers={"Accept": accept})


async def verify_delivery(client: TestClient, received: Received) -> SignatureParams:
    """Check that a POST the peer received carries a valid signature by the node's actor named in its
    keyId, with the key read from that actor's published document (as a remote server does)."""
    params = parse_signature_header(received.headers["Signature"])
    owner = key_owner_iri(params.key_id)
    doc = await (await get_as2(client, owner)).json(content_type=None)
    assert doc["publicKey"]["id"] == params.key_id
    verify_request(method="POST", path=received.path, headers=received.headers, body=received.body, params=params,
                   public_key_pem=doc["publicKey"]["publicKeyPem"], now=clock.now())
    return params
