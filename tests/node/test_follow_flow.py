"""The core path over real HTTP: a remote actor follows the network, gets a signed Accept, and
receives what an organizer publishes (Create by the author, Announce by the Group)."""

from aiohttp.test_utils import TestClient

from node import clock
from node.accounts import get_actor
from node.appkeys import DB, DELIVERY, INBOX_WORKER, URLS
from node.drafts import parse_markdown as parse_draft
from node.publishing import publish
from protocol.sig.cavage import parse_signature_header, verify_request
from tests.support.node import post_signed
from tests.support.peer import AS2, Peer

PRACTICE = """---
type: practice
slug: monnaie-locale
lang: fr
title: Une monnaie locale complémentaire
summary: Comment un territoire a lancé sa monnaie.
themes: [social-currency]
---
Le **récit** complet.
"""


async def test_follow_accept_publish(client: TestClient, peer: Peer) -> None:
    app = client.app
    urls, db = app[URLS], app[DB]
    group_iri = urls.actor("reseau")
    alice = peer.actor_iri("alice")
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{alice}#follow-1", "type": "Follow",
              "actor": alice, "object": group_iri}
    assert (await post_signed(client, peer, "alice", "/users/reseau/inbox", follow)).status == 202
    assert await app[INBOX_WORKER].run_once() == 1
    assert await app[DELIVERY].run_once() == 1

    accept = peer.inbox[-1]
    assert accept.json["type"] == "Accept"
    assert accept.json["object"]["id"] == follow["id"]
    assert accept.json["actor"] == group_iri
    group = await get_actor(db, "reseau")
    assert group is not None
    params = parse_signature_header(accept.headers["Signature"])
    assert params.key_id == f"{group_iri}#main-key"
    verify_request(method="POST", path=accept.path, headers=accept.headers, body=accept.body, params=params,
                   public_key_pem=group.public_key_pem, now=clock.now())

    author = await get_actor(db, "admin")
    assert author is not None
    result = await publish(db, urls, network="reseau", author=author, draft=parse_draft(PRACTICE, default_lang="fr"))
    assert result.created
    await app[DELIVERY].run_once()
    kinds = [r.json["type"] for r in peer.inbox[1:]]
    assert sorted(kinds) == ["Announce", "Create"]
    create = next(r.json for r in peer.inbox if r.json["type"] == "Create")
    assert create["object"]["id"] == result.iri
    assert create["object"]["contentMap"]["fr"].startswith("<p>Le <strong>récit</strong>")

    resp = await client.get(result.iri.replace(urls.base, ""), headers={"Accept": AS2})
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/activity+json")
    doc = await resp.json(content_type=None)
    assert doc["type"] == "Article" and doc["name"] == "Une monnaie locale complémentaire"
