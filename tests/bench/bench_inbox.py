"""Benchmark 1, inbox throughput: distinct signed Create(Note) activities from many remote actors whose
keys are cached, accepted (202) and persisted per second by one `maillage serve` process, against a bare
aiohttp endpoint that parses the same JSON and answers 202 (tests/bench/servers.py), same client, same run.

Two shapes of activity, because they take different paths through JSON-LD:
- `as2`: `@context` is the ActivityStreams IRI alone: protocol/jsonld.compact's fast path;
- `mastodon`: Mastodon's context with its inline `ostatus`/`toot` terms: full pyld compaction.
Requests are signed before the timed loop (the Date window is 12 hours). Bare and node rounds alternate,
each starting once the node's inbox worker has caught up; the best round of each counts (the machine is
shared). Run: `python -m tests.bench.bench_inbox`.
"""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from protocol.keys import public_key_pem
from protocol.sig.cavage import sign_request
from tests.bench.harness import (
    AS2,
    NETWORK,
    REMOTE_ACTOR_SQL,
    Load,
    Req,
    clock,
    db_value,
    heading,
    helper_server,
    info,
    insert_many,
    maillage_serve,
    new_node,
    remote_actor_row,
    repeat,
    result,
    run_load,
    workdir,
)
from tests.support.peer import fixed_key
from tests.support.ports import free_port

TARGET = 0.35
CONCURRENCY = 32
ROUNDS = 3
ROUND_SECONDS = 2.5
PER_ROUND = 2500  # pre-signed activities per shape and round: a round ends when they run out
WARMUP = 200
HOSTS = 100
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
MASTODON_CONTEXT = [AS_CONTEXT, {
    "ostatus": "http://ostatus.org#", "atomUri": "ostatus:atomUri", "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
    "conversation": "ostatus:conversation", "sensitive": "as:sensitive", "toot": "http://joinmastodon.org/ns#",
    "votersCount": "toot:votersCount",
}]
KEYS = [fixed_key("test-rsa-2048"), fixed_key("other-rsa-2048")]


def actor_iri(i: int) -> str:
    return f"https://r{i % HOSTS}.example/users/u{i}"


def create_note(shape: str, actor: str, n: int) -> dict[str, Any]:
    """A Create(Note) as Mastodon sends one (`mastodon`), or the same with only the AS2 context (`as2`)."""
    note = f"{actor}/statuses/{n}"
    published = "2026-03-01T12:00:00Z"
    obj: dict[str, Any] = {
        "id": note, "type": "Note", "summary": None, "inReplyTo": None, "published": published,
        "url": f"{actor}/{n}", "attributedTo": actor, "to": [PUBLIC], "cc": [f"{actor}/followers"],
        "content": f"<p>Retour d'expérience n°{n} sur la monnaie locale et les circuits courts.</p>",
        "attachment": [], "tag": [],
    }
    if shape == "mastodon":
        obj.update({"sensitive": False, "atomUri": note, "inReplyToAtomUri": None,
                    "conversation": f"tag:example,2026:objectId={n}:objectType=Conversation",
                    "contentMap": {"fr": obj["content"]}})
    return {"@context": MASTODON_CONTEXT if shape == "mastodon" else AS_CONTEXT, "id": f"{note}/activity",
            "type": "Create", "actor": actor, "published": published, "to": [PUBLIC], "cc": [f"{actor}/followers"],
            "object": obj}


def signed(url: str, shape: str, actors: int, first: int, count: int) -> list[Req]:
    """`count` distinct activities, round-robin over the actors, signed now for `url`."""
    out = []
    now = datetime.now(UTC)
    for n in range(first, first + count):
        i = n % actors
        body = json.dumps(create_note(shape, actor_iri(i), n)).encode()
        headers = sign_request(method="POST", url=url, headers={"Content-Type": AS2}, body=body,
                               key_id=f"{actor_iri(i)}#main-key", private_key_pem=KEYS[i % 2], now=now)
        out.append(Req("POST", url, headers, body))
    return out


