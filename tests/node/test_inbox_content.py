"""What the inbox worker does with remote content: replies to our write-ups (Create), edits and
deletions by their authors, objects that claim another server (refused) or another author (fetched
from their origin instead of trusted), and activity types the node does not handle (kept, marked `ignored`)."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB
from tests.support.node import (
    AS_CONTEXT,
    activity,
    error_of,
    follows_peer,
    get_as2,
    handled,
    inbox_rows,
    post_signed,
    publish_practice,
)
from tests.support.peer import Peer

PRACTICE = "http://node.test/practices/monnaie-locale"


@pytest.fixture(autouse=True)
async def peer_is_followed(client: TestClient, peer: Peer) -> None:
    """The network follows the peer: what it posts is kept (node/relevance.py)."""
    await follows_peer(client.app, peer)


def note(peer: Peer, name: str, number: int = 1, **fields: Any) -> dict[str, Any]:
    return {"id": f"{peer.base}/notes/{number}", "type": "Note", "attributedTo": peer.actor_iri(name),
            "inReplyTo": PRACTICE, "content": "<p>Bravo pour ce travail</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], **fields}


async def remote_objects(client: TestClient) -> list[dict[str, Any]]:
    rows = await client.app[DB].fetch_all(
        "SELECT iri, type, attributed_to, in_reply_to, document, deleted_at FROM remote_objects ORDER BY id")
    return [dict(r) for r in rows]


async def page(client: TestClient) -> str:
    resp = await get_as2(client, PRACTICE, "text/html")
    assert resp.status == 200
    return await resp.text()


@pytest.fixture
async def published(client: TestClient) -> str:
    return (await publish_practice(client.app)).iri


async def test_reply_to_our_write_up_is_kept_and_listed_under_it(client: TestClient, peer: Peer,
                                                                 published: str) -> None:
    alice = peer.actor_iri("alice")
    reply = note(peer, "alice")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", reply)) == "done"
    [stored] = await remote_objects(client)
    assert (stored["iri"], stored["type"], stored["attributed_to"], stored["in_reply_to"]) == (
        reply["id"], "Note", alice, PRACTICE)
    assert stored["deleted_at"] is None
    html = await page(client)
    # The page shows who commented (their cached name) and what they wrote, sanitized.
    assert f'<a href="{alice}" rel="nofollow noopener">Alice</a>' in html
    assert "<p>Bravo pour ce travail</p>" in html
    assert "Pas encore de commentaire." not in html


async def test_create_by_iri_is_fetched_from_the_actor_server(client: TestClient, peer: Peer) -> None:
    peer.documents["/notes/1"] = {"@context": AS_CONTEXT, **note(peer, "alice", content="<p>fetched</p>")}
    create = activity(peer, "alice", "Create", f"{peer.base}/notes/1")
    assert await handled(client, peer, "alice", create) == "done"
    [stored] = await remote_objects(client)
    assert stored["iri"] == f"{peer.base}/notes/1"
    assert '"content": "<p>fetched</p>"' in stored["document"]


async def test_object_claiming_another_server_is_refused(client: TestClient, peer: Peer, other_peer: Peer) -> None:
    """A Create speaks for its actor's server only (protocol.activities.check_origins): nothing is
    stored, nothing fetched."""
    other_peer.documents["/notes/1"] = {"@context": AS_CONTEXT, **note(other_peer, "carol")}
    forged = {**note(other_peer, "carol"), "content": "<p>words put in carol's mouth</p>"}
    status, reason = await error_of(await post_signed(client, peer, "alice", "/inbox",
                                                      activity(peer, "alice", "Create", forged)))
    assert (status, reason) == (400, f"object id {forged['id']} of a Create is not on the actor's host {peer.host}")
    assert await inbox_rows(client.app[DB]) == [] and await remote_objects(client) == []


async def test_object_attributed_to_someone_else_is_fetched_from_its_origin(client: TestClient, peer: Peer,
                                                                           bob: str) -> None:
    """The signer is the author: alice's Create of a note attributed to bob is read from the server."""
    genuine = {"@context": AS_CONTEXT, **note(peer, "bob", content="<p>what bob wrote</p>")}
    peer.documents["/notes/1"] = genuine
    forged = {**note(peer, "bob"), "content": "<p>words put in bob's mouth</p>"}
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", forged)) == "done"
    [stored] = await remote_objects(client)
    assert (stored["iri"], stored["attributed_to"]) == (genuine["id"], bob)
    assert "what bob wrote" in stored["document"] and "mouth" not in stored["document"]
    peer.documents.clear()
    again = {**note(peer, "bob", 2), "content": "<p>words put in bob's mouth</p>"}
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", again)) == "ignored"


