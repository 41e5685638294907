"""Trust only what is proven (issue 16): the signer is the author, a stranger's article is no library item,
ids sit on their actor's host, remote names cannot pose as our handles, and what the node ignores is not
kept. Each test replays an attack through a real signed POST to the node's inbox, then reads back what
the node stored and what its pages show."""

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB, FETCHER, PEERS, URLS
from node.backfill import SWEEP_KEY, BackfillSettings, BackfillWorker
from protocol.actors import RemoteActor, parse_actor
from protocol.handles import handle_text
from tests.node.test_remote_content import peer_object
from tests.support.node import (
    AS_CONTEXT,
    PUBLIC,
    activity,
    error_of,
    follows_peer,
    handled,
    inbox_rows,
    post_signed,
    process,
    publish_practice,
)
from tests.support.peer import Peer

PRACTICE = "http://node.test/practices/monnaie-locale"
GROUP = "http://node.test/users/reseau"


@pytest.fixture
async def published(client: TestClient) -> str:
    return (await publish_practice(client.app)).iri


def reply(peer: Peer, author: str, number: int, text: str, **fields: Any) -> dict[str, Any]:
    """A public Note by `author` on the peer replying to our practice."""
    return {"id": f"{peer.base}/notes/{number}", "type": "Note", "attributedTo": peer.actor_iri(author),
            "inReplyTo": PRACTICE, "content": f"<p>{text}</p>", "to": [PUBLIC], **fields}


async def page(client: TestClient, path: str) -> str:
    resp = await client.get(path, headers={"Accept": "text/html"})
    assert resp.status == 200, path
    return await resp.text()


async def comment_rows(client: TestClient) -> list[tuple[str, str, str]]:
    rows = await client.app[DB].fetch_all("SELECT iri, author_iri, state FROM comments ORDER BY id")
    return [(r["iri"], r["author_iri"], r["state"]) for r in rows]


async def group_announces(client: TestClient) -> list[str]:
    rows = await client.app[DB].fetch_all("SELECT object_iri FROM activities WHERE type = 'Announce'")
    return [r["object_iri"] for r in rows]


# Row 1: `mona@P` signs a Create{Note} with `attributedTo: victim@P` replying to a practice.

async def test_a_note_signed_by_one_actor_and_attributed_to_another_is_not_their_comment(
        client: TestClient, peer: Peer, published: str) -> None:
    """Before: stored as victim's comment, approved, announced by our Group, shown on the page. The
    victim's server does not serve such a note (404): nothing is kept."""
    peer.add_actor("mona")
    peer.add_actor("victim")
    forged = reply(peer, "victim", 1, "words put in the victim's mouth")
    assert await handled(client, peer, "mona", activity(peer, "mona", "Create", forged)) == "ignored"
    assert await comment_rows(client) == []
    assert await group_announces(client) == [published]  # only the practice's own announce
    assert "words put in the victim" not in await page(client, "/practices/monnaie-locale")


async def test_a_note_attributed_to_another_is_read_from_its_origin(
        client: TestClient, peer: Peer, published: str) -> None:
    """mona relays a note its origin really serves as victim's: the origin's copy is kept, never the
    embedded words."""
    peer.add_actor("mona")
    peer.add_actor("victim")
    real = reply(peer, "victim", 2, "what the victim really wrote")
    peer.documents["/notes/2"] = {"@context": AS_CONTEXT, **real}
    embedded = {**real, "content": "<p>words put in the victim's mouth</p>"}
    assert await handled(client, peer, "mona", activity(peer, "mona", "Create", embedded)) == "done"
    assert await comment_rows(client) == [(real["id"], peer.actor_iri("victim"), "approved")]
    html = await page(client, "/practices/monnaie-locale")
    assert "what the victim really wrote" in html and "words put in the victim" not in html


async def test_the_inbox_keeps_at_once_only_a_post_by_its_signer(client: TestClient, peer: Peer) -> None:
    """The inbox keeps a followed server's plain posts as it receives them: one attributed to someone else
    than its signer waits for the worker, which asks the origin (404 here)."""
    await follows_peer(client.app, peer)
    peer.add_actor("mona")
    peer.add_actor("victim")
    post = {**reply(peer, "victim", 3, "forged post"), "inReplyTo": None}
    assert await handled(client, peer, "mona", activity(peer, "mona", "Create", post)) == "ignored"
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_objects") == 0


