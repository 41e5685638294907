"""Benchmark 3, read path: requests/s of a `maillage serve` process for an actor's JSON, an outbox page
(20 Creates of long practice write-ups) and a practice's HTML page, each against a bare aiohttp GET
answering the very bytes the node answered (tests/bench/servers.py), so that the ratio is what the node
adds to moving those bytes; same client, same run, alternating rounds, best round of each. The node
answers repeated reads from its response cache (node/response_cache.py) until something is committed;
a second process over the same database, with that cache off, gives each read's full cost (reported).
Targets: >= 0.5 for JSON, >= 0.25 for the HTML page.
Run: `python -m tests.bench.bench_read`.
"""

import asyncio
from pathlib import Path

import aiohttp

from node.accounts import get_actor
from node.db import Database
from node.drafts import parse_markdown
from node.publishing import publish
from node.urls import Urls
from tests.bench.harness import (
    ADMIN,
    AS2,
    NETWORK,
    Load,
    Req,
    heading,
    helper_server,
    info,
    maillage_serve,
    new_node,
    note,
    repeat,
    result,
    run_load,
    workdir,
)
from tests.support.ports import free_port

CONCURRENCY = 32
ROUNDS = 2
ROUND_SECONDS = 2.5
PRACTICES = 25
MAX_REQUESTS = 200_000


def practice(n: int) -> str:
    body = "\n\n".join(f"Paragraphe {k} du récit : comment la **coopérative** a organisé la collecte, le tri et "
                       f"la revente, avec [un lien](https://example.org/{k})." for k in range(8))
    return (f"---\ntype: practice\nslug: pratique-{n}\nlang: fr\ntitle: Pratique numéro {n}\n"
            f"summary: Ce qu'un territoire a appris de la pratique {n}.\nthemes: [economie-circulaire, emploi]\n"
            f"---\n{body}\n")


async def seed(config_path: Path, base_url: str) -> None:
    db = await Database.open(config_path)
    try:
        author = await get_actor(db, ADMIN)
        assert author is not None
        for n in range(PRACTICES):
            await publish(db, Urls(base_url), network=NETWORK, author=author,
                          draft=parse_markdown(practice(n), default_lang="fr"))
    finally:
        await db.close()


async def main() -> None:
    heading("3. Read path: actor JSON, outbox page, practice HTML page vs bare aiohttp GET of the same bytes")
    with workdir("bench-read-") as root:
        port, uncached_port, bare_port = free_port(), free_port(), free_port()
        config = await new_node(root / "node", port)
        await seed(config.database_path, config.base_url)
        targets = {"actor JSON": 0.5, "outbox page JSON": 0.5, "practice HTML": 0.25}

        def paths(at: int) -> dict[str, Req]:
            base = f"http://127.0.0.1:{at}"
            return {
                "actor JSON": Req("GET", f"{base}/users/{NETWORK}", {"Accept": AS2}),
                "outbox page JSON": Req("GET", f"{base}/users/{ADMIN}/outbox?page=true", {"Accept": AS2}),
                "practice HTML": Req("GET", f"{base}/practices/pratique-{PRACTICES - 1}", {"Accept": "text/html"}),
            }

        # The same node twice over one database: as it runs (the response cache answers repeated reads
        # while nothing is written), and with that cache off, which is every read's cost while the node
        # is being written to.
        servers = {"cached": (port, None), "uncached": (uncached_port, {"MAILLAGE_RESPONSE_CACHE_MB": "0"})}
        copies = root / "bare"
        copies.mkdir()
        with maillage_serve(config.data_dir, port, root / "node.log") as node, \
                maillage_serve(config.data_dir, uncached_port, root / "uncached.log",
                               env={"MAILLAGE_RESPONSE_CACHE_MB": "0"}) as uncached:
            await node.wait_http(f"http://127.0.0.1:{port}/healthz")
            await uncached.wait_http(f"http://127.0.0.1:{uncached_port}/healthz")
            async with aiohttp.ClientSession() as session:
                for n, (name, req) in enumerate(paths(port).items()):
                    async with session.get(req.url, headers=req.headers) as resp:
                        assert resp.status == 200, (name, resp.status, await resp.text())
                        (copies / str(n)).write_bytes(await resp.read())
            with helper_server("bare-get", bare_port, copies, log=root / "bare.log") as bare:
                bares = {name: Req("GET", f"http://127.0.0.1:{bare_port}/{n}", req.headers)
                         for n, (name, req) in enumerate(paths(port).items())}
                await bare.wait_http(bares["actor JSON"].url)
                kinds = {"bare": bares, **{kind: paths(at) for kind, (at, _) in servers.items()}}
                loads: dict[tuple[str, str], list[Load]] = {(kind, name): [] for kind in kinds for name in targets}
                for r in range(ROUNDS + 1):  # the first round warms the servers up and is not counted
                    for name in targets:
                        for kind, requests in kinds.items():
                            load = await run_load(repeat(requests[name], MAX_REQUESTS), concurrency=CONCURRENCY,
                                                  duration=ROUND_SECONDS if r else 0.5)
                            if r:
                                loads[kind, name].append(load)
        for name in targets:
            best = {kind: max(loads[kind, name], key=lambda x: x.rate()) for kind in kinds}
            size = (copies / str(list(targets).index(name))).stat().st_size
            info(f"{name} rounds: " + "; ".join(
                f"{kind} {', '.join(f'{x.rate():.0f}' for x in loads[kind, name])}" for kind in kinds) + " req/s")
            bare_rate = best["bare"].rate()
            for kind in servers:
                load = best[kind]
                errors = {s: n for run in loads[kind, name] for s, n in run.statuses.items() if s != 200}
                ratio = load.rate() / bare_rate
                figure = f"{load.rate():.0f} req/s (p50 {load.ms(50):.1f} ms, p99 {load.ms(99):.1f} ms)"
                detail = f"{CONCURRENCY} in flight" + (f", errors {errors}" if errors else "")
                if kind == "cached":
                    result(f"read {name}", figure, f"{bare_rate:.0f} req/s bare aiohttp GET of the same {size} bytes",
                           ratio, f">= {targets[name]}", ratio >= targets[name] and not errors, detail)
                else:
                    note(f"read {name}, response cache off", f"{figure}, ratio {ratio:.2f} to bare ({detail})")


if __name__ == "__main__":
    asyncio.run(main())