@pytest.mark.parametrize("attributed_to", [
    "http://elsewhere.example/users/alice",
    None,
    {"type": "Person"},
])
async def test_object_whose_author_is_not_on_its_server_is_ignored(client: TestClient, peer: Peer,
                                                                   attributed_to: Any) -> None:
    reply = note(peer, "alice", attributedTo=attributed_to)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", reply)) == "ignored"
    assert await remote_objects(client) == []


async def test_author_that_is_not_an_http_iri_is_ignored(client: TestClient, peer: Peer, published: str) -> None:
    """An author IRI ends up as a link on the page: `javascript://host:port/%0Aalert(1)` has the right
    host and must still be refused."""
    reply = note(peer, "alice", attributedTo=f"javascript://{peer.host}/%0Aalert(document.domain)")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", reply)) == "ignored"
    assert await remote_objects(client) == []
    assert "javascript:" not in await page(client)


async def test_update_by_the_author_replaces_the_document(client: TestClient, peer: Peer, bob: str) -> None:
    await handled(client, peer, "alice", activity(peer, "alice", "Create", note(peer, "alice")))
    edited = note(peer, "alice", content="<p>edited</p>")
    assert await handled(client, peer, "bob", activity(peer, "bob", "Update", edited)) == "ignored"
    assert "edited" not in (await remote_objects(client))[0]["document"]
    assert await handled(client, peer, "alice", activity(peer, "alice", "Update", edited)) == "done"
    assert "<p>edited</p>" in (await remote_objects(client))[0]["document"]


async def test_update_of_an_actor_refreshes_its_cached_document(client: TestClient, peer: Peer) -> None:
    alice = peer.actor_iri("alice")
    await handled(client, peer, "alice", activity(peer, "alice", "Like", PRACTICE))  # caches alice
    assert await client.app[DB].fetch_value("SELECT name FROM remote_actors WHERE iri = ?", (alice,)) == "Alice"
    peer.actor_fields["alice"] = {"name": "Alice Martin"}
    renamed = peer.actor_document("alice")
    update = activity(peer, "alice", "Update", {k: v for k, v in renamed.items() if k != "@context"})
    assert await handled(client, peer, "alice", update) == "done"
    assert await client.app[DB].fetch_value(
        "SELECT name FROM remote_actors WHERE iri = ?", (alice,)) == "Alice Martin"


async def test_delete_by_the_author_tombstones_the_reply(client: TestClient, peer: Peer, bob: str,
                                                         published: str) -> None:
    alice = peer.actor_iri("alice")
    reply = note(peer, "alice")
    await handled(client, peer, "alice", activity(peer, "alice", "Create", reply))
    tombstone = {"id": reply["id"], "type": "Tombstone"}
    assert await handled(client, peer, "bob", activity(peer, "bob", "Delete", tombstone)) == "ignored"
    assert (await remote_objects(client))[0]["deleted_at"] is None
    assert await handled(client, peer, "alice", activity(peer, "alice", "Delete", tombstone)) == "done"
    [stored] = await remote_objects(client)
    assert stored["document"] == "{}" and stored["deleted_at"] is not None
    html = await page(client)
    assert alice not in html and "Pas encore de commentaire." in html


@pytest.mark.parametrize("kind", ["Arrive", "Poke", "https://example.org/ns#Poke"])
async def test_unknown_activity_type_is_stored_and_ignored(client: TestClient, peer: Peer, kind: str) -> None:
    doc = activity(peer, "alice", kind, PRACTICE)
    assert await handled(client, peer, "alice", doc) == "ignored"
    rows = await inbox_rows(client.app[DB])
    assert [(r["activity_iri"], r["type"], r["state"], r["error"]) for r in rows] == [
        (doc["id"], kind, "ignored", None)]
