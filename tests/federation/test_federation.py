"""Several real nodes on loopback, each a `maillage serve` process with its own data folder, federating
over HTTP with real signatures. Nodes are driven through the CLI, as an admin would, and observed
through their databases (read-only) and their HTTP endpoints."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from protocol.sig.cavage import sign_request
from tests.federation.harness import AS2, Cluster, NodeProcess, maillage_command, run_parallel

pytestmark = pytest.mark.federation


def write_practice(folder: Path, slug: str, title: str = "Une monnaie locale complémentaire") -> Path:
    path = folder / f"{slug}.md"
    path.write_text(
        f"---\ntype: practice\nslug: {slug}\nlang: fr\ntitle: {title}\n"
        "summary: Comment un territoire a lancé sa monnaie locale.\nthemes: [social-currency, fair-trade]\n---\n"
        "Le **récit** complet, avec les leçons et ce qui est transférable.\n",
        encoding="utf-8",
    )
    return path


def follow(cluster: Cluster, follower: NodeProcess, followee: NodeProcess) -> None:
    """`maillage follow` from the follower's network to the followee's, then wait for the Accept."""
    assert follower.cli("follow", followee.handle) == f"{followee.actor_iri()} pending"
    cluster.wait_for(
        lambda: follower.value("SELECT state FROM follows WHERE follower_iri = ? AND followee_iri = ?",
                               (follower.actor_iri(), followee.actor_iri())) == "accepted",
        what=f"{follower.label}'s follow of {followee.label} to be accepted",
    )


def followers_of(node: NodeProcess) -> list[str]:
    rows = node.query("SELECT follower_iri FROM follows WHERE followee_iri = ? AND state = 'accepted'",
                      (node.actor_iri(),))
    return [r["follower_iri"] for r in rows]


def published_activities(node: NodeProcess, object_iri: str) -> dict[str, str]:
    """{type: IRI} of the activities a node stored about one of its objects."""
    rows = node.query("SELECT type, iri FROM activities WHERE object_iri = ? ORDER BY id", (object_iri,))
    return {r["type"]: r["iri"] for r in rows}


def inbox_states(node: NodeProcess, activity_iris: list[str]) -> dict[str, str]:
    marks = ",".join("?" * len(activity_iris))
    rows = node.query(f"SELECT activity_iri, state FROM inbox WHERE activity_iri IN ({marks})", activity_iris)
    return {r["activity_iri"]: r["state"] for r in rows}


def deliveries_to(node: NodeProcess, peer: NodeProcess, activity_iris: list[str] | None = None) -> list[dict]:
    sql = ("SELECT a.iri AS activity, a.type, d.inbox, d.state, d.last_status, d.last_error FROM deliveries d"
           " JOIN activities a ON a.id = d.activity_id WHERE d.host = ?")
    params: list[str] = [peer.host]
    if activity_iris is not None:
        sql += f" AND a.iri IN ({','.join('?' * len(activity_iris))})"
        params += activity_iris
    return [dict(r) for r in node.query(sql, params)]


def assert_received(cluster: Cluster, receiver: NodeProcess, sender: NodeProcess, object_iri: str) -> None:
    """The receiver got the author's Create and the Group's Announce, processed both, and stored the object."""
    activities = published_activities(sender, object_iri)
    assert sorted(activities) == ["Announce", "Create"], activities
    iris = list(activities.values())
    cluster.wait_for(
        lambda: inbox_states(receiver, iris) == dict.fromkeys(iris, "done"),
        what=f"{receiver.label} to process the Create and the Announce of {object_iri}",
        show=lambda: [dict(r) for r in receiver.query("SELECT type, state, attempts, error FROM inbox")],
    )
    rows = receiver.query("SELECT type, actor_iri FROM inbox WHERE activity_iri IN (?, ?)", iris)
    assert {(r["type"], r["actor_iri"]) for r in rows} == {
        ("Create", sender.actor_iri("admin")), ("Announce", sender.actor_iri()),
    }
    stored = receiver.query("SELECT type, attributed_to, document FROM remote_objects WHERE iri = ?", (object_iri,))
    assert len(stored) == 1
    assert stored[0]["type"] == "Article"
    assert stored[0]["attributed_to"] == sender.actor_iri("admin")
    assert json.loads(stored[0]["document"])["name"] == "Une monnaie locale complémentaire"


def test_follow_is_accepted_and_publication_is_delivered(cluster: Cluster, tmp_path: Path) -> None:
    a, b = cluster.add("a", "b")

    follow(cluster, b, a)
    assert followers_of(a) == [b.actor_iri()]
    assert a.get_json("/users/reseau/followers")["totalItems"] == 1

    object_iri = a.publish(write_practice(tmp_path, "monnaie-locale"))
    assert object_iri == f"{a.url}/practices/monnaie-locale"
    assert_received(cluster, b, a, object_iri)
    activity_iris = list(published_activities(a, object_iri).values())
    deliveries = cluster.wait_for(
        lambda: (rows := deliveries_to(a, b, activity_iris)) and all(r["state"] != "pending" for r in rows) and rows,
        what="A to record its deliveries to B",
    )
    assert [(r["state"], r["last_status"]) for r in deliveries] == [("delivered", 202)] * 2, deliveries

    # B really checks signatures: unsigned, and signed-then-tampered, requests are refused.
    like_iri = f"{a.url}/activities/signature-check"
    like = {"@context": "https://www.w3.org/ns/activitystreams", "id": like_iri, "type": "Like",
            "actor": a.actor_iri("admin"), "object": object_iri}
    body = json.dumps(like).encode()
    status, error = b.post("/inbox", body, {"Content-Type": AS2})
    assert status == 401, error
    assert "not signed" in error["error"]

    key = a.value("SELECT private_key_pem FROM actors WHERE username = 'admin'")
    headers = sign_request(method="POST", url=f"{b.url}/inbox", headers={"Content-Type": AS2}, body=body,
                           key_id=f"{a.actor_iri('admin')}#main-key", private_key_pem=key, now=datetime.now(UTC))
    tampered = json.dumps({**like, "object": f"{a.url}/practices/something-else"}).encode()
    status, error = b.post("/inbox", tampered, headers)
    assert status == 401, error
    assert "digest" in error["error"], error
    assert inbox_states(b, [like_iri]) == {}
    # The same signature over the body it was made for passes: the refusals above were about the
    # missing signature and the tampering, not about A's key.
    status, _ = b.post("/inbox", body, headers)
    assert status == 202
    assert list(inbox_states(b, [like_iri])) == [like_iri]


def test_unfollow_stops_delivery(cluster: Cluster, tmp_path: Path) -> None:
    a, b = cluster.add("a", "b")
    follow(cluster, b, a)
    first = a.publish(write_practice(tmp_path, "avant"))
    assert_received(cluster, b, a, first)

    assert b.cli("unfollow", a.handle) == f"{a.actor_iri()} unfollowed"
    assert b.query("SELECT * FROM follows") == []
    cluster.wait_for(lambda: followers_of(a) == [] and a.query("SELECT * FROM follows") == [],
                     what="A to forget B's follow after the Undo")
    assert a.get_json("/users/reseau/followers")["totalItems"] == 0
    cluster.wait_for(lambda: all(r["state"] == "done" for r in b.query("SELECT state FROM inbox")),
                     what="B to finish processing its inbox")
    received_before = b.value("SELECT count(*) FROM inbox")
    deliveries_before = a.value("SELECT count(*) FROM deliveries WHERE host = ?", (b.host,))

    second = a.publish(write_practice(tmp_path, "apres"))
    new_activities = list(published_activities(a, second).values())
    assert len(new_activities) == 2
    assert deliveries_to(a, b, new_activities) == []
    assert a.value("SELECT count(*) FROM deliveries WHERE host = ?", (b.host,)) == deliveries_before
    # A's delivery worker polls every second: give it a round or two to (not) send anything.
    cluster.holds_for(lambda: b.value("SELECT count(*) FROM inbox") == received_before, duration=1.5,
                      what="B receiving nothing after unfollowing")
    assert b.query("SELECT * FROM remote_objects WHERE iri = ?", (second,)) == []


def test_deliveries_survive_a_crash(cluster: Cluster, tmp_path: Path) -> None:
    """Deliveries queued while the server is down are sent after it starts; a SIGKILL in the middle of
    sending loses nothing, and what B received twice is stored once (at-least-once, deduplicated)."""
    n = 30
    a, b = cluster.add("a", "b")
    follow(cluster, b, a)
    assert a.stop() == 0, a.log_tail()

    files = [write_practice(tmp_path, f"pratique-{i:02d}", title=f"Pratique {i}") for i in range(n)]
    objects = run_parallel([[*maillage_command(), "publish", "--data", str(a.data), "--as", "admin", str(f)]
                            for f in files], what="publishing while A is down")
    assert objects == [f"{a.url}/practices/pratique-{i:02d}" for i in range(n)]
    rows = a.query("SELECT a.iri FROM activities a WHERE a.type IN ('Create', 'Announce') AND a.object_iri LIKE ?",
                   (f"{a.url}/practices/pratique-%",))
    activity_iris = [r["iri"] for r in rows]
    assert len(activity_iris) == 2 * n
    queued = deliveries_to(a, b, activity_iris)
    assert len(queued) == 2 * n and {r["state"] for r in queued} == {"pending"}

    # Start A and kill it as soon as B has received something. A records a batch's results in one
    # transaction once all its POSTs are answered, so its own table cannot show "some delivered": B's
    # inbox shows that sending has started, and A's table that it had not finished.
    a.start(wait=False)
    received = 0
    deadline = time.monotonic() + 15
    while received == 0 and time.monotonic() < deadline and a.running:
        received = len(inbox_states(b, activity_iris))
        if received == 0:
            time.sleep(0.01)
    a.kill()
    assert received > 0, f"A never delivered before the deadline\n{a.log_tail()}"
    delivered_at_kill = sum(r["state"] == "delivered" for r in deliveries_to(a, b, activity_iris))
    assert delivered_at_kill < 2 * n, "A recorded every delivery before the kill: the test proved nothing"

    a.start()
    cluster.wait_for(
        lambda: all(r["state"] != "pending" for r in deliveries_to(a, b, activity_iris)),
        timeout=20, what="A to finish delivering after the restart",
    )
    final = deliveries_to(a, b, activity_iris)
    assert [r for r in final if r["state"] != "delivered"] == []
    assert a.value("SELECT count(*) FROM deliveries WHERE state = 'failed'") == 0
    marks = ",".join("?" * len(activity_iris))
    counts = b.query(f"SELECT activity_iri, count(*) AS n FROM inbox WHERE activity_iri IN ({marks})"
                     " GROUP BY activity_iri", activity_iris)
    assert {r["activity_iri"]: r["n"] for r in counts} == dict.fromkeys(activity_iris, 1)
    cluster.wait_for(lambda: set(inbox_states(b, activity_iris).values()) == {"done"}, timeout=20,
                     what="B to process every activity")
    stored = {r["iri"] for r in b.query("SELECT iri FROM remote_objects WHERE attributed_to = ?",
                                        (a.actor_iri("admin"),))}
    assert stored == set(objects)


def test_one_publication_fans_out_to_two_servers(cluster: Cluster, tmp_path: Path) -> None:
    a, b, c = cluster.add("a", "b", "c")
    follow(cluster, b, a)
    follow(cluster, c, a)
    assert sorted(followers_of(a)) == sorted([b.actor_iri(), c.actor_iri()])
    assert a.get_json("/users/reseau/followers")["totalItems"] == 2

    object_iri = a.publish(write_practice(tmp_path, "monnaie-locale"))
    activity_iris = list(published_activities(a, object_iri).values())
    for receiver in (b, c):
        assert_received(cluster, receiver, a, object_iri)
        cluster.wait_for(
            lambda r=receiver: [d["state"] for d in deliveries_to(a, r, activity_iris)] == ["delivered"] * 2,
            what=f"A to record both deliveries to {receiver.label}",
        )
    inboxes = {d["inbox"] for r in (b, c) for d in deliveries_to(a, r, activity_iris)}
    assert inboxes == {b.shared_inbox, c.shared_inbox}
