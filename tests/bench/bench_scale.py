"""Benchmark 4, scale: a node holding 1,000,000 stored remote objects (generated with executemany in big
transactions, some of them replies to the node's practices). Measured: start-up of `maillage serve`
until /healthz answers (< 3 s), a practice's page with its replies (p95 < 30 ms, one request at a time),
the resident memory of the serving process afterwards (< 200 MB), database bytes per stored object, and
search (p95 < 50 ms). Search is a later issue: until it exists this measures the lookup search will
start from, a stored object by IRI through node.db, and shows what a LIKE scan would cost instead.

Generation stops at BENCH_SCALE_SECONDS (default 150) if 1,000,000 does not fit, and the figures say at
which size they were measured. BENCH_SCALE_OBJECTS sets the size. Run: `python -m tests.bench.bench_scale`.
"""

import asyncio
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

from node.db import Database
from tests.bench.bench_read import PRACTICES, seed
from tests.bench.harness import (
    AS2,
    Req,
    clock,
    free_port,
    heading,
    info,
    insert_many,
    maillage_serve,
    new_node,
    note,
    percentile,
    result,
    run_load,
    workdir,
)

OBJECTS = int(os.environ.get("BENCH_SCALE_OBJECTS", "1000000"))
GENERATE_SECONDS = float(os.environ.get("BENCH_SCALE_SECONDS", "150"))
CHUNK = 100_000
REPLY_EVERY = 5_000  # one stored object in 5,000 replies to one of the node's practices
PAGE_REQUESTS = 400
LOOKUPS = 2_000
_DOC = ('{"id":"%s","type":"Note","attributedTo":"%s","inReplyTo":%s,"published":"2026-02-01T10:00:00Z",'
        '"url":"%s","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["%s/followers"],'
        '"content":"<p>Retour d\'exp\\u00e9rience %d sur les circuits courts, la monnaie locale et l\'emploi dans le'
        ' territoire.</p>","contentMap":{"fr":"<p>Retour d\'exp\\u00e9rience %d.</p>"},"tag":[],"attachment":[]}')


def object_iri(n: int) -> str:
    return f"https://h{n % 2000}.example/users/u{n % 50000}/statuses/{n}"


def rows(first: int, last: int, base_url: str) -> Iterator[tuple[str, str, str, str | None, str, str]]:
    for n in range(first, last):
        actor = f"https://h{n % 2000}.example/users/u{n % 50000}"
        iri = f"{actor}/statuses/{n}"
        if n % REPLY_EVERY == 0:
            reply_to: str | None = f"{base_url}/practices/pratique-{(n // REPLY_EVERY) % PRACTICES}"
        else:
            reply_to = object_iri(n - 1) if n % 3 == 0 else None
        yield (iri, "Note", actor, reply_to, _DOC % (iri, actor, json.dumps(reply_to), iri, actor, n, n),
               "2026-02-01T10:00:00Z")


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def lookups(db_path: Path, stored: int) -> tuple[list[float], float]:
    """(seconds per IRI lookup through node.db, seconds of one LIKE scan over every document)."""
    db = await Database.open(db_path)
    rng = random.Random(8)
    times = []
    try:
        for _ in range(LOOKUPS):
            iri = object_iri(rng.randrange(stored))
            t0 = clock()
            row = await db.fetch_one("SELECT document FROM remote_objects WHERE iri = ?", (iri,))
            times.append(clock() - t0)
            assert row is not None
        t0 = clock()
        await db.fetch_all("SELECT id FROM remote_objects WHERE document LIKE ? LIMIT 20", ("%rience 999999999.%",))
        scan = clock() - t0
    finally:
        await db.close()
    return times, scan


async def main() -> None:
    heading(f"4. Scale: {OBJECTS:,} stored remote objects")
    with workdir("bench-scale-") as root:
        port = free_port()
        config = await new_node(root / "node", port)
        await seed(config.database_path, config.base_url)
        before = db_bytes(config.database_path)
        stored, t0 = 0, clock()
        sql = ("INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at)"
               " VALUES (?, ?, ?, ?, ?, ?)")
        while stored < OBJECTS and clock() - t0 < GENERATE_SECONDS:
            stored += insert_many(config.database_path, sql,
                                  rows(stored, min(OBJECTS, stored + CHUNK), config.base_url), chunk=CHUNK)
        generated = clock() - t0
        per_object = (db_bytes(config.database_path) - before) / stored
        info(f"generated {stored:,} objects in {generated:.1f}s ({stored / generated:,.0f}/s);"
             f" database {db_bytes(config.database_path) / 1e6:.0f} MB")
        size = f"{stored:,} objects" + ("" if stored == OBJECTS else f" (budget reached: not {OBJECTS:,})")
        base = f"http://127.0.0.1:{port}"
        with maillage_serve(config.data_dir, port, root / "node.log") as node:
            startup = await node.wait_http(f"{base}/healthz")
            pages = (Req("GET", f"{base}/practices/pratique-{n % PRACTICES}", {"Accept": "text/html"})
                     for n in range(PAGE_REQUESTS))
            load = await run_load(pages, concurrency=1, duration=60)
            json_pages = (Req("GET", f"{base}/practices/pratique-{n % PRACTICES}", {"Accept": AS2})
                          for n in range(PAGE_REQUESTS))
            json_load = await run_load(json_pages, concurrency=1, duration=60)
            rss, peak = node.memory_mb()
        times, scan = await lookups(config.database_path, stored)
        replies = stored // REPLY_EVERY // PRACTICES
        errors = {s: n for s, n in (load.statuses + json_load.statuses).items() if s != 200}
        result("scale start-up", f"{startup:.2f}s until /healthz answers ({size})", "3 s budget", startup / 3,
               "<= 1 (< 3 s)", startup < 3)
        p95 = load.ms(95)
        result("scale item page", f"practice HTML p95 {p95:.1f} ms (p50 {load.ms(50):.1f} ms; AS2 JSON p95"
                                  f" {json_load.ms(95):.1f} ms; ~{replies} replies shown)",
               "30 ms budget", p95 / 30, "<= 1 (p95 < 30 ms)", p95 < 30 and not errors,
               f"{size}, one request at a time" + (f", errors {errors}" if errors else ""))
        lookup95 = percentile(times, 95) * 1000
        result("scale search", f"PENDING (no search yet): lookup by IRI p95 {lookup95:.2f} ms"
                               f" (a LIKE scan of every document: {scan * 1000:.0f} ms)",
               "50 ms budget", lookup95 / 50, "<= 1 (p95 < 50 ms)", lookup95 < 50, size)
        result("scale memory", f"{rss:.0f} MB resident after the page loads (peak {peak:.0f} MB)", "200 MB budget",
               peak / 200, "<= 1 (< 200 MB)", peak < 200, size)
        note("scale storage", f"{per_object:.0f} database bytes per stored object ({size}, with indexes)")


if __name__ == "__main__":
    asyncio.run(main())
