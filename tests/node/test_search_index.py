"""The search index stays in line with storage: peers' items are indexed when the inbox stores them and
follow their Update and Delete; the migrations' backfill (0006, then 0008's copy with the node column)
gives the index node/search.py's SQL gives, and on an upgrade it indexes what was stored before (and
keeps earlier replies shown as comments)."""

import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import db as node_db
from node import search
from node.appkeys import DB
from node.db import Database
from tests.support.examples import publish_examples
from tests.support.node import AS_CONTEXT, PUBLIC, activity, follows_peer, handled
from tests.support.peer import Peer

MIGRATION = next(name for _, name, _ in node_db._migrations() if name.endswith("_search_social.sql"))
NODE_COLUMN = next(name for _, name, _ in node_db._migrations() if name.endswith("_search_node.sql"))
THEMES = next(name for _, name, _ in node_db._migrations() if name.endswith("_search_themes.sql"))


@pytest.fixture(autouse=True)
async def peer_is_followed(client: TestClient, peer: Peer) -> None:
    """The network follows the peer: what it posts is kept (node/relevance.py)."""
    await follows_peer(client.app, peer)


def peer_practice(peer: Peer, **fields: Any) -> dict[str, Any]:
    """A practice write-up as another Maillage node publishes it: Spanish only."""
    iri = f"{peer.base}/practices/grupos-de-compra"
    return {"id": iri, "type": "Article", "attributedTo": peer.actor_iri("alice"), "url": iri,
            "name": "Grupos de compra solidaria", "nameMap": {"es": "Grupos de compra solidaria"},
            "summary": "Productores y consumidores.", "summaryMap": {"es": "Productores y consumidores."},
            "content": "<p>Los <strong>grupos</strong> compran juntos.</p>",
            "contentMap": {"es": "<p>Los <strong>grupos</strong> compran juntos.</p>"},
            "published": "2026-03-01T10:00:00Z", "to": [PUBLIC],
            "tag": [{"type": "Hashtag", "name": "#circuitos-cortos", "href": f"{peer.base}/tags/circuitos-cortos"}],
            "location": {"type": "Place", "name": "Cooperativa Trébol", "address": {
                "type": "PostalAddress", "addressLocality": "São Paulo", "addressCountry": "Brasil"}},
            "lessons": {"es": "<p>Empezar <em>pequeño</em> &amp; crecer.</p>"}, **fields}


async def found(client: TestClient, **params: str) -> list[tuple[str, str, str, bool]]:
    hits, _ = await search.search(client.app[DB], search.parse_query(params))
    return [(h.iri, h.lang, h.node, h.local) for h in hits]


async def test_a_peers_item_is_indexed_updated_and_deleted_with_the_inbox(client: TestClient, peer: Peer) -> None:
    doc = peer_practice(peer)
    create = activity(peer, "alice", "Create", doc, **{"@context": AS_CONTEXT})
    assert await handled(client, peer, "alice", create) == "done"
    expected = [(doc["id"], "es", peer.host, False)]
    assert await found(client, q="compra solidaria") == expected
    assert await found(client, q="trebol sao paulo") == expected  # the territory, accents folded
    assert await found(client, q="pequeño crecer") == expected  # a structured field, HTML stripped
    assert await found(client, q="compra", territory="sao paulo", theme="circuitos-cortos", node=peer.host) == expected
    assert await found(client, q="compra", node="node.test") == []
    assert await found(client, q="strong") == []  # tags are not words
    changed = {**doc, "name": "Grupos de consumo", "nameMap": {"es": "Grupos de consumo"}}
    assert await handled(client, peer, "alice", activity(peer, "alice", "Update", changed)) == "done"
    assert await found(client, q="compra solidaria") == []
    assert await found(client, q="consumo") == expected
    tombstone = {"id": doc["id"], "type": "Tombstone"}
    assert await handled(client, peer, "alice", activity(peer, "alice", "Delete", tombstone)) == "done"
    assert await found(client, q="consumo") == []
    assert await client.app[DB].fetch_value("SELECT count(*) FROM search_entries WHERE local = 0") == 0


