"""Comments under our items: threaded replies from anywhere, the node's moderation (`comments`: open,
held for an organizer, closed) and how documents announce it (Mobilizon's repliesModerationOption and
commentsEnabled); approved comments relayed by the network Group; organizers' replies delivered with
inReplyTo and listed in the item's `replies`."""

import asyncio
import contextlib
import dataclasses
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from node.accounts import get_actor
from node.app import create_app
from node.appkeys import CONFIG, DB, URLS
from node.cli import main
from node.config import Config, load_config, write_config
from node.drafts import parse_markdown
from node.publishing import publish
from tests.support.examples import get_page
from tests.support.journeys import journey_markdown, local_time
from tests.support.node import PUBLIC, activity, follow_network, get_as2, handled, process, publish_practice
from tests.support.peer import Peer

PRACTICE = "http://node.test/practices/monnaie-locale"


def note(peer: Peer, name: str, number: int, in_reply_to: str = PRACTICE, text: str = "Bravo") -> dict[str, Any]:
    return {"id": f"{peer.base}/notes/{number}", "type": "Note", "attributedTo": peer.actor_iri(name),
            "inReplyTo": in_reply_to, "content": f"<p>{text} {number}</p>", "to": [PUBLIC],
            "published": "2026-05-01T10:00:00Z"}


def create(peer: Peer, name: str, obj: dict[str, Any]) -> dict[str, Any]:
    return activity(peer, name, "Create", obj)


async def replies(client: TestClient, iri: str = PRACTICE) -> list[str]:
    head = await (await get_as2(client, f"{iri}/replies")).json(content_type=None)
    page = await (await get_as2(client, head["first"])).json(content_type=None)
    assert head["totalItems"] == len(page.get("orderedItems", []))
    return list(page.get("orderedItems", []))


def cli(client: TestClient, *args: str) -> int:
    return main([args[0], "--data", str(client.app[CONFIG].data_dir), *args[1:]])


@pytest.fixture
async def mode_client(node_config: Config, request: pytest.FixtureRequest) -> AsyncIterator[TestClient]:
    """A node whose maillage.toml sets `comments` to the test's parameter."""
    write_config(dataclasses.replace(node_config, comments=request.param))
    config = load_config(node_config.data_dir, environ={})
    async with TestClient(TestServer(create_app(config, workers=False))) as test_client:
        yield test_client


async def test_open_comments_are_threaded_shown_listed_and_relayed(client: TestClient, peer: Peer, bob: str,
                                                                  other_peer: Peer) -> None:
    await publish_practice(client.app)
    await follow_network(client, other_peer, "carol")
    other_peer.inbox.clear()
    first, answer = note(peer, "alice", 1), note(peer, "bob", 2, in_reply_to=f"{peer.base}/notes/1", text="Merci")
    assert await handled(client, peer, "alice", create(peer, "alice", first)) == "done"
    assert await handled(client, peer, "bob", create(peer, "bob", answer)) == "done"
    assert await replies(client) == [first["id"], answer["id"]]
    html = await get_page(client, "/practices/monnaie-locale")
    assert html.index("<p>Bravo 1</p>") < html.index("<p>Merci 2</p>")
    assert '<article class="comment depth-1">' in html
    # The Group relays each approved comment to its followers (FEP-1b12), so the nodes holding the item see it.
    relayed = [r.json for r in other_peer.inbox if r.json["type"] == "Announce"]
    assert [(a["actor"], a["object"]) for a in relayed] == [
        ("http://node.test/users/reseau", first["id"]), ("http://node.test/users/reseau", answer["id"])]
    doc = await (await get_as2(client, PRACTICE)).json(content_type=None)
    assert (doc["repliesModerationOption"], doc["commentsEnabled"]) == ("allow_all", True)
    # Deleted by its author: gone from the page and the collection.
    tombstone = activity(peer, "bob", "Delete", {"id": answer["id"], "type": "Tombstone"})
    assert await handled(client, peer, "bob", tombstone) == "done"
    assert await replies(client) == [first["id"]]


