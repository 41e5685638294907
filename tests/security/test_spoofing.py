"""Activities that are validly signed by their actor but speak for someone else: objects claiming
another server, edits and deletions of what others wrote (or of who others are), announces of objects
their origin does not vouch for, answers to follows nobody sent. The inbox accepts them (202: the
signature is good) and the worker must then change nothing: every table but the `inbox` log (and, where
no actor is at stake, the remote-actor cache) is compared row by row before and after."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import DB, FETCHER, URLS
from node.following import follow
from tests.support.dbstate import CACHES, changed, snapshot
from tests.support.node import AS_CONTEXT, activity, follow_network, handled, post_signed, process, publish_practice
from tests.support.peer import Peer

GROUP = "http://node.test/users/reseau"
PRACTICE = "http://node.test/practices/monnaie-locale"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def note(peer: Peer, name: str, number: int = 1, **fields: Any) -> dict[str, Any]:
    return {"id": f"{peer.base}/notes/{name}-{number}", "type": "Note", "attributedTo": peer.actor_iri(name),
            "inReplyTo": PRACTICE, "content": f"<p>{name} wrote this</p>", "to": [PUBLIC], **fields}


async def stored_note(client: TestClient, peer: Peer, name: str) -> dict[str, Any]:
    """A reply by `name`, delivered by its author and stored: the target of the forgeries below."""
    doc = note(peer, name)
    assert await handled(client, peer, name, activity(peer, name, "Create", doc)) == "done"
    return doc


async def changes_nothing(client: TestClient, peer: Peer, name: str, doc: dict[str, Any], *,
                          state: str = "ignored", ignore: frozenset[str] = CACHES) -> None:
    """POST `doc` signed by `name`: accepted (202), processed into `state`, and nothing else changed;
    or, for `state` "refused", answered 400 and not even logged. The sender has posted before (a Like),
    so its key is already cached."""
    await handled(client, peer, name, activity(peer, name, "Like", PRACTICE))
    ignore = ignore if state == "refused" else ignore | {"inbox"}
    before = await snapshot(client.app[DB], ignore=ignore)
    if state == "refused":  # a Create or Update of another server's object (protocol.activities.check_origins)
        assert (await post_signed(client, peer, name, "/inbox", doc)).status == 400
        await process(client.app)
    else:
        assert await handled(client, peer, name, doc) == state
    assert changed(before, await snapshot(client.app[DB], ignore=ignore)) == {}


@pytest.fixture
async def published(client: TestClient) -> str:
    return (await publish_practice(client.app)).iri


# Create: the embedded object is trusted only from its own server, and only as the object asked for.

@pytest.mark.parametrize("origin_status", [404, 410, 500])
async def test_create_of_an_object_that_its_origin_does_not_serve_stores_nothing(
        client: TestClient, peer: Peer, other_peer: Peer, published: str, origin_status: int) -> None:
    forged = note(other_peer, "carol")
    other_peer.statuses["/notes/carol-1"] = origin_status
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Create", forged), state="refused")


async def test_create_of_an_object_whose_origin_serves_another_id_stores_nothing(
        client: TestClient, peer: Peer, other_peer: Peer, published: str) -> None:
    """Asked for notes/carol-1, carol's server answers with notes/carol-2: neither is stored as-is."""
    other_peer.documents["/notes/carol-1"] = {"@context": AS_CONTEXT, **note(other_peer, "carol", 2)}
    forged = note(other_peer, "carol", content="<p>words put in carol's mouth</p>")
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Create", forged), state="refused")


async def test_create_of_an_object_attributed_to_one_of_our_users_stores_nothing(
        client: TestClient, peer: Peer, published: str) -> None:
    forged = note(peer, "alice", attributedTo="http://node.test/users/admin")
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Create", forged))


# Update and Delete: only of what the sender wrote, only of who the sender is.

async def test_update_of_an_object_on_another_server_changes_nothing(
        client: TestClient, peer: Peer, other_peer: Peer, published: str) -> None:
    carols = await stored_note(client, other_peer, "carol")
    edited = {**carols, "content": "<p>carol never wrote this</p>"}
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Update", edited), state="refused")


async def test_update_of_someone_elses_object_on_the_same_server_changes_nothing(
        client: TestClient, peer: Peer, bob: str, published: str) -> None:
    bobs = await stored_note(client, peer, "bob")
    await changes_nothing(client, peer, "alice",
                          activity(peer, "alice", "Update", {**bobs, "content": "<p>edited by alice</p>"}))


