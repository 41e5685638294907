"""`maillage export` (node/export.py): the showcase's practices, journeys and outcomes, in all their
languages, written as Markdown and published again on another node, come out the same: the same rows
(fields, texts, the Markdown of rich fields, themes, links between items), the node's address aside.
Deleted items are left out; a folder that holds something is refused and left as it was."""

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.cli import main
from node.config import Config
from node.content import all_objects
from node.db import Database
from node.drafts import parse_markdown
from node.publishing import delete, publish
from node.urls import Urls
from node.web.desk_forms import stored_form
from tests.conftest import make_node
from tests.support.showcase import seed


async def as_edited(db: Database) -> list[tuple[str, str, str, dict[str, str]]]:
    """Each item in each of its languages as its edit form shows it: every field, text and theme, the
    journey an outcome reports on, the Markdown of rich fields."""
    out = []
    for stored in await all_objects(db):
        for row in await db.fetch_all("SELECT lang FROM translations WHERE object_id = ? ORDER BY lang", (stored.id,)):
            out.append((stored.kind, stored.slug, row["lang"], await stored_form(db, stored, row["lang"])))
    return out


def stored_rows(path: Path, base: str) -> list[tuple[Any, ...]]:
    """The items as stored: fields (this node's address taken out), texts, Markdown sources, themes."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT o.kind, o.slug, t.lang, o.fields, t.title, t.summary, t.content_md, t.sources,"
            " (SELECT group_concat(name) FROM object_tags WHERE object_id = o.id), j.slug FROM objects o"
            " JOIN translations t ON t.object_id = o.id LEFT JOIN objects j ON j.id = o.journey_id"
            " WHERE o.deleted_at IS NULL ORDER BY o.id, t.lang").fetchall()
    return [(kind, slug, lang, fields.replace(base, "BASE"), *rest) for kind, slug, lang, fields, *rest in rows]


async def test_an_export_publishes_again_as_it_was(client: TestClient, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    app = client.app
    await seed(app, "reseau")
    admin = await get_actor(app[DB], "admin")
    assert admin is not None
    await publish(app[DB], app[URLS], network="reseau", author=admin, draft=parse_markdown(
        "---\ntype: practice\nslug: retiree\ntitle: Retirée\nsummary: Plus là.\n---\nTexte.\n", default_lang="fr"))
    await delete(app[DB], app[URLS], network="reseau", author=admin, kind="practice", slug="retiree")

    data = tmp_path / "node"
    out = tmp_path / "export"
    code = await asyncio.to_thread(main, ["export", "--data", str(data), "--output", str(out)])  # its own loop
    printed = capsys.readouterr().out.splitlines()
    assert code == 0 and printed
    files = sorted(out.iterdir())
    assert [line.split("\t") for line in printed] == [[str(f), "admin"] for f in files]
    assert not any("retiree" in f.name for f in files)
    names = [f.name for f in files]
    assert names[0].startswith("0001-") and all(n.endswith(".md") for n in names)

    other = await make_node(tmp_path / "other", base_url="http://other.test")
    db = await Database.open(other.database_path)
    try:
        author = await get_actor(db, "admin")
        assert author is not None
        for f in files:  # as `for f in OUT/*.md; do maillage publish --as admin "$f"; done` would
            draft = parse_markdown(f.read_text(encoding="utf-8"), default_lang=other.default_lang)
            await publish(db, Urls(other.base_url), network="reseau", author=author, draft=draft)
        again = await as_edited(db)
    finally:
        await db.close()
    published = await as_edited(app[DB])
    assert again == published
    assert stored_rows(other.database_path, other.base_url) == stored_rows(data / "maillage.db", "http://node.test")
    assert {kind for kind, *_ in published} == {"practice", "journey", "outcome"}
    assert {(kind, slug, lang) for kind, slug, lang, _ in published} == {
        (f.name.split("-", 2)[1], f.name.split("-", 2)[2].rsplit(".", 2)[0], f.name.rsplit(".", 2)[1]) for f in files}


def test_an_export_never_writes_into_a_folder_that_holds_something(node_config: Config, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["export", "--data", str(node_config.data_dir), "--output", str(out)]) == 1
    assert "exists and is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".busy")) == []
