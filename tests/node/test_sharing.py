"""Re-sharing and likes: `maillage share` makes the network Group announce a peer's item to its
followers and to the item's author, `unshare` sends the Undo; Likes and Announces of our items are
counted once per actor, an Undo takes them back, and documents and pages show the counts."""

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import CONFIG, DB, FETCHER, URLS
from node.cli import main
from node.sharing import ShareError, share
from tests.support.examples import get_page
from tests.support.node import activity, follow_network, get_as2, handled, process, publish_practice
from tests.support.peer import Peer


def cli(client: TestClient, *args: str) -> int:
    return main([args[0], "--data", str(client.app[CONFIG].data_dir), *args[1:]])


@pytest.fixture
def peer_item(peer: Peer) -> str:
    """A practice alice wrote, served by her server."""
    iri = f"{peer.base}/practices/grupos"
    peer.documents["/practices/grupos"] = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": iri, "type": "Article",
        "attributedTo": peer.actor_iri("alice"), "name": "Grupos de compra", "nameMap": {"es": "Grupos de compra"},
        "content": "<p>Compramos juntos.</p>", "contentMap": {"es": "<p>Compramos juntos.</p>"},
        "published": "2026-03-01T10:00:00Z"}
    return iri


async def test_share_reaches_our_followers_and_the_author_then_unshare(
        client: TestClient, peer: Peer, other_peer: Peer, peer_item: str) -> None:
    await follow_network(client, other_peer, "carol")
    peer.inbox.clear()
    assert await asyncio.to_thread(cli, client, "share", "--as", "admin", peer_item) == 0
    await process(client.app)
    group = client.app[URLS].actor("reseau")
    [to_follower] = [r.json for r in other_peer.inbox if r.json["type"] == "Announce"]
    [to_author] = [r.json for r in peer.inbox]
    assert to_follower == to_author
    assert (to_follower["actor"], to_follower["object"]) == (group, peer_item)
    assert to_follower["cc"] == [f"{group}/followers", peer.actor_iri("alice")]
    # This node now holds the item (and finds it).
    assert await client.app[DB].fetch_value("SELECT kind FROM remote_content WHERE iri = ?", (peer_item,)) == \
        "practice"
    resp = await client.get("/search", params={"q": "grupos"}, headers={"Accept": "application/json"})
    assert [r["iri"] for r in (await resp.json())["results"]] == [peer_item]
    # A second share is refused, and so is sharing one of ours.
    admin = await get_actor(client.app[DB], "admin")
    assert admin is not None
    with pytest.raises(ShareError, match="already re-shared"):
        await share(client.app[DB], client.app[URLS], client.app[FETCHER], network="reseau", organizer=admin,
                    iri=peer_item)
    ours = (await publish_practice(client.app)).iri
    assert await asyncio.to_thread(cli, client, "share", "--as", "admin", ours) == 1
    assert await asyncio.to_thread(cli, client, "share", "--as", "nobody", peer_item) == 1
    await process(client.app)  # our practice's Create and Announce
    other_peer.inbox.clear()
    peer.inbox.clear()
    assert await asyncio.to_thread(cli, client, "unshare", "--as", "admin", peer_item) == 0
    await process(client.app)
    [undo] = [r.json for r in other_peer.inbox]
    assert [r.json for r in peer.inbox] == [undo]
    assert (undo["type"], undo["actor"], undo["object"]["id"], undo["object"]["type"]) == (
        "Undo", group, to_follower["id"], "Announce")
    assert await asyncio.to_thread(cli, client, "unshare", "--as", "admin", peer_item) == 1


async def test_share_of_something_that_is_not_there(client: TestClient, peer: Peer) -> None:
    assert await asyncio.to_thread(cli, client, "share", "--as", "admin", f"{peer.base}/practices/none") == 1
    peer.documents["/forged"] = {"id": f"{peer.base}/forged", "type": "Note", "attributedTo": "https://else.example/u"}
    assert await asyncio.to_thread(cli, client, "share", "--as", "admin", f"{peer.base}/forged") == 1


def like(peer: Peer, name: str, obj: str, **extra: Any) -> dict[str, Any]:
    return activity(peer, name, "Like", obj, **extra)


async def counts(client: TestClient, iri: str) -> tuple[int, int]:
    doc = await (await get_as2(client, iri)).json(content_type=None)
    likes = await (await get_as2(client, f"{iri}/likes")).json(content_type=None)
    shares = await (await get_as2(client, f"{iri}/shares")).json(content_type=None)
    assert (likes["type"], likes["id"]) == ("Collection", f"{iri}/likes") == (doc["likes"]["type"], doc["likes"]["id"])
    assert (likes["totalItems"], shares["totalItems"]) == (doc["likes"]["totalItems"], doc["shares"]["totalItems"])
    return doc["likes"]["totalItems"], doc["shares"]["totalItems"]


async def test_likes_and_announces_are_counted_once_per_actor_and_undone(client: TestClient, peer: Peer,
                                                                       bob: str) -> None:
    iri = (await publish_practice(client.app)).iri
    assert await counts(client, iri) == (0, 0)
    alice_like = like(peer, "alice", iri)
    assert await handled(client, peer, "alice", alice_like) == "done"
    assert await handled(client, peer, "alice", like(peer, "alice", iri)) == "done"  # again, another id
    assert await handled(client, peer, "bob", like(peer, "bob", iri)) == "done"
    boost = activity(peer, "alice", "Announce", iri)
    assert await handled(client, peer, "alice", boost) == "done"
    assert await counts(client, iri) == (2, 1)
    html = await get_page(client, "/practices/monnaie-locale")
    assert "2 j’aime · 1 partage" in html  # one re-share, singular
    # Bob cannot undo Alice's like; Alice undoes hers (embedded, with the first id), then her boost by IRI.
    forged = activity(peer, "bob", "Undo", {"id": alice_like["id"], "type": "Like", "actor": peer.actor_iri("alice"),
                                            "object": iri})
    assert await handled(client, peer, "bob", forged) == "ignored"
    undo = activity(peer, "alice", "Undo", {"id": alice_like["id"], "type": "Like",
                                            "actor": peer.actor_iri("alice"), "object": iri})
    assert await handled(client, peer, "alice", undo) == "done"
    assert await handled(client, peer, "alice", activity(peer, "alice", "Undo", boost["id"])) == "done"
    assert await counts(client, iri) == (1, 0)


async def test_likes_of_what_is_not_ours_are_ignored(client: TestClient, peer: Peer) -> None:
    await publish_practice(client.app)
    assert await handled(client, peer, "alice", like(peer, "alice", f"{peer.base}/notes/1")) == "ignored"
    assert await handled(client, peer, "alice", like(peer, "alice", "http://node.test/practices/none")) == "ignored"
    assert await client.app[DB].fetch_value("SELECT count(*) FROM reactions") == 0
    assert (await client.get("/practices/none/likes")).status == 404
