"""A peer's practices, journeys and outcomes stored in full (node/remote_content.py) from what the inbox
receives: every language and structured field, sanitized, linked to its origin; replaced by its author's
Update, tombstoned by its author's Delete, never by anyone else's; what a reply refers to is fetched."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB, URLS
from node.remote_content import find_remote, latest_remote
from protocol.journeys import build_journey_details, parse_journey_details
from protocol.objects import Publication, Tag, Translation, build_object
from protocol.outcomes import build_outcome_details
from protocol.practices import build_practice_details, parse_practice_details
from tests.protocol.test_journeys import JOURNEY
from tests.protocol.test_outcomes import REPORT
from tests.protocol.test_practices import CURRENCY
from tests.support.node import AS_CONTEXT, activity, follows_peer, handled
from tests.support.peer import Peer

TEXTS = (Translation("fr", "La Luciole", "Une monnaie locale.", "<p>Le récit.</p>"),
         Translation("en", "The Luciole", "A local currency.", "<p>The story.</p>"))


@pytest.fixture(autouse=True)
async def peer_is_followed(client: TestClient, peer: Peer) -> None:
    """The network follows the peer: what it posts is kept (node/relevance.py)."""
    await follows_peer(client.app, peer)


def peer_object(peer: Peer, kind: str = "practice", slug: str = "luciole", author: str = "alice",
                translations: tuple[Translation, ...] = TEXTS, **extra: Any) -> dict[str, Any]:
    """A peer's object as a Maillage peer builds it."""
    fields = {"practice": lambda: build_practice_details(CURRENCY, "fr"),
              "journey": lambda: build_journey_details(JOURNEY, "fr"),
              "outcome": lambda: build_outcome_details(REPORT, "fr")}[kind]()
    iri = f"{peer.base}/{kind}s/{slug}"
    pub = Publication(iri=iri, type="Event" if kind == "journey" else "Article", attributed_to=peer.actor_iri(author),
                      url=iri, published="2027-01-10T09:00:00Z", default_lang="fr", translations=translations,
                      to=("https://www.w3.org/ns/activitystreams#Public",), cc=(),
                      tags=(Tag("social-currency", f"{peer.base}/tags/social-currency"),),
                      extra={"audience": peer.actor_iri("reseau"), **fields, **extra})
    return build_object(pub, with_context=False)


async def rows(client: TestClient) -> list[dict[str, Any]]:
    found = await client.app[DB].fetch_all("SELECT * FROM remote_content ORDER BY id")
    return [dict(r) for r in found]


@pytest.mark.parametrize("kind", ["practice", "journey", "outcome"])
async def test_create_from_a_peer_is_stored_in_full(client: TestClient, peer: Peer, kind: str) -> None:
    obj = peer_object(peer, kind)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", obj)) == "done"
    [row] = await rows(client)
    assert (row["iri"], row["kind"], row["origin"], row["attributed_to"], row["audience"], row["url"]) == (
        obj["id"], kind, peer.host, peer.actor_iri("alice"), peer.actor_iri("reseau"), obj["id"])
    item = await find_remote(client.app[DB], obj["id"])
    assert item is not None
    assert item.translations == TEXTS
    assert item.tags == ("social-currency",)
    assert item.author_name == "Alice" and item.author_handle == f"@alice@{peer.host}"
    pub = item.publication(client.app[URLS])
    assert pub.translation("en").title == "The Luciole"
    assert pub.tags == (Tag("social-currency", "http://node.test/tags/social-currency"),)
    if kind == "practice":
        assert parse_practice_details(pub.extra, "fr") == CURRENCY
    elif kind == "journey":
        assert parse_journey_details(pub.extra, "fr") == JOURNEY
    # The raw document stays in remote_objects, which other code reads.
    raw_type = await client.app[DB].fetch_value("SELECT type FROM remote_objects WHERE iri = ?", (obj["id"],))
    assert raw_type == obj["type"]
    assert [i.iri for i in await latest_remote(client.app[DB], kind=kind)] == [obj["id"]]
    assert await latest_remote(client.app[DB], origin="elsewhere.example") == []


async def test_html_from_a_peer_is_sanitized_when_stored(client: TestClient, peer: Peer) -> None:
    evil = (Translation("fr", "Titre", "Résumé", '<p onclick="x()">ok<script>alert(1)</script></p>'),)
    obj = peer_object(peer, translations=evil, needs={"fr": '<img src="javascript:alert(1)"><b>besoin</b>'})
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", obj)) == "done"
    item = await find_remote(client.app[DB], obj["id"])
    assert item is not None
    assert item.translations[0].content_html == "<p>ok</p>"
    assert "javascript" not in item.fields["needs"]["fr"] and "besoin" in item.fields["needs"]["fr"]


