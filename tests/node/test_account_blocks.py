"""Blocking one account elsewhere (node/account_blocks.py), from /admin/moderation and the command line:
its activities are refused before anything is stored, its posts are not kept when others boost them,
and its follow, comment, message and journey participation here are gone; the other accounts of its
server are untouched; unblocking lets it in again. Refusals change nothing."""

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB, URLS
from node.cli import main
from node.config import Config
from tests.support.dbstate import row_counts
from tests.support.desk import field_error, form_error, login, post_form
from tests.support.journeys import deliver, mobilizon_join, publish_journey
from tests.support.node import PUBLIC, activity, follow_network, handled, post_signed, process, publish_practice
from tests.support.peer import Peer


def note(peer: Peer, name: str, n: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"{peer.base}/notes/{n}", "type": "Note", "attributedTo": peer.actor_iri(name),
            "content": f"<p>Note {n} by {name}</p>", "to": [PUBLIC], **fields}


async def block_form(client: TestClient, account: str, action: str = "block", reason: str = "") -> Any:
    return await post_form(client, "/admin/accounts", {"account": account, "action": action, "reason": reason},
                           token_from="/admin/moderation")


async def test_a_blocked_account_leaves_nothing_and_gets_nothing_in(client: TestClient, peer: Peer, bob: str) -> None:
    db, urls = client.app[DB], client.app[URLS]
    alice = peer.actor_iri("alice")
    item = (await publish_practice(client.app)).iri
    journey = await publish_journey(client.app, capacity=12)
    await follow_network(client, peer, "alice")
    await follow_network(client, peer, "bob")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note(
        peer, "alice", 1, inReplyTo=item))) == "done"
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note(
        peer, "alice", 2, cc=[urls.actor("admin")], tag=[{"type": "Mention", "href": urls.actor("admin")}]))) == "done"
    await deliver(client, peer, "alice", mobilizon_join(peer, "alice", journey), path="/users/admin/inbox")
    assert await db.fetch_value("SELECT count(*) FROM participations WHERE actor_iri = ?", (alice,)) == 1
    await login(client)
    assert "Note 1 by alice" in await (await client.get("/practices/monnaie-locale")).text()
    assert "Note 2 by alice" in await (await client.get("/desk/comments")).text()
    peer.inbox.clear()

    resp = await block_form(client, alice, reason="Spam in every comment")
    assert resp.status == 303, await resp.text()
    page = await (await client.get("/admin/moderation")).text()
    assert "is blocked" in page and "Spam in every comment" in page and "@alice@" in page
    assert await db.fetch_value("SELECT count(*) FROM follows WHERE follower_iri = ?", (alice,)) == 0
    assert await db.fetch_value("SELECT state FROM comments WHERE author_iri = ?", (alice,)) == "rejected"
    assert "Note 1 by alice" not in await (await client.get("/practices/monnaie-locale")).text()
    assert "Note 2 by alice" not in await (await client.get("/desk/comments")).text()
    assert await db.fetch_value("SELECT count(*) FROM participations WHERE actor_iri = ?", (alice,)) == 0
    await process(client.app)
    updates = [r.json for r in peer.inbox if r.json["type"] == "Update"]
    assert updates and all(alice not in str(u.get("to")) for u in updates)  # counts republished to bob's server
    assert not [r for r in peer.inbox if r.path == "/users/alice/inbox"]  # a block is silent
    undone = [r.json["object"] for r in peer.inbox if r.json["type"] == "Undo"]  # to bob's server, a follower
    assert [(u["type"], u["object"]) for u in undone] == [("Announce", f"{peer.base}/notes/1")]

    # Her next activity is refused before anything is stored; bob, on the same server, is not.
    before = await row_counts(db)
    refused = await post_signed(client, peer, "alice", "/inbox",
                                activity(peer, "alice", "Create", note(peer, "alice", 3, inReplyTo=item)))
    assert refused.status == 403 and f"account {alice} is blocked" in await refused.text()
    assert await row_counts(db) == before
    # A boost of her post by bob is not kept either.
    peer.documents["/notes/4"] = note(peer, "alice", 4, inReplyTo=item)
    assert await handled(client, peer, "bob", activity(peer, "bob", "Announce", f"{peer.base}/notes/4")) == "ignored"
    assert await handled(client, peer, "bob", activity(peer, "bob", "Create", note(
        peer, "bob", 5, inReplyTo=item))) == "done"
    assert "Note 5 by bob" in await (await client.get("/practices/monnaie-locale")).text()

    # Unblocked: her next activities come in again; what the block removed stays removed.
    assert (await block_form(client, alice, "unblock")).status == 303
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note(
        peer, "alice", 6, inReplyTo=item))) == "done"
    page = await (await client.get("/practices/monnaie-locale")).text()
    assert "Note 6 by alice" in page and "Note 1 by alice" not in page


