"""Which received posts the node keeps (node/relevance.py): those of servers its actors follow, those
addressed to or mentioning its actors, and replies into its threads; a stranger's other posts are
marked ignored and leave nothing else behind, whether the inbox or its worker handles them."""

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import relevance
from node.appkeys import DB, FETCHER, URLS
from node.follows import remove_follow, upsert_follow
from tests.node.test_remote_content import peer_object
from tests.support.dbstate import changed, snapshot
from tests.support.node import (
    AS_CONTEXT,
    PUBLIC,
    activity,
    follows_peer,
    handled,
    inbox_rows,
    post_signed,
    process,
    publish_practice,
)
from tests.support.peer import Peer

GROUP = "http://node.test/users/reseau"


def note(peer: Peer, n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"{peer.base}/notes/{n}", "type": "Note", "attributedTo": peer.actor_iri("alice"),
            "content": f"<p>{n}</p>", "to": [PUBLIC], **fields}


async def kept(client: TestClient, table: str = "remote_objects") -> list[str]:
    """The IRIs of the posts `table` holds, oldest first."""
    return [r[0] for r in await client.app[DB].fetch_all(f"SELECT iri FROM {table} ORDER BY id")]


async def leaves_nothing_but_its_log(client: TestClient, peer: Peer, doc: dict[str, Any]) -> None:
    before = await snapshot(client.app[DB])
    assert await handled(client, peer, "alice", doc) == "ignored"
    assert set(changed(before, await snapshot(client.app[DB]))) == {"inbox"}


@pytest.mark.parametrize("post", [
    lambda peer: note(peer, 1),  # the inbox's plain case, handled when received
    lambda peer: note(peer, 1, inReplyTo="https://elsewhere.example/notes/9"),  # a reply to nothing here
    lambda peer: peer_object(peer, "practice"),  # a "practice" for our library and search
], ids=["note", "reply-elsewhere", "practice"])
async def test_a_strangers_post_is_ignored_and_leaves_nothing(client: TestClient, peer: Peer, post: Any) -> None:
    await leaves_nothing_but_its_log(client, peer, activity(peer, "alice", "Create", post(peer)))


async def test_a_strangers_boost_is_ignored(client: TestClient, peer: Peer) -> None:
    peer.documents["/notes/1"] = {"@context": AS_CONTEXT, **note(peer, 1)}
    await leaves_nothing_but_its_log(client, peer, activity(peer, "alice", "Announce", f"{peer.base}/notes/1"))


@pytest.mark.parametrize("fields", [
    {"cc": [GROUP]},
    {"to": [PUBLIC, "http://node.test/users/admin"]},
    {"tag": [{"type": "Mention", "href": GROUP, "name": "@reseau@node.test"}]},
], ids=["cc-group", "to-organizer", "mention"])
async def test_a_strangers_post_to_one_of_us_is_kept(client: TestClient, peer: Peer, fields: dict[str, Any]) -> None:
    doc = activity(peer, "alice", "Create", note(peer, 1, **fields))
    assert await handled(client, peer, "alice", doc) == "done"
    assert await kept(client) == [doc["object"]["id"]]


async def test_a_strangers_reply_to_our_item_is_a_comment(client: TestClient, peer: Peer) -> None:
    await publish_practice(client.app)
    reply = note(peer, 1, inReplyTo="http://node.test/practices/monnaie-locale")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", reply)) == "done"
    assert await kept(client, "comments") == [reply["id"]]


async def test_every_post_of_a_followed_server_is_kept(client: TestClient, peer: Peer, bob: str) -> None:
    """Kept, but listed in the library only from a network or an organizer we follow (relevance.Followed):
    alice is a person, so bob, on her server, is neither."""
    await follows_peer(client.app, peer, "alice")  # bob, on alice's server, is not followed himself
    practice = peer_object(peer, "practice", author="bob")
    assert await handled(client, peer, "bob", activity(peer, "bob", "Create", practice)) == "done"
    assert await handled(client, peer, "bob", activity(peer, "bob", "Create", {**note(peer, 2), "attributedTo": bob})) \
        == "done"
    assert await kept(client) == [practice["id"], f"{peer.base}/notes/2"]
    assert await kept(client, "remote_content") == []
    mine = peer_object(peer, "practice", slug="alices", author="alice")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", mine)) == "done"
    assert await kept(client, "remote_content") == [mine["id"]]