async def test_only_the_author_updates_and_deletes(client: TestClient, peer: Peer, bob: str) -> None:
    obj = peer_object(peer)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", obj)) == "done"
    forged = {**obj, "nameMap": {"fr": "Pris par Bob"}, "name": "Pris par Bob", "attributedTo": bob}
    assert await handled(client, peer, "bob", activity(peer, "bob", "Update", forged)) == "ignored"
    edited = {**obj, "name": "La Luciole, deux ans après", "nameMap": {"fr": "La Luciole, deux ans après",
                                                                   "en": "The Luciole"},
              "updated": "2027-03-01T10:00:00Z"}
    assert await handled(client, peer, "alice", activity(peer, "alice", "Update", edited)) == "done"
    item = await find_remote(client.app[DB], obj["id"])
    assert item is not None
    assert [(t.lang, t.title) for t in item.translations] == [("fr", "La Luciole, deux ans après"),
                                                             ("en", "The Luciole")]
    assert item.updated == "2027-03-01T10:00:00Z"

    tombstone = {"id": obj["id"], "type": "Tombstone"}
    assert await handled(client, peer, "bob", activity(peer, "bob", "Delete", tombstone)) == "ignored"
    assert await handled(client, peer, "alice", activity(peer, "alice", "Delete", tombstone)) == "done"
    [row] = await rows(client)
    assert row["deleted_at"] is not None and row["fields"] == "{}"
    assert await client.app[DB].fetch_value("SELECT count(*) FROM remote_translations") == 0
    assert await latest_remote(client.app[DB]) == []
    # Deleted is final: the same object announced again is not brought back.
    peer.documents["/practices/luciole"] = {"@context": AS_CONTEXT, **obj}
    await handled(client, peer, "alice", activity(peer, "alice", "Create", obj))
    [row] = await rows(client)
    assert row["deleted_at"] is not None


async def test_deleted_actor_takes_its_content_along(client: TestClient, peer: Peer) -> None:
    obj = peer_object(peer)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", obj)) == "done"
    assert await handled(client, peer, "alice", activity(peer, "alice", "Delete", peer.actor_iri("alice"))) == "done"
    [row] = await rows(client)
    assert row["deleted_at"] is not None


async def test_comments_stay_raw_and_what_they_answer_is_fetched(client: TestClient, peer: Peer,
                                                                 other_peer: Peer) -> None:
    """A reply (from carol, elsewhere, calling our network in) to a peer's practice we did not hold: the
    practice is fetched from its origin and stored in full; the reply itself is a comment, kept raw only."""
    practice = peer_object(peer)
    peer.documents["/practices/luciole"] = {"@context": AS_CONTEXT, **practice}
    reply = {"id": f"{other_peer.base}/notes/1", "type": "Note", "attributedTo": other_peer.actor_iri("carol"),
             "inReplyTo": practice["id"], "content": "<p>Bravo</p>", "cc": [client.app[URLS].actor("reseau")]}
    assert await handled(client, other_peer, "carol", activity(other_peer, "carol", "Create", reply)) == "done"
    assert [r["iri"] for r in await rows(client)] == [practice["id"]]
    raw = await client.app[DB].fetch_all("SELECT iri, in_reply_to FROM remote_objects ORDER BY id")
    assert [(r["iri"], r["in_reply_to"]) for r in raw] == [(reply["id"], practice["id"]), (practice["id"], None)]


async def test_reference_chain_is_bounded(client: TestClient, peer: Peer) -> None:
    """A thread of replies is followed up three objects at most."""
    for n in range(1, 7):
        peer.documents[f"/notes/{n}"] = {"@context": AS_CONTEXT, "id": f"{peer.base}/notes/{n}", "type": "Note",
                                         "attributedTo": peer.actor_iri("alice"), "content": f"<p>{n}</p>",
                                         "inReplyTo": f"{peer.base}/notes/{n + 1}"}
    create = activity(peer, "alice", "Create", f"{peer.base}/notes/1")
    assert await handled(client, peer, "alice", create) == "done"
    stored = await client.app[DB].fetch_all("SELECT iri FROM remote_objects ORDER BY id")
    assert [r["iri"].rsplit("/", 1)[-1] for r in stored] == ["1", "2", "3", "4"]