async def test_block_the_author_of_a_held_comment(client: TestClient, peer: Peer) -> None:
    db = client.app[DB]
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO node_settings (key, value) VALUES ('comments', 'held')"
                         " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    item = (await publish_practice(client.app)).iri
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note(
        peer, "alice", 1, inReplyTo=item))) == "done"
    await login(client)
    page = await (await client.get("/admin/moderation")).text()
    assert "Block the author" in page
    assert (await block_form(client, peer.actor_iri("alice"), reason="Comment held for approval")).status == 303
    assert await db.fetch_value("SELECT state FROM comments") == "rejected"
    assert "No comment waiting." in await (await client.get("/admin/moderation")).text()


@pytest.mark.parametrize(("data", "where", "message"), [
    ({"account": "", "action": "block"}, "account", "Write a handle like @name@example.org, or the account's address."),
    ({"account": "http://node.test/users/admin", "action": "block"}, "account",
     "This account is on this node: suspend its login from the organizers page instead."),
    ({"account": "not a handle", "action": "block"}, "account", None),
    ({"account": "http://peer.test/users/x", "action": "unblock"}, "", "This account is not blocked."),
    ({"account": "http://peer.test/users/x", "action": "mute"}, "", "Choose one of the options."),
])
async def test_refused_blocks_change_nothing(admin_client: TestClient, data: dict[str, str], where: str,
                                            message: str | None) -> None:
    db = admin_client.app[DB]
    before = await row_counts(db)
    resp = await post_form(admin_client, "/admin/accounts", data, token_from="/admin/moderation")
    assert resp.status == 400
    shown = field_error(await resp.text(), where) if where else form_error(await resp.text())
    assert shown and (message is None or shown == message), shown
    assert await row_counts(db) == before


async def test_blocking_twice_is_refused(admin_client: TestClient, peer: Peer) -> None:
    assert (await block_form(admin_client, peer.actor_iri("alice"))).status == 303
    again = await block_form(admin_client, peer.actor_iri("alice"))
    assert again.status == 400 and field_error(await again.text(), "account") == "This account is already blocked."


def test_block_and_unblock_from_the_command_line(node_config: Config, capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    data = str(node_config.data_dir)
    target = "https://spam.example/users/bot"
    assert main(["block", "--data", data, target, "--reason", "bot"]) == 0
    assert capsys.readouterr().out == f"{target} blocked\n"
    assert main(["block", "--data", data, target]) == 0
    assert capsys.readouterr().out == f"{target} was blocked already\n"
    assert main(["block", "--data", data, f"{node_config.base_url}/users/admin"]) == 1
    assert "an account of this node cannot be blocked" in capsys.readouterr().err
    assert main(["unblock", "--data", data, target]) == 0
    assert capsys.readouterr().out == f"{target} unblocked\n"
    assert main(["unblock", "--data", data, target]) == 0
    assert capsys.readouterr().out == f"{target} was not blocked\n"
