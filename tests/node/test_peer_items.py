"""Issue 20, peers' items in lists and pages: the author's summary without the teaser a Maillage peer
writes for Mastodon (date, place, hashtags, in the source language), the origin by its network's name,
and a peer's journeys in this node's calendar (`journeys.ics`) and each one's own `.ics`."""

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from icalendar import Calendar

from node.appkeys import DB
from node.teasers import journey_teaser, practice_teaser
from protocol.objects import Translation
from tests.node.test_remote_content import peer_object
from tests.support.examples import get_page
from tests.support.journeys import publish_journey
from tests.support.node import activity, follows_peer, handled
from tests.support.peer import Peer


@pytest.fixture(autouse=True)
async def peer_is_followed(client: TestClient, peer: Peer) -> None:
    await follows_peer(client.app, peer)


async def received(client: TestClient, peer: Peer, kind: str, summary: str) -> tuple[dict[str, Any], int]:
    """A peer's item as a Maillage peer sends it: its summary is the teaser Mastodon shows."""
    fields = {k: v for k, v in peer_object(peer, kind).items()}
    teaser = practice_teaser(summary, fields, ["social-currency"]) if kind == "practice" \
        else journey_teaser(summary, fields, "fr")
    obj = peer_object(peer, kind, slug=f"{kind}-1",
                      translations=(Translation("fr", f"La {kind}", teaser, "<p>Le récit.</p>"),))
    assert teaser != summary and obj["summary"] == teaser
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", obj)) == "done"
    content_id = await client.app[DB].fetch_value("SELECT id FROM remote_content WHERE iri = ?", (obj["id"],))
    return obj, int(content_id)


async def test_cards_and_pages_show_the_authors_summary_not_the_teaser(client: TestClient, peer: Peer) -> None:
    _, practice = await received(client, peer, "practice", "Une monnaie locale.")
    _, journey = await received(client, peer, "journey", "Deux jours chez les coopératives.")
    for path, summary in (("/practices", "Une monnaie locale."), (f"/remote/{practice}", "Une monnaie locale."),
                          ("/journeys", "Deux jours chez les coopératives."),
                          (f"/remote/{journey}", "Deux jours chez les coopératives.")):
        html = await get_page(client, path, **{"Accept-Language": "en"})
        assert re.search(f'<p class="summary"( lang="fr")?>{summary}</p>', html), path
        assert "#SocialCurrency" not in html and "(Europe/Paris) · " not in html, path


async def test_the_origin_is_named_as_the_peer_directory_names_it(client: TestClient, peer: Peer) -> None:
    _, practice = await received(client, peer, "practice", "Une monnaie locale.")
    assert f"from {peer.host}" in await get_page(client, "/practices", **{"Accept-Language": "en"})
    async with client.app[DB].transaction() as tx:
        await tx.execute("INSERT INTO peers (host, base_url, name, first_seen_at) VALUES (?, ?, 'Réseau du Val', ?)"
                         " ON CONFLICT (host) DO UPDATE SET name = excluded.name", (peer.host, peer.base, "2027-01-01"))
    html = await get_page(client, "/practices", **{"Accept-Language": "en"})
    assert "from Réseau du Val" in html and f"from {peer.host}" not in html
    page = await get_page(client, f"/remote/{practice}", **{"Accept-Language": "en"})
    assert "From Réseau du Val, kept here as its node published it." in page


async def test_a_peers_journeys_are_in_the_calendar_and_have_their_own_ics(client: TestClient, peer: Peer) -> None:
    ours = await publish_journey(client.app, "voyage")
    theirs, journey = await received(client, peer, "journey", "Deux jours.")
    resp = await client.get("/journeys.ics")
    assert resp.status == 200
    uids = {str(e["uid"]) for e in Calendar.from_ical(await resp.read()).walk("VEVENT")}
    assert uids == {ours, theirs["id"]}  # as /journeys lists them
    listed = await get_page(client, "/journeys")
    assert f'href="/remote/{journey}"' in listed
    assert f'<a href="/remote/{journey}.ics" type="text/calendar" class="ics">' in listed
    page = await get_page(client, f"/remote/{journey}", **{"Accept-Language": "en"})
    assert f'<a href="/remote/{journey}.ics" type="text/calendar">Add to my calendar (.ics)</a>' in page
    one = await client.get(f"/remote/{journey}.ics")
    assert one.status == 200 and one.content_type == "text/calendar"
    [event] = Calendar.from_ical(await one.read()).walk("VEVENT")
    assert str(event["uid"]) == theirs["id"] and str(event["summary"]) == "La journey"
    _, practice = await received(client, peer, "practice", "Une monnaie.")
    assert (await client.get(f"/remote/{practice}.ics")).status == 404  # journeys only