async def test_a_followed_networks_node_fills_the_library(client: TestClient, peer: Peer, bob: str) -> None:
    """The network follows the peer's Group (its document cached, as `maillage follow` leaves it): its
    organizers' items are listed, bob's included."""
    peer.add_actor("reseau")
    peer.actor_fields["reseau"] = {"type": "Group"}
    await client.app[FETCHER].get_actor(peer.actor_iri("reseau"))
    await follows_peer(client.app, peer, "reseau")
    practice = peer_object(peer, "practice", author="bob")
    assert await handled(client, peer, "bob", activity(peer, "bob", "Create", practice)) == "done"
    assert await kept(client, "remote_content") == [practice["id"]]


async def test_a_follow_accepted_or_removed_counts_from_the_next_post(client: TestClient, peer: Peer) -> None:
    """What the node caches of the hosts it follows is read again once a follow changed, after its
    commit: the Accept of our Follow, handled by the inbox worker; our unfollow."""
    db, urls = client.app[DB], client.app[URLS]
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note(peer, 1))) == "ignored"
    follow_iri = f"{urls.base}/activities/follow-alice"
    async with db.transaction() as tx:
        await upsert_follow(tx, follower_iri=GROUP, followee_iri=peer.actor_iri("alice"), activity_iri=follow_iri,
                            state="pending")
    accept = activity(peer, "alice", "Accept", {"id": follow_iri, "type": "Follow", "actor": GROUP,
                                                "object": peer.actor_iri("alice")})
    assert await handled(client, peer, "alice", accept) == "done"
    second = activity(peer, "alice", "Create", note(peer, 2))
    resp = await post_signed(client, peer, "alice", "/inbox", second)
    assert resp.status == 202
    rows = {r["activity_iri"]: r["state"] for r in await inbox_rows(db)}
    assert rows[second["id"]] == "done"  # kept by the inbox as it came, with no wait for a refresh
    async with db.transaction() as tx:
        await remove_follow(tx, follower_iri=GROUP, followee_iri=peer.actor_iri("alice"))
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note(peer, 3))) == "ignored"
    assert await kept(client) == [second["object"]["id"]]


async def test_a_row_the_worker_parses_again_gets_the_same_decision(client: TestClient, peer: Peer) -> None:
    """A row left for the worker (after a restart, or a backlog) is not kept by the worker's plain batch
    when the inbox would not have kept it."""
    docs = [activity(peer, "alice", "Create", note(peer, n)) for n in (1, 2)]
    docs[1]["object"]["cc"] = [GROUP]
    async with client.app[DB].transaction() as tx:
        await tx.execute_many(
            "INSERT INTO inbox (activity_iri, type, actor_iri, document, received_at) VALUES (?, 'Create', ?, ?, ?)",
            [(d["id"], d["actor"], json.dumps(d), "2026-01-01T00:00:00Z") for d in docs])
    assert (await process(client.app))[0] == 2
    assert {r["activity_iri"]: r["state"] for r in await inbox_rows(client.app[DB])} == {
        docs[0]["id"]: "ignored", docs[1]["id"]: "done"}
    assert await kept(client) == [docs[1]["object"]["id"]]


async def test_follows_other_processes_make_show_after_the_refresh(client: TestClient, peer: Peer,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`maillage follow`/`unfollow` write from another process: no commit here says so, the refresh does."""
    db, urls = client.app[DB], client.app[URLS]
    cached = relevance.FollowedHosts.of(db)
    assert peer.host not in await cached.get(db, urls)
    await db.write(lambda conn: conn.execute(
        "INSERT INTO follows (follower_iri, followee_iri, activity_iri, state, created_at, updated_at)"
        " VALUES (?, ?, 'x', 'accepted', '', '')", (GROUP, peer.actor_iri("alice"))))
    assert peer.host not in await cached.get(db, urls)  # as another process's write looks from here
    monkeypatch.setattr(relevance, "REFRESH_SECONDS", 0.0)
    assert peer.host in await cached.get(db, urls)