async def test_an_update_naming_another_author_changes_nothing(client: TestClient, peer: Peer,
                                                               published: str) -> None:
    peer.add_actor("mona")
    peer.add_actor("victim")
    own = reply(peer, "mona", 4, "mona's own words")
    assert await handled(client, peer, "mona", activity(peer, "mona", "Create", own)) == "done"
    before = await client.app[DB].fetch_value("SELECT document FROM remote_objects WHERE iri = ?", (own["id"],))
    renamed = {**own, "attributedTo": peer.actor_iri("victim"), "content": "<p>now the victim's</p>"}
    assert await handled(client, peer, "mona", activity(peer, "mona", "Update", renamed)) == "ignored"
    after = await client.app[DB].fetch_value("SELECT document FROM remote_objects WHERE iri = ?", (own["id"],))
    assert after == before


async def test_an_announced_object_is_read_from_its_origin_not_from_the_announce(
        client: TestClient, peer: Peer, published: str) -> None:
    peer.add_actor("mona")
    peer.add_actor("victim")
    real = reply(peer, "victim", 5, "the real words")
    peer.documents["/notes/5"] = {"@context": AS_CONTEXT, **real}
    embedded = {**real, "content": "<p>the forged words</p>"}
    assert await handled(client, peer, "mona", activity(peer, "mona", "Announce", embedded, to=[GROUP])) == "done"
    stored = await client.app[DB].fetch_value("SELECT document FROM remote_objects WHERE iri = ?", (real["id"],))
    assert "the real words" in stored and "forged" not in stored


# Row 2: a stranger's Create{Article} with cc: network.

async def test_a_strangers_article_addressed_to_the_network_is_no_library_item(
        client: TestClient, other_peer: Peer) -> None:
    """Before: listed in the practices library, search and home page; its host joined the peer
    directory. Now a message for the desk, nothing more."""
    article = {**peer_object(other_peer, author="carol"), "cc": [GROUP]}
    assert await handled(client, other_peer, "carol", activity(other_peer, "carol", "Create", article)) == "done"
    db = client.app[DB]
    assert await db.fetch_value("SELECT count(*) FROM remote_content") == 0
    assert await db.fetch_value("SELECT count(*) FROM mentions WHERE object_iri = ?", (article["id"],)) == 1
    for path in ("/practices", "/search?q=Luciole", "/"):
        assert "La Luciole" not in await page(client, path), path
    await client.app[PEERS].run_once()
    assert await db.fetch_value("SELECT count(*) FROM peers") == 0


async def test_an_article_from_someone_else_on_a_followed_accounts_server_is_no_library_item(
        client: TestClient, peer: Peer, bob: str) -> None:
    """The network follows alice, a person: bob, on her server, is no network and no organizer we follow."""
    await follows_peer(client.app, peer, "alice")
    article = {**peer_object(peer, author="bob"), "cc": [GROUP]}
    assert await handled(client, peer, "bob", activity(peer, "bob", "Create", article)) == "done"
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_content") == 0


async def test_a_followed_accounts_article_enters_the_library(client: TestClient, peer: Peer) -> None:
    await follows_peer(client.app, peer, "alice")
    article = peer_object(peer, author="alice")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", article)) == "done"
    assert "Luciole" in await page(client, "/practices")


async def test_a_stranger_replying_with_a_strangers_article_brings_no_library_item(
        client: TestClient, other_peer: Peer, published: str) -> None:
    """What a reply answers is fetched from its origin: a stranger's article is kept raw, not listed."""
    article = peer_object(other_peer, author="carol")
    other_peer.documents["/practices/luciole"] = {"@context": AS_CONTEXT, **article}
    note = {**reply(other_peer, "carol", 1, "see my article"), "inReplyTo": article["id"], "cc": [GROUP]}
    assert await handled(client, other_peer, "carol", activity(other_peer, "carol", "Create", note)) == "done"
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_content") == 0


async def test_a_strangers_update_brings_no_library_item(client: TestClient, other_peer: Peer) -> None:
    """The article kept as a message, then updated by its author: still no library item."""
    article = {**peer_object(other_peer, author="carol"), "cc": [GROUP]}
    assert await handled(client, other_peer, "carol", activity(other_peer, "carol", "Create", article)) == "done"
    edited = {**article, "name": "La Luciole, encore"}
    await handled(client, other_peer, "carol", activity(other_peer, "carol", "Update", edited))
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_content") == 0


