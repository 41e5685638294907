"""A peer's items on pages of this node (`/remote/{id}`, node/web/remote_items.py): every section and
language its origin sent, the discussion kept here, the way back to its origin; lists and search link
there; ActivityPub clients are sent to the origin, whose object it is."""

import re

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB
from tests.node.test_remote_content import peer_object
from tests.support.node import activity, follows_peer, handled
from tests.support.peer import AS2, Peer


@pytest.fixture(autouse=True)
async def peer_is_followed(client: TestClient, peer: Peer) -> None:
    await follows_peer(client.app, peer)


async def received(client: TestClient, peer: Peer, kind: str, **extra: object) -> tuple[dict[str, object], str]:
    """A peer's item received through the inbox; returns it and the path of its page here."""
    obj = peer_object(peer, kind, slug=f"{kind}-1", **extra)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", obj)) == "done"
    content_id = await client.app[DB].fetch_value("SELECT id FROM remote_content WHERE iri = ?", (obj["id"],))
    return obj, f"/remote/{content_id}"


async def page(client: TestClient, path: str, lang: str = "en", status: int = 200) -> str:
    resp = await client.get(path, headers={"Accept": "text/html", "Accept-Language": lang})
    assert resp.status == status, path
    return await resp.text()


async def test_a_peers_practice_has_a_page_here_in_every_language_it_was_written_in(
        client: TestClient, peer: Peer) -> None:
    obj, path = await received(client, peer, "practice")
    html = await page(client, path, "en")
    assert "<h1>The Luciole</h1>" in html and "<p>The story.</p>" in html
    assert f"From {peer.host}, kept here as its node published it." in html
    assert f'<a href="{obj["url"]}" rel="noopener">Read it on its node</a>' in html
    for section in ("territory", "stakeholders", "resources", "results", "lessons", "themes"):
        assert f'id="{section}"' in html, section
    assert '<a href="http://node.test/tags/social-currency">#social-currency</a>' in html  # our tag page
    assert f'<link rel="alternate" type="application/activity+json" href="{obj["id"]}">' in html
    french = await page(client, f"{path}?lang=fr", "en")
    assert "<h1>La Luciole</h1>" in french and "<p>Le récit.</p>" in french
    assert f'href="http://node.test{path}?lang=fr"' in html  # the languages on offer, on this page
    assert "To comment, reply to the original page" in html  # replies go to the origin, which relays them


async def test_a_peers_journey_says_how_to_join_at_its_origin_and_lists_its_outcomes(
        client: TestClient, peer: Peer) -> None:
    journey, path = await received(client, peer, "journey")
    outcome, outcome_path = await received(client, peer, "outcome", context=journey["id"])
    html = await page(client, path, "fr")
    assert 'id="when"' in html and 'id="programme"' in html and "Halle de Crest" in html
    assert "Les inscriptions se font sur le nœud des organisateurs" in html
    assert f'<a href="{journey["url"]}" rel="noopener">s’inscrire sur sa page</a>' in html
    assert f'<a href="{path}.ics" type="text/calendar">Ajouter à mon agenda (.ics)</a>' in html  # its own .ics here
    assert re.search(rf'<a href="{outcome_path}">[^<]+</a>', html)
    report = await page(client, outcome_path, "fr")
    assert f'<a href="{path}">' in report  # the journey it reports on, on its page here


async def test_the_discussion_kept_here_is_on_the_page(client: TestClient, peer: Peer) -> None:
    obj, path = await received(client, peer, "practice")
    reply = {"id": f"{peer.base}/notes/1", "type": "Note", "attributedTo": peer.actor_iri("alice"),
             "inReplyTo": obj["id"], "content": "<p>Merci pour ce retour</p>",
             "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", reply)) == "done"
    assert "Merci pour ce retour" in await page(client, path)


async def test_lists_and_search_link_to_the_page_here(client: TestClient, peer: Peer) -> None:
    _, path = await received(client, peer, "practice")
    assert f'<a href="{path}">The Luciole</a>' in await page(client, "/practices", "en")
    assert f'<a href="{path}">' in await page(client, "/search?q=luciole", "en")


async def test_activitypub_clients_are_sent_to_the_origin(client: TestClient, peer: Peer) -> None:
    obj, path = await received(client, peer, "practice")
    resp = await client.get(path, headers={"Accept": AS2}, allow_redirects=False)
    assert (resp.status, resp.headers["Location"]) == (302, obj["id"])


async def test_a_deleted_item_is_gone_and_an_unknown_one_not_found(client: TestClient, peer: Peer) -> None:
    obj, path = await received(client, peer, "practice")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Delete", obj["id"])) == "done"
    assert "This page was deleted" in await page(client, path, status=410)
    await page(client, "/remote/999999", status=404)
    await page(client, "/remote/x", status=404)


async def test_a_peers_journey_without_a_report_here_says_so_as_it_is(client: TestClient, peer: Peer) -> None:
    """Its node may have published an outcome this node never received: the page does not claim none exists."""
    _, path = await received(client, peer, "journey")
    html = await page(client, path, "en")
    assert "No outcome of it has reached this node yet." in html and "No outcome reported yet." not in html
