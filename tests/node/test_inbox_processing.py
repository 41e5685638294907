"""What the inbox worker does with follows, in both directions: Follow/Accept/Reject/Undo, Delete of
an actor, the instance actor refusing follows. Every reply is delivered for real and its signature
checked against the key our actor document publishes."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import clock
from node.accounts import get_actor
from node.appkeys import DB, FETCHER, URLS
from node.following import FollowResult, follow
from node.follows import set_follow_state
from tests.support.node import (
    activity,
    follow_network,
    follow_rows,
    handled,
    post_signed,
    process,
    publish_practice,
    verify_delivery,
)
from tests.support.peer import AS2, Peer

BASE = "http://node.test"
GROUP = f"{BASE}/users/reseau"
INSTANCE = f"{BASE}/actor"


async def test_follow_gets_a_signed_accept(client: TestClient, peer: Peer) -> None:
    alice = peer.actor_iri("alice")
    doc = activity(peer, "alice", "Follow", GROUP)
    assert await handled(client, peer, "alice", doc, "/users/reseau/inbox") == "done"
    assert await follow_rows(client.app[DB]) == [(alice, GROUP, "accepted")]

    [accept] = peer.inbox
    assert accept.path == "/users/alice/inbox"
    assert accept.headers["Content-Type"] == AS2
    assert accept.json["type"] == "Accept"
    assert accept.json["actor"] == GROUP
    assert accept.json["to"] == [alice]
    assert accept.json["object"] == {"id": doc["id"], "type": "Follow", "actor": alice, "object": GROUP}
    assert accept.json["id"].startswith(f"{BASE}/activities/")
    params = await verify_delivery(client, accept)
    assert params.key_id == f"{GROUP}#main-key"
    assert params.algorithm == "rsa-sha256"
    assert params.headers == ("(request-target)", "host", "date", "digest", "content-type")


async def test_manual_approval_keeps_the_follow_pending(manual_client: TestClient, peer: Peer) -> None:
    alice = peer.actor_iri("alice")
    doc = activity(peer, "alice", "Follow", GROUP)
    assert await handled(manual_client, peer, "alice", doc) == "done"
    assert await follow_rows(manual_client.app[DB]) == [(alice, GROUP, "pending")]
    again = activity(peer, "alice", "Follow", GROUP)
    assert await handled(manual_client, peer, "alice", again) == "done"
    assert await follow_rows(manual_client.app[DB]) == [(alice, GROUP, "pending")]
    assert peer.inbox == []

    async with manual_client.app[DB].transaction() as tx:  # what an admin's approval will do
        await set_follow_state(tx, follower_iri=alice, followee_iri=GROUP, state="accepted")
    third = activity(peer, "alice", "Follow", GROUP)
    assert await handled(manual_client, peer, "alice", third) == "done"
    assert [r.json["object"]["id"] for r in peer.inbox] == [third["id"]]
    assert await follow_rows(manual_client.app[DB]) == [(alice, GROUP, "accepted")]


async def test_repeated_follow_is_accepted_again(client: TestClient, peer: Peer) -> None:
    first = await follow_network(client, peer, "alice")
    second = activity(peer, "alice", "Follow", GROUP)
    assert await handled(client, peer, "alice", second) == "done"
    assert [r.json["object"]["id"] for r in peer.inbox] == [first["id"], second["id"]]
    assert await follow_rows(client.app[DB]) == [(peer.actor_iri("alice"), GROUP, "accepted")]
    stored = await client.app[DB].fetch_value("SELECT activity_iri FROM follows")
    assert stored == second["id"]


@pytest.mark.parametrize("embedded", [True, False])
async def test_undo_follow_removes_the_follower(client: TestClient, peer: Peer, embedded: bool) -> None:
    doc = await follow_network(client, peer, "alice")
    undone = {k: v for k, v in doc.items() if k != "@context"} if embedded else doc["id"]
    undo = activity(peer, "alice", "Undo", undone)
    assert await handled(client, peer, "alice", undo) == "done"
    assert await follow_rows(client.app[DB]) == []
    await publish_practice(client.app)
    assert await process(client.app) == (0, 0)
    assert [r.json["type"] for r in peer.inbox] == ["Accept"]


@pytest.mark.parametrize("embedded", [True, False])
async def test_undo_by_another_actor_is_ignored(client: TestClient, peer: Peer, bob: str, embedded: bool) -> None:
    doc = await follow_network(client, peer, "alice")
    undone = {k: v for k, v in doc.items() if k != "@context"} if embedded else doc["id"]
    undo = activity(peer, "bob", "Undo", undone)
    assert await handled(client, peer, "bob", undo) == "ignored"
    assert await follow_rows(client.app[DB]) == [(peer.actor_iri("alice"), GROUP, "accepted")]
    await publish_practice(client.app)
    await process(client.app)
    assert sorted(r.json["type"] for r in peer.inbox) == ["Accept", "Announce", "Create"]


async def test_follow_of_the_instance_actor_gets_a_signed_reject(client: TestClient, peer: Peer) -> None:
    alice = peer.actor_iri("alice")
    doc = activity(peer, "alice", "Follow", INSTANCE)
    assert await handled(client, peer, "alice", doc, "/actor/inbox") == "done"
    assert await follow_rows(client.app[DB]) == []
    [reject] = peer.inbox
    assert reject.json["type"] == "Reject"
    assert reject.json["actor"] == INSTANCE
    assert reject.json["object"] == {"id": doc["id"], "type": "Follow", "actor": alice, "object": INSTANCE}
    assert (await verify_delivery(client, reject)).key_id == f"{INSTANCE}#main-key"


async def test_follow_of_someone_not_here_is_ignored(client: TestClient, peer: Peer) -> None:
    doc = activity(peer, "alice", "Follow", f"{BASE}/users/nobody")
    assert await handled(client, peer, "alice", doc) == "ignored"
    assert await follow_rows(client.app[DB]) == []
    assert peer.inbox == []


async def test_follow_whose_actor_vanished_is_retried_later_then_failed(client: TestClient, peer: Peer,
                                                                        bob: str) -> None:
    doc = activity(peer, "bob", "Follow", GROUP)
    assert (await post_signed(client, peer, "bob", "/inbox", doc)).status == 202
    db = client.app[DB]
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM remote_actors WHERE iri = ?", (bob,))
    del peer.keys["bob"]
    for attempt in range(1, 6):
        assert await process(client.app) == (1, 0)
        row = await db.fetch_one("SELECT state, attempts, error, next_attempt_at FROM inbox")
        assert row is not None
        assert (row["state"], row["attempts"], row["error"]) == (
            "new" if attempt < 5 else "failed", attempt, f"GET {bob} answered 410")
        if attempt < 5:
            assert row["next_attempt_at"] > clock.timestamp()
            assert await process(client.app) == (0, 0)  # not due yet
            async with db.transaction() as tx:
                await tx.execute("UPDATE inbox SET next_attempt_at = 0")
    assert await process(client.app) == (0, 0)
    assert await follow_rows(db) == []


# Our network following others: the answers to the Follow we sent.

async def follow_alice(client: TestClient, peer: Peer) -> FollowResult:
    app = client.app
    group = await get_actor(app[DB], "reseau")
    assert group is not None
    result = await follow(app[DB], app[URLS], app[FETCHER], follower=group, target=peer.handle("alice"))
    assert (result.followee_iri, result.state) == (peer.actor_iri("alice"), "pending")
    assert await process(app) == (0, 1)
    sent = peer.inbox[-1]
    assert sent.path == "/users/alice/inbox"
    assert sent.json == {**sent.json, "id": result.activity_iri, "type": "Follow", "actor": GROUP,
                         "object": peer.actor_iri("alice")}
    assert (await verify_delivery(client, sent)).key_id == f"{GROUP}#main-key"
    return result


def sent_follow(peer: Peer) -> dict[str, Any]:
    """The Follow the peer received from us, as a server embeds it in its answer."""
    sent = next(r.json for r in reversed(peer.inbox) if r.json["type"] == "Follow")
    return {k: v for k, v in sent.items() if k != "@context"}


@pytest.mark.parametrize("form", ["embedded", "iri", "new id"])
async def test_accept_of_our_follow(client: TestClient, peer: Peer, form: str) -> None:
    result = await follow_alice(client, peer)
    obj: Any = {"embedded": sent_follow(peer), "iri": result.activity_iri,
                "new id": {**sent_follow(peer), "id": f"{peer.base}/follows/1"}}[form]
    accept = activity(peer, "alice", "Accept", obj)
    assert await handled(client, peer, "alice", accept, "/users/reseau/inbox") == "done"
    assert await follow_rows(client.app[DB]) == [(GROUP, peer.actor_iri("alice"), "accepted")]


async def test_forged_accept_from_another_actor_is_ignored(client: TestClient, peer: Peer, bob: str) -> None:
    await follow_alice(client, peer)
    accept = activity(peer, "bob", "Accept", sent_follow(peer))
    assert await handled(client, peer, "bob", accept) == "ignored"
    assert await follow_rows(client.app[DB]) == [(GROUP, peer.actor_iri("alice"), "pending")]


async def test_accept_of_a_follow_we_never_sent_is_ignored(client: TestClient, peer: Peer) -> None:
    alice = peer.actor_iri("alice")
    accept = activity(peer, "alice", "Accept", {"id": f"{BASE}/activities/never", "type": "Follow",
                                                "actor": GROUP, "object": alice})
    assert await handled(client, peer, "alice", accept) == "ignored"
    assert await follow_rows(client.app[DB]) == []


async def test_accept_of_a_follow_between_remote_actors_is_ignored(client: TestClient, peer: Peer,
                                                                   bob: str) -> None:
    """A follow row whose follower is not one of ours (bob follows our Group) cannot be 'accepted' by
    bob's own server through the embedded-match path."""
    await follow_network(client, peer, "bob")
    accept = activity(peer, "alice", "Accept", {"id": f"{peer.base}/f/1", "type": "Follow", "actor": bob,
                                                "object": peer.actor_iri("alice")})
    assert await handled(client, peer, "alice", accept) == "ignored"
    assert await follow_rows(client.app[DB]) == [(bob, GROUP, "accepted")]


