"""Issue 20: counts agree with their number ("1 learning journey", "1 item here"), and the first admin
signs with a name (`maillage init --admin-name`, the network's title by default), not "admin"."""

import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB
from node.cli import main
from tests.node.test_remote_content import peer_object
from tests.support.examples import get_page
from tests.support.journeys import publish_journey
from tests.support.node import activity, follows_peer, handled, publish_practice
from tests.support.peer import Peer


async def test_counts_agree_with_their_number(client: TestClient) -> None:
    await publish_journey(client.app, "voyage")
    await publish_practice(client.app, "une")
    await publish_practice(client.app, "deux")
    home = await get_page(client, "/", **{"Accept-Language": "en"})
    assert "<strong>1</strong> learning journey</a>" in home and "<strong>2</strong> practices</a>" in home
    assert "<strong>0</strong> outcomes</a>" in home
    french = await get_page(client, "/", **{"Accept-Language": "fr"})
    assert "<strong>1</strong> voyage apprenant</a>" in french and "<strong>2</strong> pratiques</a>" in french
    assert "1 learning journeys" not in home.lower()


async def test_a_peer_with_one_item_here(client: TestClient, peer: Peer) -> None:
    await follows_peer(client.app, peer)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", peer_object(peer))) == "done"
    async with client.app[DB].transaction() as tx:  # as the peer directory knows it
        await tx.execute("INSERT OR IGNORE INTO peers (host, base_url, name, first_seen_at) VALUES (?, ?, 'Pair', ?)",
                         (peer.host, peer.base, "2027-01-01"))
    assert "1 item here" in await get_page(client, "/peers", **{"Accept-Language": "en"})
    assert "1 contenu ici" in await get_page(client, "/peers", **{"Accept-Language": "fr"})

@pytest.mark.parametrize(("extra", "name"), [((), "Réseau des territoires"),
                                             (("--admin-name", "Marie Curie"), "Marie Curie")])
def test_init_names_the_first_admin(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...],
                                    name: str) -> None:
    data = tmp_path / "node"
    assert main(["init", "--data", str(data), "--url", "http://127.0.0.1:8080", "--name", "reseau", "--dev",
                 "--title", "Réseau des territoires", *extra]) == 0
    capsys.readouterr()
    with sqlite3.connect(data / "maillage.db") as conn:
        assert conn.execute("SELECT name FROM actors WHERE username = 'admin'").fetchone() == (name,)