def seed(db: Path, base_url: str, actors: int, stored: int) -> None:
    """`actors` cached remote actors (keys valid for a day), one on each of their HOSTS servers followed by
    the network (a node keeps the posts of servers it follows: node/relevance.py), and `stored` earlier
    activities and objects, received and processed an hour ago: within the node's log retention, which
    would otherwise remove them at start (and compete with the timed rounds)."""
    earlier = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pems = [public_key_pem(k) for k in KEYS]
    insert_many(db, "INSERT INTO follows (follower_iri, followee_iri, activity_iri, state, created_at, updated_at)"
                    " VALUES (?, ?, ?, 'accepted', ?, ?)", (
        (f"{base_url}/users/{NETWORK}", actor_iri(i), f"{base_url}/activities/follow-{i}", earlier, earlier)
        for i in range(min(actors, HOSTS))))
    insert_many(db, REMOTE_ACTOR_SQL, (
        remote_actor_row(actor_iri(i), f"r{i % HOSTS}.example", f"u{i}", f"https://r{i % HOSTS}.example/inbox",
                         pems[i % 2]) for i in range(actors)))
    insert_many(db, "INSERT INTO inbox (activity_iri, type, actor_iri, document, state, received_at, processed_at)"
                    " VALUES (?, 'Create', ?, ?, 'done', ?, ?)", (
        (f"{actor_iri(n % actors)}/statuses/old{n}/activity", actor_iri(n % actors),
         json.dumps(create_note("as2", actor_iri(n % actors), n)), earlier, earlier) for n in range(stored)))
    insert_many(db, "INSERT INTO remote_objects (iri, type, attributed_to, document, received_at)"
                    " VALUES (?, 'Note', ?, ?, ?)", (
        (f"{actor_iri(n % actors)}/statuses/old{n}", actor_iri(n % actors),
         json.dumps(create_note("as2", actor_iri(n % actors), n)["object"]), earlier) for n in range(stored)))


async def drained(db: Path, within: float = 60.0) -> None:
    """Wait until the node's inbox worker has processed every stored activity, so that the next baseline
    round does not share the machine with it."""
    deadline = clock() + within
    while clock() < deadline:
        if not db_value(db, "SELECT count(*) FROM inbox WHERE state = 'new'"):
            return
        await asyncio.sleep(0.2)


