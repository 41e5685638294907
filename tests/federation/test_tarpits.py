"""Fair delivery with real processes: a `maillage serve` node whose followers are one honest node and 64
fake followers whose inboxes accept TCP and never answer (tests/support/tarpit.py, each on its own
loopback address, so 64 distinct hosts). What the node publishes reaches the honest follower within
seconds, whatever the tarpits hold (issue 16: it took 82 s, the batch of 200 waiting for its slowest
POSTs behind one global semaphore)."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.federation.harness import Cluster, NodeProcess
from tests.support.tarpit import Tarpits

pytestmark = pytest.mark.federation

TARPITS = 64
HONEST_WITHIN = 5.0  # seconds from `maillage publish` returning to the honest follower holding both activities


def write_practice(folder: Path) -> Path:
    path = folder / "monnaie-locale.md"
    path.write_text("---\ntype: practice\nslug: monnaie-locale\nlang: fr\ntitle: Une monnaie locale\n"
                    "summary: Comment un territoire a lancé sa monnaie.\nthemes: [social-currency]\n---\n"
                    "Le récit.\n", encoding="utf-8")
    return path


def followers(node: NodeProcess) -> int:
    return int(node.value("SELECT count(*) FROM follows WHERE followee_iri = ? AND state = 'accepted'",
                          (node.actor_iri(),)))


def test_an_honest_follower_is_served_within_seconds_despite_64_tarpit_followers(
        cluster: Cluster, tmp_path: Path) -> None:
    a, b = cluster.add("a", "b")
    assert b.cli("follow", a.handle) == f"{a.actor_iri()} pending"
    cluster.wait_for(lambda: followers(a) == 1, what="A to accept B's follow")
    cluster.wait_for(lambda: b.value("SELECT state FROM follows WHERE followee_iri = ?", (a.actor_iri(),))
                     == "accepted", what="B to receive A's Accept")

    with Tarpits(TARPITS, first=100) as pits:
        # The tarpits' inboxes (127.0.0.100 to 163) sort before B's (127.0.0.1:…): their rows are queued first.
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda n: pits.follow(n, a.shared_inbox, a.actor_iri(), datetime.now(UTC)),
                                     range(TARPITS)))
        assert statuses == [202] * TARPITS
        cluster.wait_for(lambda: followers(a) == 1 + TARPITS, timeout=30, what="A to accept the 64 follows")

        object_iri = a.publish(write_practice(tmp_path))
        published = time.monotonic()
        sent = {r["iri"]: r["type"] for r in a.query("SELECT iri, type FROM activities WHERE object_iri = ?",
                                                        (object_iri,))}
        assert sorted(sent.values()) == ["Announce", "Create"]
        took: dict[str, float] = {}

        def received() -> bool:
            rows = b.query(f"SELECT activity_iri FROM inbox WHERE activity_iri IN ({','.join('?' * len(sent))})",
                           list(sent))
            for r in rows:
                took.setdefault(sent[r["activity_iri"]], time.monotonic() - published)
            return len(took) == len(sent)

        cluster.wait_for(received, timeout=150, what="B to receive the Create and the Announce")
        print(f"the honest follower received the Create {took['Create']:.1f}s and the Announce"
              f" {took['Announce']:.1f}s after publish; the tarpits held {sum(pits.held.values())} POSTs")
        assert max(took.values()) <= HONEST_WITHIN, f"the honest follower waited behind {TARPITS} tarpits: {took}"