async def test_reject_of_our_follow(client: TestClient, peer: Peer) -> None:
    await follow_alice(client, peer)
    reject = activity(peer, "alice", "Reject", sent_follow(peer))
    assert await handled(client, peer, "alice", reject) == "done"
    assert await follow_rows(client.app[DB]) == [(GROUP, peer.actor_iri("alice"), "rejected")]


async def test_delete_of_an_actor_removes_its_follows(client: TestClient, peer: Peer, bob: str) -> None:
    alice = peer.actor_iri("alice")
    await follow_network(client, peer, "alice")
    await follow_network(client, peer, "bob")
    await follow_alice(client, peer)
    assert len(await follow_rows(client.app[DB])) == 3
    delete = activity(peer, "alice", "Delete", alice)
    assert await handled(client, peer, "alice", delete) == "done"
    assert await follow_rows(client.app[DB]) == [(bob, GROUP, "accepted")]
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_actors WHERE iri = ?", (alice,)) == 0


async def test_delete_of_another_actor_is_ignored(client: TestClient, peer: Peer, bob: str) -> None:
    await follow_network(client, peer, "bob")
    delete = activity(peer, "alice", "Delete", bob)
    assert await handled(client, peer, "alice", delete) == "ignored"
    assert await follow_rows(client.app[DB]) == [(bob, GROUP, "accepted")]
