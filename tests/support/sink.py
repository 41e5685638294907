"""A remote server with many actors, for tests that drive `maillage serve` subprocesses (synchronous
code): a tests.support.peer.Peer served from its own thread and event loop. Each actor has its own
inbox and no shared inbox, so one activity fanned out to N followers is N deliveries; every delivery is
recorded, and `unique()` dedupes them on (inbox, activity id) as a receiving server does."""

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from aiohttp.test_utils import TestServer

from tests.support.peer import AS2, Peer


class Sink:
    def __init__(self, names: list[str], *, inbox_delay: float = 0.0) -> None:
        self.peer = Peer(inbox_delay=inbox_delay)
        for name in names:
            self.peer.add_actor(name)
            self.peer.actor_fields[name] = {"endpoints": {}}  # personal inboxes only: one POST per follower
        self.names = names
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="sink")

    def __enter__(self) -> "Sink":
        self._thread.start()
        server = TestServer(self.peer.app(), host="127.0.0.1")
        asyncio.run_coroutine_threadsafe(server.start_server(), self._loop).result(10)
        self.peer.server = server
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.peer.server is not None
        asyncio.run_coroutine_threadsafe(self.peer.server.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def actor_iri(self, name: str) -> str:
        return self.peer.actor_iri(name)

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        """(inbox path, activity) of every POST received so far, duplicates included."""
        return [(r.path, json.loads(r.body)) for r in list(self.peer.inbox)]

    def unique(self, kind: str | None = None) -> set[tuple[str, str]]:
        """(inbox path, activity id) of what was received, deduplicated as a receiver dedupes."""
        return {(path, doc["id"]) for path, doc in self.received() if kind is None or doc["type"] == kind}

    def duplicates(self) -> int:
        counts = Counter((path, doc["id"]) for path, doc in self.received())
        return sum(n - 1 for n in counts.values())

    def post(self, name: str, url: str, doc: dict[str, Any]) -> tuple[int, str]:
        """POST `doc` to `url`, signed by actor `name`; returns (status, body)."""
        body = json.dumps(doc).encode()
        headers = self.peer.sign(name, "POST", url, body, headers={"Content-Type": AS2})
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
