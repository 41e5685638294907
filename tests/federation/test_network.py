"""A network of real nodes (`maillage serve` subprocesses on loopback): a node that follows a peer late
still gets the peer's earlier practice, journey and outcome (backfill), in full, then its edits and
deletions; and a node's peer directory lists the peers of its peers."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.federation.harness import Cluster, NodeProcess
from tests.support.examples import examples

pytestmark = pytest.mark.federation


def follow(cluster: Cluster, follower: NodeProcess, followee: NodeProcess) -> None:
    """`maillage follow`, then wait for the Accept."""
    assert follower.cli("follow", followee.handle) == f"{followee.actor_iri()} pending"
    cluster.wait_for(
        lambda: follower.value("SELECT state FROM follows WHERE follower_iri = ? AND followee_iri = ?",
                               (follower.actor_iri(), followee.actor_iri())) == "accepted",
        what=f"{follower.label}'s follow of {followee.label} to be accepted")


def remote_content(node: NodeProcess) -> dict[str, dict[str, Any]]:
    """{kind: row with its French title} of what a node holds from its peers."""
    rows = node.query(
        "SELECT c.iri, c.kind, c.origin, c.attributed_to, c.audience, c.fields, c.deleted_at, t.title"
        " FROM remote_content c LEFT JOIN remote_translations t ON t.content_id = c.id AND t.lang = 'fr'")
    return {r["kind"]: dict(r) for r in rows}


def test_late_follower_gets_earlier_content_then_edits_and_deletions(cluster: Cluster, tmp_path: Path) -> None:
    a, b = cluster.add("a", "b")
    found = examples()
    iris = {}
    for kind in ("journey", "outcome", "practice"):  # an outcome needs its journey first
        path = tmp_path / f"{kind}.md"
        path.write_text(found[(kind, "fr")].text, encoding="utf-8")
        iris[kind] = a.publish(path)

    follow(cluster, b, a)
    held = cluster.wait_for(lambda: rows if len(rows := remote_content(b)) == 3 else None,
                            what="B to backfill A's practice, journey and outcome",
                            show=lambda: b.query("SELECT * FROM backfills"))
    for kind, row in held.items():
        assert (row["iri"], row["origin"], row["attributed_to"], row["audience"]) == (
            iris[kind], a.host, a.actor_iri("admin"), a.actor_iri())
        assert row["title"] == found[(kind, "fr")].meta["title"]
    assert json.loads(held["journey"]["fields"])["timezone"] == found[("journey", "fr")].meta["timezone"]
    assert json.loads(held["outcome"]["fields"])["context"] == iris["journey"]
    backfill = b.query("SELECT state, imported FROM backfills WHERE actor_iri = ?", (a.actor_iri(),))
    assert [tuple(r) for r in backfill] == [("done", 3)]

    practice = found[("practice", "fr")]
    edited = tmp_path / "practice-edited.md"
    edited.write_text(practice.text.replace(f'title: "{practice.meta["title"]}"', 'title: "Nouveau titre"', 1)
                      .replace(f"title: {practice.meta['title']}\n", "title: Nouveau titre\n", 1), encoding="utf-8")
    assert a.publish(edited) == iris["practice"]
    cluster.wait_for(lambda: remote_content(b)["practice"]["title"] == "Nouveau titre",
                     what="A's edit to reach B", show=lambda: remote_content(b)["practice"])

    a.cli("delete", "--as", "admin", "outcome", found[("outcome", "fr")].slug)
    cluster.wait_for(lambda: remote_content(b)["outcome"]["deleted_at"] is not None,
                     what="A's deletion to reach B")
    assert remote_content(b)["outcome"]["title"] is None
    assert remote_content(b)["practice"]["deleted_at"] is None


def test_peer_directory_lists_peers_of_peers(cluster: Cluster) -> None:
    a, b, c = cluster.add("a", "b", "c")
    follow(cluster, b, a)
    follow(cluster, c, b)

    def peers() -> dict[str, dict[str, Any]]:
        return {p["host"]: p for p in c.get_json("/peers")}

    def complete() -> dict[str, dict[str, Any]] | None:
        found = peers()
        return found if found.get(a.host, {}).get("refreshed") and found.get(b.host, {}).get("followed") else None

    listed = cluster.wait_for(complete, what="C's directory to list B, and A as a peer of B", show=peers)
    assert (listed[b.host]["name"], listed[b.host]["via"], listed[b.host]["actor"]) == ("Réseau b", None,
                                                                                         b.actor_iri())
    assert (listed[a.host]["name"], listed[a.host]["via"], listed[a.host]["followed"]) == ("Réseau a", b.host, False)
    assert listed[a.host]["languages"] == ["fr", "en", "es", "pt"]
    assert listed[a.host]["software"] == "maillage"
    assert c.host not in listed
