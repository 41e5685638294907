"""Comments, re-shares and search across three real nodes (`maillage serve` subprocesses on loopback):
B follows A, C follows B. A comment that C's organizer writes on A's practice shows on A, and on B,
which holds the practice (A's network relays approved comments to its followers); B's re-share of A's
practice reaches C and is counted on A; B finds A's practice by searching in either of its languages;
A removes the comment, and B drops it."""

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.federation.harness import Cluster, NodeProcess, WebSession

pytestmark = pytest.mark.federation

SLUG = "groupement-achat-solidaire"


def follow(cluster: Cluster, follower: NodeProcess, followee: NodeProcess) -> None:
    assert follower.cli("follow", followee.handle) == f"{followee.actor_iri()} pending"
    cluster.wait_for(
        lambda: follower.value("SELECT state FROM follows WHERE follower_iri = ? AND followee_iri = ?",
                               (follower.actor_iri(), followee.actor_iri())) == "accepted",
        what=f"{follower.label}'s follow of {followee.label} to be accepted")


def practice(folder: Path, lang: str, title: str, body: str) -> Path:
    path = folder / f"{SLUG}.{lang}.md"
    path.write_text(f"---\ntype: practice\nslug: {SLUG}\nlang: {lang}\ntitle: {title}\nsummary: {body}\n"
                    f"themes: [short-supply-chains]\n---\n{body}\n", encoding="utf-8")
    return path


def search(node: NodeProcess, q: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(f"{node.url}/search?{urllib.parse.urlencode({'q': q})}",
                                     headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        return list(json.loads(resp.read())["results"])


def comment_state(node: NodeProcess, iri: str) -> tuple[str, str] | None:
    rows = node.query("SELECT root_iri, state FROM comments WHERE iri = ?", (iri,))
    return (rows[0]["root_iri"], rows[0]["state"]) if rows else None


def test_comments_reshares_and_search_across_the_network(cluster: Cluster, tmp_path: Path) -> None:
    a, b, c = cluster.add("a", "b", "c")
    follow(cluster, b, a)
    follow(cluster, c, b)
    iri = a.publish(practice(tmp_path, "fr", "Un groupement d'achat solidaire",
                             "Des familles achètent ensemble aux producteurs de la vallée."))
    assert a.publish(practice(tmp_path, "en", "A solidarity purchasing group",
                              "Families buy together from the valley's farmers.")) == iri
    cluster.wait_for(lambda: b.value("SELECT count(*) FROM remote_translations t JOIN remote_content r"
                                     " ON r.id = t.content_id WHERE r.iri = ?", (iri,)) == 2,
                     what="B to hold A's practice in both languages")

    # Search on B finds A's practice in either language (accents optional), as A's.
    by_french = search(b, "familles acheteNT producteurs")
    assert [(r["iri"], r["language"], r["node"], r["local"]) for r in by_french] == [(iri, "fr", a.host, False)]
    by_english = search(b, "purchasing group")
    assert [(r["iri"], r["language"], r["title"]) for r in by_english] == [
        (iri, "en", "A solidarity purchasing group")]
    assert search(b, "vallee")[0]["iri"] == iri

    # C's organizer comments on A's practice: shown on A, relayed to B, which holds the practice.
    note = c.cli("reply", "--as", "admin", iri, "--text", "Bravo, nous faisons pareil à Lyon !")
    assert note.startswith(f"{c.url}/notes/")
    cluster.wait_for(lambda: comment_state(a, note) == (iri, "approved"), what="A to show C's comment",
                     show=lambda: a.query("SELECT type, state, error FROM inbox"))
    assert a.get_json(f"/practices/{SLUG}/replies")["totalItems"] == 1
    with urllib.request.urlopen(f"{a.url}/practices/{SLUG}", timeout=5) as resp:
        assert "nous faisons pareil à Lyon" in resp.read().decode()
    cluster.wait_for(lambda: comment_state(b, note) == (iri, "approved"), what="B to show C's comment",
                     show=lambda: b.query("SELECT type, actor_iri, state, error FROM inbox"))
    assert b.value("SELECT in_reply_to FROM remote_objects WHERE iri = ?", (note,)) == iri

    # B's organizer re-shares A's practice: it reaches C (B's follower), and A counts it.
    assert b.cli("share", "--as", "admin", iri) == f"{iri} shared"
    cluster.wait_for(lambda: c.value("SELECT origin FROM remote_content WHERE iri = ?", (iri,)) == a.host,
                     what="B's re-share to bring A's practice to C",
                     show=lambda: c.query("SELECT type, actor_iri, state, error FROM inbox"))
    assert c.value("SELECT state FROM inbox WHERE type = 'Announce' AND actor_iri = ?", (b.actor_iri(),)) == "done"
    cluster.wait_for(lambda: a.get_json(f"/practices/{SLUG}")["shares"]["totalItems"] == 1,
                     what="A to count B's re-share")
    assert search(c, "solidarity purchasing")[0]["node"] == a.host

    # A's organizer removes the comment: it leaves A, and B drops it on A's Undo of the relay.
    assert a.cli("comments", "--remove", note) == f"{note} removed"
    assert comment_state(a, note) == (iri, "rejected")
    cluster.wait_for(lambda: comment_state(b, note) == (iri, "rejected"), what="B to drop the comment A removed",
                     show=lambda: b.query("SELECT type, actor_iri, state, error FROM inbox"))


def test_an_organizers_new_profile_reaches_the_servers_that_follow_them(cluster: Cluster) -> None:
    """B's network follows A's organizer by handle; she edits her profile from A's web pages; B's copy of
    her actor shows the new name and bio, through the Update A sends."""
    a, b = cluster.add("a", "b")
    organizer = a.actor_iri("admin")
    assert b.cli("follow", f"@admin@{a.host}") == f"{organizer} pending"
    cluster.wait_for(lambda: b.value("SELECT state FROM follows WHERE followee_iri = ?", (organizer,)) == "accepted",
                     what="A's organizer to accept B's follow")
    assert b.value("SELECT name FROM remote_actors WHERE iri = ?", (organizer,)) == a.value(
        "SELECT name FROM actors WHERE username = 'admin'")  # the name she had from `init`

    desk = WebSession(a)
    desk.log_in()
    assert desk.submit("/account/profile", {"name": "Amélie Durand", "bio": "Coordinatrice des *épiceries*."}) == (
        303, "/account/profile")
    cluster.wait_for(lambda: b.value("SELECT name FROM remote_actors WHERE iri = ?", (organizer,)) == "Amélie Durand",
                     what="B to refresh A's organizer from her Update",
                     show=lambda: [dict(r) for r in b.query("SELECT type, state, error FROM inbox")])
    document = json.loads(b.value("SELECT document FROM remote_actors WHERE iri = ?", (organizer,)))
    assert "<em>épiceries</em>" in document["summary"]
    assert b.value("SELECT state FROM inbox WHERE type = 'Update'") == "done"
