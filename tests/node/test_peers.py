"""The peer directory (node/peers.py, GET /peers): nodes found in follows (not in unsolicited activities),
described by their NodeInfo and network actor, and peers of peers read from `following` collections."""

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import DB, FETCHER, PEERS, URLS
from node.following import follow
from tests.support.node import activity, follow_network, handled
from tests.support.outbox import OutboxPeer, start_outbox_peer
from tests.support.peer import Peer


@pytest.fixture
async def network() -> AsyncIterator[OutboxPeer]:
    remote = await start_outbox_peer("reseau", "alice")
    remote.actor_fields["reseau"] = {
        "type": "Group", "name": "Réseau ESS Drôme", "summary": "<p>Les acteurs de l'ESS de la vallée</p>",
        "attachment": [{"type": "PropertyValue", "name": "Territoire", "value": "Val de Drôme"}]}
    remote.serve_nodeinfo("ESS Drôme (nodeinfo)", ["fr", "oc"], posts=12)
    yield remote
    assert remote.server is not None
    await remote.server.close()


async def peers_json(client: TestClient) -> list[dict]:
    resp = await client.get("/peers", headers={"Accept": "application/json"})
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    return await resp.json()


async def test_followed_peer_and_its_peers_are_listed(client: TestClient, network: OutboxPeer,
                                                       other_peer: Peer) -> None:
    app = client.app
    network.serve_following("reseau", [other_peer.actor_iri("carol"), app[URLS].actor("reseau")])
    group = await get_actor(app[DB], "reseau")
    assert group is not None
    sent = await follow(app[DB], app[URLS], app[FETCHER], follower=group, target=network.actor_iri("reseau"))
    assert await peers_json(client) == []

    assert await app[PEERS].run_once() == 1  # the followed node, found in `follows`, described
    assert await app[PEERS].run_once() == 1  # carol's node, named in its `following`
    assert await app[PEERS].run_once() == 0  # nothing due until the refresh interval
    [first, second] = await peers_json(client)
    assert first == {
        "host": network.host, "url": network.base, "actor": network.actor_iri("reseau"), "name": "Réseau ESS Drôme",
        "summary": "Les acteurs de l'ESS de la vallée", "territory": "Val de Drôme", "languages": ["fr", "oc"],
        "software": "maillage", "users": 2, "posts": 12, "items": 0, "followed": False, "following": False,
        "via": None, "seen": False, "last_activity": None, "refreshed": first["refreshed"],
    }
    # Our own node, also in its `following`, is not a peer; carol's has no NodeInfo and shows its host.
    assert (second["host"], second["name"], second["via"], second["actor"]) == (
        other_peer.host, other_peer.host, network.host, other_peer.actor_iri("carol"))
    assert second["languages"] == [] and second["posts"] is None

    # Once the follow is accepted: shown as followed, and described again at once.
    accept = activity(network, "reseau", "Accept", {"type": "Follow", "id": sent.activity_iri,
                                                     "actor": app[URLS].actor("reseau"),
                                                     "object": network.actor_iri("reseau")})
    assert await handled(client, network, "reseau", accept) == "done"
    assert await app[PEERS].run_once() == 1
    first = (await peers_json(client))[0]
    assert first["followed"] is True and first["seen"] is True and first["last_activity"]


async def test_senders_of_activities_are_no_peers_but_followers_are(client: TestClient, peer: Peer) -> None:
    """alice (a Mastodon-like server without NodeInfo) sends us something: anyone can, so her node is not
    listed (nor asked for its NodeInfo). Once she follows our network, it is, and her activities date it.
    A node an older version listed for what it sent leaves the directory."""
    app = client.app
    like = activity(peer, "alice", "Like", "http://node.test/practices/x")
    assert await handled(client, peer, "alice", like) == "ignored"
    assert await app[PEERS].run_once() == 0
    assert await peers_json(client) == []
    async with app[DB].transaction() as tx:
        await tx.execute("INSERT INTO peers (host, base_url, first_seen_at, next_refresh_at) VALUES (?, ?, '', 0)",
                         ("spam.example", "https://spam.example"))
    await follow_network(client, peer, "alice")
    await app[PEERS].run_once()
    [only] = await peers_json(client)
    assert (only["host"], only["seen"], only["actor"], only["following"]) == (
        peer.host, True, peer.actor_iri("alice"), True)


async def test_peers_page_is_html_for_browsers(client: TestClient, network: OutboxPeer) -> None:
    app = client.app
    group = await get_actor(app[DB], "reseau")
    assert group is not None
    await follow(app[DB], app[URLS], app[FETCHER], follower=group, target=network.actor_iri("reseau"))
    await app[PEERS].run_once()
    resp = await client.get("/peers?lang=fr", headers={"Accept": "text/html"})
    assert resp.status == 200
    html = await resp.text()
    assert "Réseaux pairs" in html and "Réseau ESS Drôme" in html and "Val de Drôme" in html
    as2 = await client.get("/peers", headers={"Accept": "application/activity+json"})
    assert (await as2.json())[0]["host"] == network.host
