"""Messages on the organizer desk (node/mentions.py): posts from the fediverse that address or mention an
organizer or the network, listed for the actors they name; a private one is never answered in public."""

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB, URLS
from tests.support.desk import ORGANIZER, post_form
from tests.support.node import PUBLIC, activity, follows_peer, handled, publish_practice
from tests.support.peer import Peer


def message(peer: Peer, n: int, text: str, *, to: list[str], mention: str | None = None,
            **fields: Any) -> dict[str, Any]:
    note: dict[str, Any] = {"id": f"{peer.base}/notes/{n}", "type": "Note", "attributedTo": peer.actor_iri("alice"),
                            "content": f"<p>{text}</p>", "to": to, **fields}
    if mention:
        note["tag"] = [{"type": "Mention", "href": mention}]
    return activity(peer, "alice", "Create", note)


@pytest.fixture
async def messages(organizer_client: TestClient, peer: Peer) -> dict[str, dict[str, Any]]:
    """alice, on a server the network does not follow, writes to the organizer, the network and the admin."""
    urls = organizer_client.app[URLS]
    olga, group, admin = urls.actor(ORGANIZER), urls.actor("reseau"), urls.actor("admin")
    sent = {
        "mention": message(peer, 1, "Bonjour Olga, une question sur la monnaie", to=[PUBLIC, olga], mention=olga),
        "network": message(peer, 2, "Quand est le prochain voyage ?", to=[PUBLIC], mention=group,
                           url="javascript:alert(1)"),
        "private": message(peer, 3, "Un mot rien que pour vous", to=[olga], mention=olga),
        "admin": message(peer, 4, "Pour l’admin seulement", to=[admin], mention=admin),
    }
    for doc in sent.values():
        assert await handled(organizer_client, peer, "alice", doc) == "done"
    return sent


async def test_an_organizer_reads_what_is_written_to_them_and_to_the_network(
        organizer_client: TestClient, messages: dict[str, dict[str, Any]]) -> None:
    page = await (await organizer_client.get("/desk/comments")).text()
    section = page[page.index('id="messages"'):]
    for kept in ("Bonjour Olga", "Quand est le prochain voyage", "Un mot rien que pour vous"):
        assert kept in section, kept
    assert "Pour l’admin seulement" not in page  # another organizer's private message
    def card(text: str) -> str:
        return next(c for c in section.split("<article")[1:] if text in c)

    assert "Private message" in card("Un mot rien que pour vous") and "Private message" not in card("Bonjour Olga")
    assert "javascript:" not in page and f'href="{messages["network"]["object"]["id"]}"' in card("prochain voyage")
    assert f'value="{messages["private"]["object"]["id"]}"' not in page  # no reply form under it
    assert f'value="{messages["mention"]["object"]["id"]}"' in page


async def test_a_private_message_is_not_answered_in_public_a_public_one_is(
        organizer_client: TestClient, messages: dict[str, dict[str, Any]]) -> None:
    db = organizer_client.app[DB]
    refused = await post_form(organizer_client, "/desk/comments/reply",
                              {"target": messages["private"]["object"]["id"], "text": "Merci", "lang": "fr"},
                              token_from="/desk/comments")
    assert refused.status == 400 and "A private message is not answered in public." in await refused.text()
    assert await db.fetch_value("SELECT count(*) FROM activities WHERE type = 'Create'") == 0
    answered = await post_form(organizer_client, "/desk/comments/reply",
                               {"target": messages["mention"]["object"]["id"], "text": "Avec plaisir", "lang": "fr"},
                               token_from="/desk/comments")
    assert answered.status == 303, await answered.text()
    assert await db.fetch_value("SELECT count(*) FROM activities WHERE type = 'Create'") == 1


async def test_a_followed_servers_message_is_recorded_too(client: TestClient, peer: Peer) -> None:
    """The inbox keeps a followed server's plain posts as they come; one that names us goes through the
    worker, which records it as a message."""
    await follows_peer(client.app, peer)
    group = client.app[URLS].actor("reseau")
    plain = message(peer, 1, "Nouvelles du réseau voisin", to=[PUBLIC])
    named = message(peer, 2, "Salut le réseau", to=[PUBLIC], mention=group)
    for doc in (plain, named):
        assert await handled(client, peer, "alice", doc) == "done"
    rows = await client.app[DB].fetch_all("SELECT object_iri, private FROM mentions")
    assert [(r["object_iri"], r["private"]) for r in rows] == [(named["object"]["id"], 0)]