async def test_an_update_by_someone_else_changes_nothing(client: TestClient, peer: Peer, bob: str) -> None:
    doc = peer_practice(peer)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", doc)) == "done"
    forged = {**doc, "nameMap": {"es": "Falsificado"}, "name": "Falsificado"}
    assert await handled(client, peer, "bob", activity(peer, "bob", "Update", forged)) == "ignored"
    assert await found(client, q="falsificado") == []
    assert len(await found(client, q="solidaria")) == 1


async def _index(db: Database) -> list[tuple[Any, ...]]:
    rows = await db.fetch_all(
        "SELECT e.iri, e.lang, e.kind, e.node, e.local, e.title, e.summary, e.date, f.title, f.summary, f.body,"
        " f.details, f.territory, f.node FROM search_entries e JOIN search_fts f ON f.rowid = e.id"
        " ORDER BY e.iri, e.lang")
    return [tuple(r) for r in rows]


def _statements(migration: str) -> list[str]:
    return node_db._split_statements((Path(node_db.__file__).parent / "migrations" / migration).read_text("utf-8"))


def _backfill_statements() -> list[str]:
    return [s for s in _statements(MIGRATION) if "search_entries" in s and s.startswith("WITH")]


def test_the_migration_backfills_entries_with_the_sql_search_runs() -> None:
    assert _backfill_statements()[0] == search.INDEX_ENTRIES.format(local="1", remote="1") + ";"


def test_the_node_column_holds_the_token_search_asks_for() -> None:
    assert search.NODE_TOKEN_SQL.format("e.node") in " ".join(_statements(NODE_COLUMN))


async def test_backfill_and_reindex_agree(client: TestClient, peer: Peer) -> None:
    await publish_examples(client.app)
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", peer_practice(peer))) == "done"
    db = client.app[DB]
    indexed = await _index(db)
    assert {row[4] for row in indexed} == {0, 1} and len(indexed) == 7  # 3 items x 2 languages, and the peer's
    assert all(row[-1] == search.node_token(row[3]) for row in indexed)
    create_0006 = next(s for s in _statements(MIGRATION) if s.startswith("CREATE VIRTUAL TABLE search_fts"))
    async with db.transaction() as tx:  # the index as 0006 left it, then 0008 and 0023
        await tx.execute("DROP TABLE search_fts")
        await tx.execute(create_0006)
        await tx.execute("DELETE FROM search_entries")
        for statement in [*_backfill_statements(), *_statements(NODE_COLUMN), *_statements(THEMES)]:
            await tx.execute(statement)
    assert await _index(db) == indexed


async def test_an_upgrade_indexes_what_was_there_and_keeps_earlier_replies(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    known = node_db._migrations()
    mine = next(v for v, name, _ in known if name == MIGRATION)
    monkeypatch.setattr(node_db, "_migrations", lambda: [m for m in known if m[0] < mine])
    path = tmp_path / "maillage.db"
    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            actor = await tx.execute(
                "INSERT INTO actors (username, type, name, private_key_pem, public_key_pem, created_at)"
                " VALUES ('admin', 'Person', 'Admin', 'k', 'k', '2026-01-01T00:00:00Z')")
            obj = await tx.execute(
                "INSERT INTO objects (iri, kind, slug, actor_id, default_lang, fields, published_at)"
                " VALUES ('https://old.example/practices/x', 'practice', 'x', ?, 'fr', ?, '2026-01-01T00:00:00Z')",
                (actor, json.dumps({"location": {"type": "Place", "name": "Besançon"}})))
            await tx.execute("INSERT INTO translations VALUES (?, 'fr', 'Épicerie solidaire', 'Un résumé.', 'md',"
                             " '<p>Le récit.</p>')", (obj,))
            await tx.execute(
                "INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at) VALUES"
                " ('https://p.example/n/1', 'Note', 'https://p.example/u/a', 'https://old.example/practices/x',"
                " '{}', '2026-01-02T00:00:00Z')")
    finally:
        await db.close()
    monkeypatch.setattr(node_db, "_migrations", lambda: known)
    db = await Database.open(path)
    try:
        hits, total = await search.search(db, search.parse_query({"q": "epicerie", "territory": "besancon"}))
        assert (total, hits[0].iri, hits[0].title) == (1, "https://old.example/practices/x", "Épicerie solidaire")
        rows = await db.fetch_all("SELECT iri, root_iri, state FROM comments")
        assert [tuple(r) for r in rows] == [("https://p.example/n/1", "https://old.example/practices/x", "approved")]
    finally:
        await db.close()
