"""Outbox, followers and following (ActivityPub 5): a head with totalItems and `first`, pages of 20
with `next`, newest first for outboxes, oldest first for follows; bad paging parameters are 400."""

import json

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import DB, FETCHER, URLS
from node.following import follow
from node.follows import upsert_follow
from protocol.jsonld import OUTGOING_CONTEXT
from tests.support.node import activity, get_as2, post_signed, process, publish_practice
from tests.support.peer import Peer

BASE = "http://node.test"
GROUP = f"{BASE}/users/reseau"
ADMIN = f"{BASE}/users/admin"


async def get_doc(client: TestClient, iri: str) -> dict[str, object]:
    resp = await get_as2(client, iri)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    doc: dict[str, object] = await resp.json(content_type=None)
    return doc


def head(iri: str, total: int) -> dict[str, object]:
    return {"@context": OUTGOING_CONTEXT, "id": iri, "type": "OrderedCollection", "totalItems": total,
            "first": f"{iri}?page=true"}


@pytest.mark.parametrize("actor", [GROUP, ADMIN])
@pytest.mark.parametrize("which", ["outbox", "followers", "following"])
async def test_empty_collection_heads_and_pages(client: TestClient, actor: str, which: str) -> None:
    iri = f"{actor}/{which}"
    assert await get_doc(client, iri) == head(iri, 0)
    page = await get_doc(client, f"{iri}?page=true")
    assert page == {"@context": OUTGOING_CONTEXT, "id": f"{iri}?page=true", "type": "OrderedCollectionPage",
                    "partOf": iri}  # no empty orderedItems (AS2)


async def test_outbox_pages_newest_first_across_more_than_20_items(client: TestClient) -> None:
    results = [await publish_practice(client.app, f"pratique-{n}") for n in range(23)]
    outbox = f"{GROUP}/outbox"
    assert await get_doc(client, outbox) == head(outbox, 23)

    first = await get_doc(client, f"{outbox}?page=true")
    items = first["orderedItems"]
    assert isinstance(items, list) and len(items) == 20
    # The network's outbox lists the Creates of its items (node/outbox.py), not its Announces of them.
    assert [i["object"]["id"] for i in items] == [r.iri for r in reversed(results)][:20]
    assert {i["type"] for i in items} == {"Create"}
    assert all("@context" not in i for i in items)
    assert items[0]["id"] == results[-1].activity_iris[0]
    next_iri = first["next"]
    assert isinstance(next_iri, str) and next_iri.startswith(f"{outbox}?page=true&max_id=")

    second = await get_doc(client, next_iri)
    assert second["id"] == next_iri and second["partOf"] == outbox
    assert [i["object"]["id"] for i in second["orderedItems"]] == [r.iri for r in results[2::-1]]  # type: ignore[union-attr]
    assert "next" not in second

    author_outbox = await get_doc(client, f"{ADMIN}/outbox?page=true")
    creates = author_outbox["orderedItems"]
    assert isinstance(creates, list) and {c["type"] for c in creates} == {"Create"}
    assert creates[0]["object"]["id"] == results[-1].iri


async def test_outbox_page_embeds_stored_documents_exactly_whatever_their_context(client: TestClient) -> None:
    """Pages splice the stored JSON texts in; a stored text with another context (an older version's) is
    re-serialised without it. Either way each item is the stored document minus `@context`."""
    result = await publish_practice(client.app, "pratique-a")
    db = client.app[DB]
    stored = {r["iri"]: json.loads(r["document"]) for r in await db.fetch_all("SELECT iri, document FROM activities")}
    other = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{BASE}/activities/legacy",
             "type": "Create", "actor": GROUP,
             "object": {"id": f"{BASE}/notes/é", "type": "Note", "content": "« été »"},
             "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    group = await get_actor(db, "reseau")
    assert group is not None
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO activities (iri, type, actor_id, object_iri, public, document, created_at)"
                         " VALUES (?, 'Create', ?, ?, 1, ?, '2026-01-01T00:00:00Z')",
                         (other["id"], group.id, f"{BASE}/notes/é", json.dumps(other)))
    items = (await get_doc(client, f"{GROUP}/outbox?page=true"))["orderedItems"]
    assert isinstance(items, list) and len(items) == 2
    assert items[0] == {k: v for k, v in other.items() if k != "@context"}
    create = stored[result.activity_iris[0]]  # the item's Create, by its author (node/outbox.py)
    assert items[1] == {k: v for k, v in create.items() if k != "@context"}


