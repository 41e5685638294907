"""`maillage demo`: three federating nodes on loopback, seeded with sample content, in one process.

Each node is a full app (database, workers, HTTP server) on its own port; they follow each other
over real HTTP with real signatures, exactly as separate servers would. Ctrl-C stops them cleanly.
"""

import asyncio
import contextlib
import signal
import tempfile
from pathlib import Path

from aiohttp import web

from .accounts import get_actor
from .app import create_app
from .appkeys import DB, FETCHER, URLS
from .bootstrap import init_node
from .config import Config, load_config
from .demo_content import ITEMS, NODES
from .drafts import draft_from_mapping
from .eventloop import new_event_loop
from .following import follow
from .publishing import publish

DEMO_PASSWORD = "demo-password"


async def _start(config: Config) -> tuple[web.AppRunner, web.Application]:
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", config.listen_port).start()
    return runner, app


async def _wait_for_accepts(apps: dict[str, web.Application], within: float = 20.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        pending = 0
        for app in apps.values():
            pending += int(await app[DB].fetch_value("SELECT count(*) FROM follows WHERE state = 'pending'"))
        if pending == 0:
            return True
        await asyncio.sleep(0.2)
    return False


async def run_demo(base_dir: Path | None, base_port: int, stop: asyncio.Event | None = None) -> dict[str, str]:
    """Start, seed and federate the three nodes; serve until `stop` is set (Ctrl-C from the CLI).
    Returns each node's base URL (used by tests, which set `stop` themselves)."""
    root = base_dir or Path(tempfile.mkdtemp(prefix="maillage-demo-"))
    runners: list[web.AppRunner] = []
    apps: dict[str, web.Application] = {}
    urls: dict[str, str] = {}
    try:
        for index, (name, title, lang) in enumerate(NODES):
            data = root / name
            base_url = f"http://127.0.0.1:{base_port + index}"
            if not (data / "maillage.toml").exists():
                await init_node(Config(data_dir=data, base_url=base_url, network=name, title=title, dev=True,
                                       default_lang=lang), admin="admin", password=DEMO_PASSWORD)
            runner, app = await _start(load_config(data))
            runners.append(runner)
            apps[name] = app
            urls[name] = base_url
        for name, app in apps.items():
            group = await get_actor(app[DB], name)
            assert group is not None
            for other, other_url in urls.items():
                if other != name:
                    await follow(app[DB], app[URLS], app[FETCHER], follower=group, target=f"{other_url}/users/{other}")
        await _wait_for_accepts(apps)
        for name, meta, body in ITEMS:
            app = apps[name]
            author = await get_actor(app[DB], "admin")
            assert author is not None
            draft = draft_from_mapping(meta, body, default_lang=meta["lang"])
            await publish(app[DB], app[URLS], network=name, author=author, draft=draft)
        print("Maillage demo: three networks following each other (Ctrl-C to stop)")
        for name, base_url in urls.items():
            print(f"  {base_url}/   @{name}@{base_url.split('://', 1)[1]}   (admin / {DEMO_PASSWORD})")
        print(f"  data folders: {root}", flush=True)
        if stop is not None:
            await stop.wait()
        return urls
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def main(base_dir: Path | None, base_port: int) -> int:
    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await run_demo(base_dir, base_port, stop)

    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(serve())
    print("Demo stopped.")
    return 0