async def test_a_followed_networks_re_share_enters_the_library_a_strangers_boost_does_not(
        client: TestClient, peer: Peer, other_peer: Peer) -> None:
    """An Announce vouches for what it shares when its actor is followed: carol's article, re-shared by
    alice (followed), is listed; boosted by carol herself at our network, it would only be kept raw."""
    await follows_peer(client.app, peer, "alice")
    article = peer_object(other_peer, author="carol")
    other_peer.documents["/practices/luciole"] = {"@context": AS_CONTEXT, **article}
    boost = activity(other_peer, "carol", "Announce", article["id"], to=[GROUP])
    assert await handled(client, other_peer, "carol", boost) == "done"
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_content") == 0
    await client.app[DB].write(lambda conn: conn.execute("DELETE FROM remote_objects"))
    assert await handled(client, peer, "alice", activity(peer, "alice", "Announce", article["id"])) == "done"
    assert "La Luciole" in await page(client, "/practices")


async def test_the_sweep_of_raw_objects_leaves_a_strangers_article_raw(client: TestClient,
                                                                      other_peer: Peer) -> None:
    """The backfill worker reads in full the articles an older node kept raw only: not a stranger's."""
    article = {**peer_object(other_peer, author="carol"), "cc": [GROUP]}
    assert await handled(client, other_peer, "carol", activity(other_peer, "carol", "Create", article)) == "done"
    worker = BackfillWorker(db=client.app[DB], fetcher=client.app[FETCHER], local_base=client.app[URLS].base,
                            settings=BackfillSettings(delay=0.0), group_iri=GROUP)
    await client.app[DB].write(lambda conn: conn.execute("DELETE FROM node_settings WHERE key = ?", (SWEEP_KEY,)))
    await worker.run_once()
    assert worker.raw_sweep is not None and worker.raw_sweep[0] == worker.raw_sweep[1] > 0  # swept it
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_content") == 0


# Row 3: a stranger sends an activity id on another host first.

async def test_an_activity_id_on_another_host_is_refused(client: TestClient, peer: Peer, other_peer: Peer,
                                                         published: str) -> None:
    """Before: the stranger's activity took the id, and the owner's real activity was dropped as a
    duplicate. Now the stranger's is refused (400) and the owner's is handled."""
    owner_like = activity(peer, "alice", "Like", published)
    squat = {**activity(other_peer, "carol", "Like", published), "id": owner_like["id"]}
    status, reason = await error_of(await post_signed(client, other_peer, "carol", "/inbox", squat))
    assert status == 400 and "host" in reason
    assert await handled(client, peer, "alice", owner_like) == "done"
    assert [r["actor_iri"] for r in await inbox_rows(client.app[DB])] == [peer.actor_iri("alice")]


@pytest.mark.parametrize("kind", ["Create", "Update"])
async def test_an_object_id_on_another_host_is_refused(client: TestClient, peer: Peer, other_peer: Peer,
                                                       published: str, kind: str) -> None:
    """A Create or Update speaks for its own server's objects only (an Announce names anyone's)."""
    carols = reply(other_peer, "carol", 1, "carol's words")
    status, reason = await error_of(await post_signed(client, peer, "alice", "/inbox",
                                                      activity(peer, "alice", kind, carols)))
    assert status == 400 and "host" in reason
    by_iri = activity(peer, "alice", kind, carols["id"])
    assert (await error_of(await post_signed(client, peer, "alice", "/inbox", by_iri)))[0] == 400
    assert await inbox_rows(client.app[DB]) == []


# Row 4: a remote preferredUsername with @ and bidi overrides.

IMPERSONATOR = {"preferredUsername": "admin@node.test\u202e", "name": "Admin\u202e\u2066 (node.test)"}


