"""What a node's database holds, to show that a refused or ignored request changed nothing: the row
count of every table (read from `sqlite_master`, so tables added by later migrations are counted too)
and, where counts are not enough (an Update that rewrites a row), the rows themselves."""

from typing import Any

from node.db import Database

# Caches that a refused request may legitimately refresh (a key refetched to check a signature).
CACHES = frozenset({"remote_actors"})


async def tables(db: Database) -> list[str]:
    """Every table, virtual tables (full-text indexes) included but not their shadow tables, whose bytes
    change when the index merges segments, with no change to what the index holds."""
    rows = await db.fetch_all("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                              " ORDER BY name")
    virtual = [r["name"] for r in rows if (r["sql"] or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return [r["name"] for r in rows if not any(r["name"].startswith(f"{v}_") for v in virtual)]


async def row_counts(db: Database) -> dict[str, int]:
    """{table: number of rows} for every table of the database."""
    return {name: int(await db.fetch_value(f'SELECT count(*) FROM "{name}"')) for name in await tables(db)}


async def snapshot(db: Database, *, ignore: frozenset[str] = CACHES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but `ignore`d ones, in rowid order where there is one."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for name in await tables(db):
        if name in ignore:
            continue
        rows = await db.fetch_all(f'SELECT * FROM "{name}"')
        out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """{table: (before, after)} for the tables that differ: empty when nothing changed. Meant for
    `assert changed(a, b) == {}`, whose failure message names the tables."""
    return {name: (before.get(name), after.get(name)) for name in sorted({*before, *after})
            if before.get(name) != after.get(name)}