async def test_update_of_our_own_content_changes_nothing(client: TestClient, peer: Peer, published: str) -> None:
    forged = {"id": published, "type": "Article", "attributedTo": "http://node.test/users/admin",
              "name": "Defaced", "content": "<p>defaced</p>"}
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Update", forged), state="refused")


@pytest.mark.parametrize("victim", ["bob", "carol"])
async def test_update_of_someone_elses_actor_changes_nothing(
        client: TestClient, peer: Peer, bob: str, other_peer: Peer, victim: str) -> None:
    """Not even the cached actor documents: an Update of an actor is read only from that actor."""
    server = peer if victim == "bob" else other_peer
    await follow_network(client, server, victim)  # caches the victim's document
    renamed = {**server.actor_document(victim), "name": "Impostor", "inbox": f"{peer.base}/steal"}
    renamed.pop("@context")
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Update", renamed),
                          state="ignored" if victim == "bob" else "refused", ignore=frozenset())


@pytest.mark.parametrize("target", ["bob", "carol", "our group", "our practice", "carol's note"])
async def test_delete_of_what_is_not_the_senders_changes_nothing(
        client: TestClient, peer: Peer, bob: str, other_peer: Peer, published: str, target: str) -> None:
    await follow_network(client, peer, "bob")
    await follow_network(client, other_peer, "carol")
    carols = await stored_note(client, other_peer, "carol")
    iri = {"bob": bob, "carol": other_peer.actor_iri("carol"), "our group": GROUP, "our practice": published,
           "carol's note": carols["id"]}[target]
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Delete", iri), ignore=frozenset())


# Announce: the object is fetched from its origin, which must serve it, under the id announced.

@pytest.mark.parametrize(("origin_status", "state"), [(404, "ignored"), (410, "ignored"), (500, "new")])
async def test_announce_of_an_object_its_origin_denies_stores_nothing(
        client: TestClient, peer: Peer, other_peer: Peer, published: str, origin_status: int, state: str) -> None:
    """404/410: there is nothing to keep. 500: the origin may come back, so the Announce is retried
    later; nothing is stored meanwhile either."""
    other_peer.statuses["/notes/carol-1"] = origin_status
    announce = activity(peer, "alice", "Announce", f"{other_peer.base}/notes/carol-1")
    await changes_nothing(client, peer, "alice", announce, state=state)


@pytest.mark.parametrize("served", ["another id", "another server's id", "an embedded copy"])
async def test_announce_of_an_object_whose_origin_serves_another_id_stores_nothing(
        client: TestClient, peer: Peer, other_peer: Peer, published: str, served: str) -> None:
    wanted = f"{other_peer.base}/notes/carol-1"
    doc = {"another id": note(other_peer, "carol", 2), "another server's id": note(peer, "alice", 7),
           "an embedded copy": {"id": wanted, "type": "Note", "attributedTo": peer.actor_iri("alice")}}[served]
    other_peer.documents["/notes/carol-1"] = {"@context": AS_CONTEXT, **doc}
    announce = activity(peer, "alice", "Announce", wanted)
    await changes_nothing(client, peer, "alice", announce,
                          state="new" if served == "another server's id" else "ignored")


async def test_announce_of_a_create_whose_object_its_origin_denies_stores_nothing(
        client: TestClient, peer: Peer, other_peer: Peer, published: str) -> None:
    """Lemmy's form, Announce{Create{object}}: the inner object is what is fetched, and trusted."""
    inner = activity(other_peer, "carol", "Create", note(other_peer, "carol", content="<p>forged</p>"))
    inner.pop("@context")
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Announce", inner))


# Accept: only of a Follow we sent, only from the actor we asked.

@pytest.mark.parametrize("form", ["never sent", "sent to someone else"])
async def test_forged_accept_changes_nothing(client: TestClient, peer: Peer, other_peer: Peer, form: str) -> None:
    app = client.app
    carol = other_peer.actor_iri("carol")
    if form == "sent to someone else":
        group = await get_actor(app[DB], "reseau")
        assert group is not None
        sent = await follow(app[DB], app[URLS], app[FETCHER], follower=group, target=other_peer.handle("carol"))
        follow_iri = sent.activity_iri
    else:
        follow_iri = "http://node.test/activities/never-sent"
    accepted = {"id": follow_iri, "type": "Follow", "actor": GROUP,
                "object": carol if form == "sent to someone else" else peer.actor_iri("alice")}
    await changes_nothing(client, peer, "alice", activity(peer, "alice", "Accept", accepted))