@pytest.mark.parametrize("mode_client", ["held"], indirect=True)
async def test_held_comments_wait_for_an_organizer(mode_client: TestClient, peer: Peer, bob: str) -> None:
    client = mode_client
    await publish_practice(client.app)
    doc = await (await get_as2(client, PRACTICE)).json(content_type=None)
    assert (doc["repliesModerationOption"], doc["commentsEnabled"]) == ("moderated", True)
    for n, name in ((1, "alice"), (2, "bob")):
        assert await handled(client, peer, name, create(peer, name, note(peer, name, n))) == "done"
    assert await replies(client) == []
    html = await get_page(client, "/practices/monnaie-locale")
    assert "Bravo 1" not in html and "une fois approuvés par un organisateur" in html

    def listing() -> list[str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli(client, "comments") == 0
        return out.getvalue().splitlines()

    held = await asyncio.to_thread(listing)
    assert [line.split("\t") for line in held] == [
        [f"{peer.base}/notes/1", peer.actor_iri("alice"), PRACTICE, "Bravo 1"],
        [f"{peer.base}/notes/2", peer.actor_iri("bob"), PRACTICE, "Bravo 2"]]
    assert await asyncio.to_thread(cli, client, "comments", "--approve", f"{peer.base}/notes/1") == 0
    assert await asyncio.to_thread(cli, client, "comments", "--reject", f"{peer.base}/notes/2") == 0
    assert await asyncio.to_thread(cli, client, "comments", "--approve", f"{peer.base}/notes/2") == 1  # decided
    assert await asyncio.to_thread(listing) == []
    assert await replies(client) == [f"{peer.base}/notes/1"]
    html = await get_page(client, "/practices/monnaie-locale")
    assert "Bravo 1" in html and "Bravo 2" not in html
    # A rejected comment sent again stays out.
    again = create(peer, "bob", note(peer, "bob", 2))
    assert await handled(client, peer, "bob", again) == "ignored"
    assert await replies(client) == [f"{peer.base}/notes/1"]


@pytest.mark.parametrize("mode_client", ["closed"], indirect=True)
async def test_closed_comments_are_not_kept(mode_client: TestClient, peer: Peer) -> None:
    client = mode_client
    await publish_practice(client.app)
    doc = await (await get_as2(client, PRACTICE)).json(content_type=None)
    assert (doc["repliesModerationOption"], doc["commentsEnabled"]) == ("closed", False)
    assert await handled(client, peer, "alice", create(peer, "alice", note(peer, "alice", 1))) == "ignored"
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_objects") == 0
    assert await client.app[DB].fetch_value("SELECT count(*) FROM comments") == 0
    assert "Les commentaires sont fermés." in await get_page(client, "/practices/monnaie-locale")


async def test_a_journey_without_comments_is_closed_whatever_the_node(client: TestClient, peer: Peer) -> None:
    text = journey_markdown("sans-commentaires", start=local_time(timedelta(days=30)))
    text = text.replace("---\n", "---\ncomments: false\n", 1)
    admin = await get_actor(client.app[DB], "admin")
    assert admin is not None
    result = await publish(client.app[DB], client.app[URLS], network="reseau", author=admin,
                           draft=parse_markdown(text, default_lang="fr"))
    doc = await (await get_as2(client, result.iri)).json(content_type=None)
    assert (doc["repliesModerationOption"], doc["commentsEnabled"]) == ("closed", False)
    reply = note(peer, "alice", 1, in_reply_to=result.iri)
    assert await handled(client, peer, "alice", create(peer, "alice", reply)) == "ignored"


async def test_an_organizer_replies_to_a_comment(client: TestClient, peer: Peer, other_peer: Peer) -> None:
    await publish_practice(client.app)
    await follow_network(client, other_peer, "carol")
    comment = note(peer, "alice", 1)
    assert await handled(client, peer, "alice", create(peer, "alice", comment)) == "done"
    await process(client.app)
    peer.inbox.clear()
    other_peer.inbox.clear()
    assert await asyncio.to_thread(cli, client, "reply", "--as", "admin", comment["id"],
                                   "--text", "Merci **Alice** !") == 0
    await process(client.app)
    [to_alice] = [r.json for r in peer.inbox]
    [to_follower] = [r.json for r in other_peer.inbox]
    assert to_alice == to_follower
    reply = to_alice["object"]
    assert (to_alice["type"], to_alice["actor"], reply["type"], reply["inReplyTo"]) == (
        "Create", "http://node.test/users/admin", "Note", comment["id"])
    assert reply["content"] == "<p>Merci <strong>Alice</strong> !</p>"
    assert reply["contentMap"] == {"fr": reply["content"]}
    assert {"type": "Mention", "href": peer.actor_iri("alice"), "name": f"@alice@{peer.host}"} in reply["tag"]
    assert await replies(client) == [comment["id"], reply["id"]]
    fetched = await (await get_as2(client, reply["id"])).json(content_type=None)
    assert {k: fetched[k] for k in ("id", "type", "inReplyTo", "content")} == {
        k: reply[k] for k in ("id", "type", "inReplyTo", "content")}
    browser = await client.get(reply["id"].removeprefix("http://node.test"), headers={"Accept": "text/html"},
                               allow_redirects=False)
    assert (browser.status, browser.headers["Location"]) == (303, f"{PRACTICE}#comments")
    html = await get_page(client, "/practices/monnaie-locale")
    assert '<article class="comment depth-1">' in html and "Merci <strong>Alice</strong> !" in html


async def test_an_organizer_replies_to_our_item_and_refusals(client: TestClient, other_peer: Peer) -> None:
    await publish_practice(client.app)
    await follow_network(client, other_peer, "carol")
    other_peer.inbox.clear()
    assert await asyncio.to_thread(cli, client, "reply", "--as", "admin", PRACTICE, "--text", "Mise à jour") == 0
    await process(client.app)
    [create_note] = [r.json for r in other_peer.inbox]
    assert create_note["object"]["inReplyTo"] == PRACTICE and "tag" not in create_note["object"]
    assert len(await replies(client)) == 1
    assert await asyncio.to_thread(cli, client, "reply", "--as", "admin", PRACTICE, "--text", "  ") == 1
    assert await asyncio.to_thread(cli, client, "reply", "--as", "admin", PRACTICE) == 1  # neither FILE nor --text
    assert await asyncio.to_thread(cli, client, "reply", "--as", "admin", "http://node.test/practices/x",
                                   "--text", "?") == 1


@pytest.mark.parametrize("mode_client", ["held"], indirect=True)
async def test_a_reply_to_a_held_comment_waits_with_it(mode_client: TestClient, peer: Peer,
                                                        other_peer: Peer) -> None:
    """carol, on a server the network does not follow, answers alice's comment while it is held: her reply
    is kept, held too (shown alone it would read out of context), and shown under it once both approved."""
    client = mode_client
    await publish_practice(client.app)
    first = note(peer, "alice", 1)
    answer = note(other_peer, "carol", 2, in_reply_to=first["id"], text="Merci")
    assert await handled(client, peer, "alice", create(peer, "alice", first)) == "done"
    assert await handled(client, other_peer, "carol", create(other_peer, "carol", answer)) == "done"
    states = await client.app[DB].fetch_all("SELECT iri, state FROM comments ORDER BY id")
    assert [(r["iri"], r["state"]) for r in states] == [(first["id"], "held"), (answer["id"], "held")]
    for iri in (first["id"], answer["id"]):
        assert await asyncio.to_thread(cli, client, "comments", "--approve", iri) == 0
    html = await get_page(client, "/practices/monnaie-locale")
    assert html.index("<p>Bravo 1</p>") < html.index("<p>Merci 2</p>") and '<article class="comment depth-1">' in html


async def test_a_shown_comment_is_removed_and_its_relay_undone(client: TestClient, peer: Peer,
                                                               other_peer: Peer) -> None:
    """Spam that came in while comments were open: removed from the desk (or `maillage comments --remove`),
    it leaves the page and `replies`, and the Group's Announce of it is undone at the Group's followers.
    Only the item's author or an admin may; a reply from this node is not removed this way."""
    from tests.support.desk import ORGANIZER, ORGANIZER_PASSWORD, add_organizer, form_error, login, post_form
    await publish_practice(client.app)  # by the admin
    await follow_network(client, other_peer, "carol")
    spam, kept = note(peer, "alice", 1, text="Buy now"), note(peer, "alice", 2, text="Bravo")
    for doc in (spam, kept):
        assert await handled(client, peer, "alice", create(peer, "alice", doc)) == "done"
    announce = next(r.json for r in other_peer.inbox if r.json["type"] == "Announce" and r.json["object"] == spam["id"])
    other_peer.inbox.clear()

    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)  # not the item's author
    assert (await post_form(client, "/desk/comments/remove", {"iri": spam["id"]}, token_from="/desk")).status == 403
    await post_form(client, "/logout", {}, token_from="/desk")
    await login(client)
    resp = await post_form(client, "/desk/comments/remove", {"iri": spam["id"]}, token_from="/desk/comments")
    assert resp.status == 303, await resp.text()
    assert await replies(client) == [kept["id"]]
    assert "Buy now" not in await get_page(client, "/practices/monnaie-locale")
    await process(client.app)
    [undo] = [r.json for r in other_peer.inbox if r.json["type"] == "Undo"]
    assert undo["actor"] == "http://node.test/users/reseau" and undo["object"]["id"] == announce["id"]
    again = await post_form(client, "/desk/comments/remove", {"iri": spam["id"]}, token_from="/desk/comments")
    assert again.status == 400 and "no such comment" in (form_error(await again.text()) or "")

    data = str(client.app[CONFIG].data_dir)
    code = await asyncio.to_thread(main, ["comments", "--data", data, "--remove", kept["id"]])
    assert code == 0 and await replies(client) == []
    assert await asyncio.to_thread(main, ["comments", "--data", data, "--remove", kept["id"]]) == 1