async def test_outbox_holds_only_public_activities(client: TestClient, peer: Peer) -> None:
    follow_doc = activity(peer, "alice", "Follow", GROUP)
    assert (await post_signed(client, peer, "alice", "/inbox", follow_doc)).status == 202
    assert await process(client.app) == (1, 1)  # an Accept was sent: addressed to alice only
    assert (await get_doc(client, f"{GROUP}/outbox"))["totalItems"] == 0
    assert "orderedItems" not in await get_doc(client, f"{GROUP}/outbox?page=true")


@pytest.mark.parametrize("query", ["max_id=abc", "max_id=-1", "max_id=1.5", "max_id=", "max_id=9999999999999999999"])
async def test_bad_max_id_is_400(client: TestClient, query: str) -> None:
    resp = await get_as2(client, f"{GROUP}/outbox?page=true&{query}")
    assert resp.status == 400
    assert await resp.json() == {"error": "max_id must be a positive integer"}


async def test_every_page_id_is_the_url_it_was_fetched_from(client: TestClient) -> None:
    await publish_practice(client.app)
    for query in ("page=true", "page=true&max_id=0", "page=true&max_id=99999"):
        page = await get_doc(client, f"{GROUP}/outbox?{query}")
        assert page["id"] == f"{GROUP}/outbox?{query}"
        assert len(page.get("orderedItems", [])) == (0 if query.endswith("=0") else 1)  # type: ignore[arg-type]


@pytest.mark.parametrize("which", ["followers", "following"])
async def test_bad_after_is_400(client: TestClient, which: str) -> None:
    resp = await get_as2(client, f"{GROUP}/{which}?page=true&after=x")
    assert resp.status == 400
    assert await resp.json() == {"error": "after must be a positive integer"}


@pytest.mark.parametrize("which", ["outbox", "followers", "following"])
async def test_collections_of_an_unknown_actor_are_404(client: TestClient, which: str) -> None:
    resp = await get_as2(client, f"{BASE}/users/nobody/{which}")
    assert resp.status == 404
    assert await resp.json() == {"error": "no such actor"}


async def test_followers_count_accepted_only_and_page_oldest_first(client: TestClient) -> None:
    remote = [f"https://remote{n}.example/users/u{n}" for n in range(22)]
    async with client.app[DB].transaction() as tx:
        for n, iri in enumerate(remote):
            await upsert_follow(tx, follower_iri=iri, followee_iri=GROUP, activity_iri=f"{iri}#follow",
                                state="accepted")
            if n == 5:
                await upsert_follow(tx, follower_iri="https://pending.example/users/p", followee_iri=GROUP,
                                    activity_iri="https://pending.example/f", state="pending")
        await upsert_follow(tx, follower_iri=remote[0], followee_iri=ADMIN, activity_iri="https://x.example/f",
                            state="accepted")
    followers = f"{GROUP}/followers"
    assert await get_doc(client, followers) == head(followers, 22)
    first = await get_doc(client, f"{followers}?page=true")
    assert first["orderedItems"] == remote[:20]
    second = await get_doc(client, str(first["next"]))
    assert second["orderedItems"] == remote[20:]
    assert "next" not in second
    assert (await get_doc(client, f"{ADMIN}/followers"))["totalItems"] == 1
    assert (await get_doc(client, f"{GROUP}/following"))["totalItems"] == 0


async def test_following_lists_accepted_follows_we_sent(client: TestClient, peer: Peer) -> None:
    app = client.app
    group = await get_actor(app[DB], "reseau")
    assert group is not None
    alice = peer.actor_iri("alice")
    sent = await follow(app[DB], app[URLS], app[FETCHER], follower=group, target=alice)
    following = f"{GROUP}/following"
    assert (await get_doc(client, following))["totalItems"] == 0  # pending until accepted
    accept = activity(peer, "alice", "Accept", {"id": sent.activity_iri, "type": "Follow", "actor": GROUP,
                                                "object": alice})
    assert (await post_signed(client, peer, "alice", "/users/reseau/inbox", accept)).status == 202
    await process(app)
    assert await get_doc(client, following) == head(following, 1)
    assert (await get_doc(client, f"{following}?page=true"))["orderedItems"] == [alice]
