"""Crash safety: `kill -9` of a real `maillage serve` process (tests/federation/harness.py) in the middle of
a fan-out to many inboxes, and in the middle of processing a flooded inbox. After a restart, every
delivery arrives and every received activity is processed, each exactly once as the receiver sees it
(receivers dedupe on activity ids; a second Accept of one Follow would carry a new id and count twice).
The remote side is a loopback server in this process with one inbox per actor (tests/support/sink.py)."""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB, INBOX_WORKER
from node.inbox_worker import on_follow
from protocol.activities import parse_activity
from protocol.jsonld import compact
from tests.federation.harness import Cluster, NodeProcess, wait_for
from tests.support.node import AS_CONTEXT, activity, post_signed
from tests.support.peer import Peer
from tests.support.sink import Sink

GROUP_PATH = "/users/reseau"


def follows_from(sink: Sink, node: NodeProcess, names: list[str], threads: int = 8) -> list[str]:
    """Each sink actor follows the node's Group, POSTed concurrently; returns the Follow ids."""
    docs = [{"@context": AS_CONTEXT, "id": f"{sink.actor_iri(n)}/follows/1", "type": "Follow",
             "actor": sink.actor_iri(n), "object": node.actor_iri()} for n in names]
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda pair: sink.post(pair[0], node.shared_inbox, pair[1]), zip(names, docs,
                                                                                                  strict=True)))
    assert [status for status, _ in results] == [202] * len(names), results[:3]
    return [d["id"] for d in docs]


def write_practice(folder: Path, slug: str) -> Path:
    path = folder / f"{slug}.md"
    path.write_text(f"---\ntype: practice\nslug: {slug}\nlang: fr\ntitle: Pratique {slug}\n"
                    "summary: Un résumé.\nthemes: [social-currency]\n---\nLe récit.\n", encoding="utf-8")
    return path


@pytest.mark.federation
def test_kill_during_a_fan_out_to_many_inboxes_loses_and_doubles_nothing(cluster: Cluster, tmp_path: Path) -> None:
    names = [f"f{i:02d}" for i in range(40)]
    with Sink(names, inbox_delay=0.1) as sink:
        [a] = cluster.add("a")
        follows_from(sink, a, names)
        cluster.wait_for(lambda: len(sink.unique("Accept")) == len(names), timeout=20,
                         what="every follower to receive its Accept")
        assert a.stop() == 0, a.log_tail()

        a.publish(write_practice(tmp_path, "pratique"))
        rows = a.query("SELECT iri FROM activities WHERE type IN ('Create', 'Announce')")
        activities = {r["iri"] for r in rows}
        assert len(activities) == 2
        expected = {(f"/users/{n}/inbox", iri) for n in names for iri in activities}
        assert a.value("SELECT count(*) FROM deliveries WHERE state = 'pending'") == len(expected)

        # Start A and kill it once some, not all, of the 80 POSTs (16 at a time, 0.1 s each) have arrived.
        a.start(wait=False)
        wait_for(lambda: len(sink.unique() & expected) >= 30, timeout=20, what="the fan-out to start", nodes=[a],
                 interval=0.01)
        a.kill()
        at_kill = sink.unique() & expected
        assert len(at_kill) < len(expected), "A finished the fan-out before the kill: the test proved nothing"
        recorded = a.value("SELECT count(*) FROM deliveries WHERE state = 'delivered' AND activity_id IN"
                           " (SELECT id FROM activities WHERE type IN ('Create', 'Announce'))")
        assert recorded < len(expected)

        a.start()
        cluster.wait_for(lambda: a.value("SELECT count(*) FROM deliveries WHERE state != 'delivered'") == 0,
                         timeout=30, what="A to deliver everything after the restart")
        assert sink.unique() & expected == expected
        assert {doc["id"] for _, doc in sink.received() if doc["type"] in ("Create", "Announce")} == activities
        # Re-sent after the crash, so received twice, but the same activity each time: a receiver keeps one.
        by_key: dict[tuple[str, str], list[str]] = {}
        for path, doc in sink.received():
            by_key.setdefault((path, doc["id"]), []).append(doc["type"])
        assert all(len(set(kinds)) == 1 for kinds in by_key.values())
        print(f"fan-out: {len(at_kill)} of {len(expected)} received at the kill, {recorded} recorded as delivered,"
              f" {sink.duplicates()} received twice")


@pytest.mark.federation
def test_kill_while_the_inbox_worker_processes_a_flood(cluster: Cluster) -> None:
    names = [f"p{i:03d}" for i in range(150)]
    with Sink(names) as sink:
        [a] = cluster.add("a")
        start = time.monotonic()
        first_wave = follows_from(sink, a, names[:75], threads=12)
        states = Counter(r["state"] for r in a.query("SELECT state FROM inbox"))
        a.kill()  # whatever it was doing: processing, sending Accepts, or both
        at_kill = Counter(r["state"] for r in a.query("SELECT state FROM inbox"))
        a.start()
        second_wave = follows_from(sink, a, names[75:], threads=12)
        follow_ids = first_wave + second_wave
        cluster.wait_for(
            lambda: a.value("SELECT count(*) FROM inbox WHERE state = 'done'") == len(names)
            and a.value("SELECT count(*) FROM deliveries WHERE state != 'delivered'") == 0,
            timeout=30, what="A to process every Follow and deliver every Accept",
            show=lambda: [dict(r) for r in a.query("SELECT state, count(*) FROM inbox GROUP BY state")])
        assert time.monotonic() - start < 40

        followers = [r["follower_iri"] for r in a.query("SELECT follower_iri FROM follows WHERE followee_iri = ?"
                                                        " AND state = 'accepted'", (a.actor_iri(),))]
        assert sorted(followers) == sorted(sink.actor_iri(n) for n in names)
        accepts: dict[str, set[str]] = {}
        for _, doc in sink.received():
            if doc["type"] == "Accept":
                accepts.setdefault(doc["object"]["id"], set()).add(doc["id"])
        assert {follow: len(ids) for follow, ids in accepts.items()} == dict.fromkeys(follow_ids, 1)
        per_follow = a.query("SELECT object_iri, count(*) AS n FROM activities WHERE type = 'Accept'"
                             " GROUP BY object_iri")
        assert {r["object_iri"]: r["n"] for r in per_follow} == dict.fromkeys(follow_ids, 1)
        print(f"inbox states before the kill {dict(states)}, at the kill {dict(at_kill)}")


async def test_a_follow_processed_again_after_a_crash_is_accepted_once(client: TestClient, peer: Peer) -> None:
    """The window the subprocess test can only hit by chance: the handler's transaction committed (the
    follow row, the Accept and its delivery), then the process died before the inbox row was marked
    done. After the restart the worker processes the row again; the Accept must not be sent twice."""
    follow = activity(peer, "alice", "Follow", f"http://node.test{GROUP_PATH}")
    assert (await post_signed(client, peer, "alice", "/inbox", follow)).status == 202
    worker = client.app[INBOX_WORKER]
    assert await on_follow(worker.ctx, parse_activity(compact(follow)), {}) == "done"  # then: kill -9
    assert await worker.run_once() == 1  # the restarted worker finds the row still `new`
    db = client.app[DB]
    assert await db.fetch_value("SELECT count(*) FROM activities WHERE type = 'Accept'") == 1
    assert await db.fetch_value("SELECT count(*) FROM deliveries") == 1
    assert await db.fetch_value("SELECT state FROM inbox WHERE activity_iri = ?", (follow["id"],)) == "done"