async def test_a_remote_name_cannot_pose_as_one_of_our_handles(client: TestClient, peer: Peer,
                                                               published: str) -> None:
    """Before: the comment showed `@admin@node.test‮@127.0.0.1:…`. Now no bidi control reaches the
    page, no handle but one on the actor's own host is shown, and names are isolated (<bdi>)."""
    peer.add_actor("mona")
    peer.actor_fields["mona"] = IMPERSONATOR
    assert await handled(client, peer, "mona", activity(peer, "mona", "Create", reply(peer, "mona", 1, "hi"))) \
        == "done"
    html = await page(client, "/practices/monnaie-locale")
    assert "hi</p>" in html
    assert not any(c in html for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
    assert "@admin@node.test" not in html
    shown = f'/users/mona" rel="nofollow noopener">Admin (node.test)</a></bdi> <bdi class="handle">{peer.host}</bdi>'
    assert shown in html


async def test_a_name_stored_before_names_were_checked_poses_as_no_handle(client: TestClient, peer: Peer,
                                                                           published: str) -> None:
    """An actor cached by an older version, with its name and preferredUsername as sent: no handle is made
    of them, and the name stays isolated."""
    await test_a_remote_name_cannot_pose_as_one_of_our_handles(client, peer, published)
    await client.app[DB].write(lambda conn: conn.execute(
        "UPDATE remote_actors SET username = ?, name = ?", (IMPERSONATOR["preferredUsername"], "Admin\u202e")))
    html = await page(client, "/practices/monnaie-locale")
    assert "@admin@node.test" not in html
    assert f'>Admin\u202e</a></bdi> <bdi class="handle">{peer.host}</bdi>' in html


def remote_actor(**fields: Any) -> RemoteActor:
    return parse_actor({"id": "https://p.example/users/m", "type": "Person", "inbox": "https://p.example/inbox",
                        "publicKey": {"id": "https://p.example/users/m#k", "publicKeyPem": "PEM"}, **fields})


@pytest.mark.parametrize("username", ["admin@node.test", "ad min", "admin\u200b", "admin\u2067", "admin\n", "",
                                      "x" * 101, 7])
def test_a_username_that_could_pose_as_another_handle_is_dropped(username: Any) -> None:
    assert remote_actor(preferredUsername=username).username is None
    if isinstance(username, str):  # as an older version stored it
        assert handle_text(username, "p.example") is None


@pytest.mark.parametrize("username", ["alice", "Ali_ce.b-2", "élodie", "Пётр", "मोहन", "ユーザー"])
def test_usernames_of_any_script_are_kept(username: str) -> None:
    assert remote_actor(preferredUsername=username).username == username
    assert handle_text(username, "p.example") == f"@{username}@p.example"


def test_display_names_lose_their_bidi_controls_only() -> None:
    assert remote_actor(name="\u202eAdmin\u2066 \U0001f468\u200d\U0001f469 \u05e9\u05dc\u05d5\u05dd\x07").name == \
        "Admin \U0001f468\u200d\U0001f469 \u05e9\u05dc\u05d5\u05dd"  # the emoji's joiner and Hebrew stay
    assert remote_actor(name="\u202e\u2066").name is None
    assert handle_text("alice", "p.example\u202e") is None


# Row 5: activities the relevance rule ignores, 940 kB each.

def big_post(peer: Peer, name: str, number: int, size: int = 940_000, **fields: Any) -> dict[str, Any]:
    return activity(peer, name, "Create", {
        "id": f"{peer.base}/notes/big-{number}", "type": "Note", "attributedTo": peer.actor_iri(name),
        "content": "<p>" + "x" * size + "</p>", "to": [PUBLIC], **fields})


async def stored_bytes(client: TestClient) -> int:
    return int(await client.app[DB].fetch_value("SELECT COALESCE(sum(length(document)), 0) FROM inbox"))


async def test_an_ignored_activity_keeps_its_id_and_a_digest_not_its_body(client: TestClient,
                                                                          other_peer: Peer) -> None:
    """Before: 5 × 940 kB kept in full (4.7 MB, for 30 days). Now about 100 bytes each, and a copy sent
    again is still a duplicate."""
    posts = [big_post(other_peer, "carol", n) for n in range(5)]
    for post in posts:
        assert await handled(client, other_peer, "carol", post) == "ignored"
    assert await stored_bytes(client) < 5 * 200
    again = await post_signed(client, other_peer, "carol", "/inbox", posts[0])
    assert again.status == 202
    await process(client.app)
    assert [r["state"] for r in await inbox_rows(client.app[DB])] == ["ignored"] * 5
    row = await client.app[DB].fetch_one("SELECT document FROM inbox ORDER BY id LIMIT 1")
    assert json.loads(row["document"])["digest"].startswith("sha-256=")


async def test_what_the_worker_ignores_loses_its_body(client: TestClient, other_peer: Peer,
                                                      published: str) -> None:
    """A reply into no thread of ours needs the worker's look (its thread): once ignored, the body goes."""
    post = big_post(other_peer, "carol", 9, inReplyTo=f"{other_peer.base}/notes/elsewhere")
    assert await handled(client, other_peer, "carol", post) == "ignored"
    assert await stored_bytes(client) < 200