@pytest.mark.parametrize("to", ["olga", "followers", "olga-on-the-activity"])
async def test_a_reply_not_for_everyone_is_no_public_comment(organizer_client: TestClient, peer: Peer,
                                                             to: str) -> None:
    """A direct reply (addressed on the object, or on its Create only), or one for the author's followers
    only, to one of our items: shown on no page and never announced by the Group; a direct one that names
    the organizer is a private message to them."""
    client = organizer_client
    await publish_practice(client.app)
    urls = client.app[URLS]
    olga = urls.actor(ORGANIZER)
    reply = message(peer, 1, "Entre nous", to=[olga] if to == "olga" else [f"{peer.actor_iri('alice')}/followers"],
                    mention=olga)
    reply["object"]["inReplyTo"] = urls.object("practice", "monnaie-locale")
    if to == "olga-on-the-activity":  # some servers address only the Create
        reply["to"] = reply["object"].pop("to")
    db = client.app[DB]
    announces = await db.fetch_value("SELECT count(*) FROM activities WHERE type = 'Announce'")  # the practice's
    assert await handled(client, peer, "alice", reply) == "done"
    assert await db.fetch_value("SELECT count(*) FROM comments") == 0
    assert await db.fetch_value("SELECT count(*) FROM activities WHERE type = 'Announce'") == announces
    page = await (await client.get("/practices/monnaie-locale", headers={"Accept": "text/html"})).text()
    assert "Entre nous" not in page
    assert await db.fetch_value("SELECT private FROM mentions") == 1


async def test_messages_and_comments_page_back_to_the_oldest(organizer_client: TestClient, peer: Peer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Five messages and five comments at two a page: each list pages on its own, newest first, every one
    shown once, and the last page links no further. A cursor that is not one is a 400."""
    from node.web import desk_more
    monkeypatch.setattr(desk_more, "PAGE_SIZE", 2)
    client = organizer_client
    urls = client.app[URLS]
    olga = urls.actor(ORGANIZER)
    item = (await publish_practice(client.app, author=ORGANIZER)).iri
    for n in range(1, 6):
        assert await handled(client, peer, "alice", message(peer, n, f"Message {n}", to=[PUBLIC, olga],
                                                            mention=olga)) == "done"
        assert await handled(client, peer, "alice", message(peer, 100 + n, f"Commentaire {n}", to=[PUBLIC],
                                                            inReplyTo=item)) == "done"

    for kind, word in (("messages", "Message"), ("comments", "Commentaire")):
        seen, path = [], "/desk/comments"
        for _ in range(5):  # a link that never ends fails here, not by hanging
            page = await (await client.get(path)).text()
            section = page[page.index('id="messages"'):] if kind == "messages" else page[:page.index('id="messages"')]
            seen.append([int(n) for n in re.findall(rf"{word} (\d)", section)])
            more = re.search(rf'<p class="more"><a href="(/desk/comments\?{kind}_before=\d+[^"]*)"', page)
            if more is None:
                break
            path = more.group(1).replace("&amp;", "&")
        assert seen == [[5, 4], [3, 2], [1]], (kind, seen)
    assert "No older message." not in page
    for bad in ("x", "-1", "0", "١٢", "99999999999999999999"):
        resp = await client.get(f"/desk/comments?messages_before={bad}")
        assert resp.status == 400, bad
        assert "messages_before must be a positive integer" in await resp.text()


async def test_the_desk_menu_counts_what_came_since_the_comments_page_was_opened(
        organizer_client: TestClient, peer: Peer) -> None:
    client = organizer_client
    urls = client.app[URLS]
    olga, admin = urls.actor(ORGANIZER), urls.actor("admin")

    async def badge() -> str | None:
        found = re.search(r'<span class="badge">([^<]*)</span>', await (await client.get("/desk")).text())
        return found.group(1) if found else None

    mine = (await publish_practice(client.app, author=ORGANIZER)).iri
    theirs = (await publish_practice(client.app, "autre-pratique", author="admin")).iri
    assert await badge() is None
    sent = [message(peer, 1, "Bonjour Olga", to=[PUBLIC, olga], mention=olga),
            message(peer, 2, "Sur ta pratique", to=[PUBLIC], inReplyTo=mine),
            message(peer, 3, "Sur celle de l'admin", to=[PUBLIC], inReplyTo=theirs),  # not hers
            message(peer, 4, "Pour l'admin seulement", to=[admin], mention=admin)]  # not hers either
    for doc in sent:
        assert await handled(client, peer, "alice", doc) == "done"
    assert await badge() == "2 new"
    assert (await client.get("/desk/comments?messages_before=999999")).status == 200  # a later page marks nothing
    assert await badge() == "2 new"
    await client.get("/desk/comments")
    assert await badge() is None
    assert await handled(client, peer, "alice", message(peer, 5, "Encore", to=[PUBLIC, olga], mention=olga)) == "done"
    assert await badge() == "1 new"


async def test_a_new_organizer_starts_with_nothing_new(client: TestClient, peer: Peer) -> None:
    from tests.support.desk import ORGANIZER_PASSWORD, add_organizer, login
    group = client.app[URLS].actor("reseau")
    assert await handled(client, peer, "alice", message(peer, 1, "Au réseau", to=[PUBLIC], mention=group)) == "done"
    await add_organizer(client)
    await login(client, ORGANIZER, ORGANIZER_PASSWORD)
    assert '<span class="badge">' not in await (await client.get("/desk")).text()