async def measure(root: Path, *, actors: int, stored: int, shapes: tuple[str, ...]) -> dict[str, Any]:
    """Throughput and latency of each shape against the bare endpoint, in ROUNDS alternating rounds (the
    best round of each counts: the machine is shared); returns the figures."""
    port, bare_port = free_port(), free_port()
    config = await new_node(root / "node", port)
    t0 = clock()
    seed(config.database_path, config.base_url, actors, stored)
    info(f"seeded {actors} cached remote actors and {stored} stored activities/objects in {clock() - t0:.1f}s")
    url = f"http://127.0.0.1:{port}/inbox"
    t0 = clock()
    warm = signed(url, "as2", actors, 10_000_000, WARMUP)
    batches = {shape: [signed(url, shape, actors, (k * ROUNDS + r) * PER_ROUND, PER_ROUND) for r in range(ROUNDS)]
               for k, shape in enumerate(shapes)}
    info(f"signed {WARMUP + PER_ROUND * ROUNDS * len(shapes)} requests in {clock() - t0:.1f}s (outside the timed loop)")
    figures: dict[str, Any] = {"actors": actors, "stored": stored}
    with helper_server("bare-inbox", bare_port, log=root / "bare.log") as bare, \
            maillage_serve(config.data_dir, port, root / "node.log") as node:
        await bare.wait_http(f"http://127.0.0.1:{bare_port}/")
        await node.wait_http(f"http://127.0.0.1:{port}/healthz")
        bare_url = f"http://127.0.0.1:{bare_port}/inbox"
        await run_load(warm, concurrency=CONCURRENCY, duration=ROUND_SECONDS)
        bare_req = batches[shapes[0]][0][0]
        baselines: list[Load] = []
        loads: dict[str, list[Load]] = {shape: [] for shape in shapes}
        cpu: dict[str, list[float]] = {shape: [] for shape in shapes}  # node CPU s per activity, kept and handled
        for r in range(ROUNDS):
            await drained(config.database_path)
            baselines.append(await run_load(repeat(bare_req, 1_000_000), concurrency=CONCURRENCY,
                                            duration=ROUND_SECONDS, url=bare_url))
            for shape in shapes:
                await drained(config.database_path)
                before = node.cpu_seconds()
                load = await run_load(batches[shape][r], concurrency=CONCURRENCY, duration=ROUND_SECONDS)
                await drained(config.database_path)  # what the worker does after the round is part of the cost
                after = node.cpu_seconds()
                if before is not None and after is not None and load.statuses[202]:
                    cpu[shape].append((after - before) / load.statuses[202])
                loads[shape].append(load)
        await drained(config.database_path)
        persisted = db_value(config.database_path, "SELECT count(*) FROM inbox") - stored - WARMUP
        kept = db_value(config.database_path, "SELECT count(*) FROM remote_objects") - stored - WARMUP
    figures["baseline"] = max(b.rate() for b in baselines)
    figures["baselines"] = [b.rate() for b in baselines]
    figures["persisted"] = persisted
    figures["kept"] = kept
    figures["accepted"] = sum(load.statuses[202] for runs in loads.values() for load in runs)
    for shape, runs in loads.items():
        best = max(runs, key=lambda load: load.rate((202,)))
        refused = {s: n for load in runs for s, n in load.statuses.items() if s != 202}
        figures[shape] = {"rate": best.rate((202,)), "p50": best.ms(50), "p99": best.ms(99), "refused": refused,
                          "rounds": [load.rate((202,)) for load in runs], "cpu": cpu[shape]}
    return figures


def report(figures: dict[str, Any], shapes: tuple[str, ...], bench: str = "inbox") -> None:
    base = figures["baseline"]
    info(f"bare endpoint rounds: {', '.join(f'{b:.0f}' for b in figures['baselines'])} req/s")
    info(f"accepted {figures['accepted']}, persisted {figures['persisted']} rows, kept {figures['kept']} posts")
    for shape in shapes:
        f = figures[shape]
        lost = f" refused {f['refused']}" if f["refused"] else ""
        info(f"{shape} rounds: {', '.join(f'{r:.0f}' for r in f['rounds'])} activities/s")
        if f.get("cpu"):  # the node's CPU time (all threads), from a round's start to its last row handled
            info(f"{shape} node CPU per activity: {', '.join(f'{c * 1e6:.0f}' for c in f['cpu'])} µs"
                 f" (clock ticks of 10 ms: ±{0.01 / PER_ROUND * 1e6:.0f} µs)")
        result(f"{bench} {shape}", f"{f['rate']:.0f} activities/s (p50 {f['p50']:.1f} ms, p99 {f['p99']:.1f} ms)",
               f"{base:.0f} req/s bare aiohttp 202", f["rate"] / base, f">= {TARGET}",
               f["rate"] / base >= TARGET and figures["persisted"] == figures["kept"] == figures["accepted"],
               f"{CONCURRENCY} in flight, {figures['actors']} actors{lost}")


async def main() -> None:
    heading("1. Inbox throughput (signed Create(Note), keys cached) vs bare aiohttp 202")
    shapes = ("as2", "mastodon")
    with workdir("bench-inbox-") as root:
        report(await measure(root, actors=1_000, stored=10_000, shapes=shapes), shapes)


if __name__ == "__main__":
    asyncio.run(main())
