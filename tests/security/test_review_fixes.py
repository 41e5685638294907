"""Review of issue 16's work: what a failed activity keeps, when a host's followers expire, slow hosts
that accept, and how often the delivery pass writes. Each test replays the reviewer's case."""

import json

from aiohttp.test_utils import TestClient

from node.appkeys import DB
from tests.support.node import activity, post_signed, process
from tests.support.peer import Peer


async def test_a_failed_activity_keeps_its_id_a_digest_and_the_error_not_its_body(
        client: TestClient, other_peer: Peer) -> None:
    """An Announce (padded to 900 kB) of an object whose server answers 503: retried, then `failed`.
    Before: its whole body kept for `log_retention_days`, as much as anyone may send."""
    db = client.app[DB]
    other_peer.statuses["/notes/unreachable"] = 503
    announce = activity(other_peer, "carol", "Announce", f"{other_peer.base}/notes/unreachable",
                        summary="x" * 900_000)
    assert (await post_signed(client, other_peer, "carol", "/inbox", announce)).status == 202
    for _ in range(5):
        async with db.transaction() as tx:
            await tx.execute("UPDATE inbox SET next_attempt_at = 0")
        await process(client.app)
    row = await db.fetch_one("SELECT state, attempts, error, document FROM inbox")
    assert (row["state"], row["attempts"]) == ("failed", 5)
    assert "503" in row["error"]
    assert len(row["document"]) < 200
    kept = json.loads(row["document"])
    assert kept["id"] == announce["id"] and kept["digest"].startswith("sha-256=")
    again = await post_signed(client, other_peer, "carol", "/inbox", announce)  # still a duplicate
    assert again.status == 202
    await process(client.app)
    assert await db.fetch_value("SELECT COUNT(*) FROM inbox") == 1
