"""Fake followers whose inboxes accept TCP and never answer (tarpits). Each is an aiohttp server on its
own loopback address, 127.0.0.N, so it stands for a distinct host: its actor document (`/users/f`) answers
at once, a POST to its inbox is read and then held until the sender gives up. All run on one event loop
in a thread of their own, so tests that drive `maillage serve` subprocesses (synchronous code) and node
tests in process can use them alike."""

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from aiohttp import web

from protocol.keys import public_key_pem
from protocol.sig.cavage import sign_request
from tests.support.peer import AS2, fixed_key

AS_CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


class Tarpits:
    """`count` tarpit hosts at 127.0.0.FIRST, 127.0.0.FIRST+1, ... (`with Tarpits(64) as pits:`)."""

    def __init__(self, count: int, *, first: int = 100) -> None:
        assert first + count <= 255
        self.addresses = [f"127.0.0.{first + n}" for n in range(count)]
        self.ports: dict[str, int] = {}
        self.held: Counter[str] = Counter()  # POSTs each host received (and never answered)
        self.key = fixed_key()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="tarpits")
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None

    def __enter__(self) -> "Tarpits":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def base(self, n: int) -> str:
        address = self.addresses[n]
        return f"http://{address}:{self.ports[address]}"

    def host(self, n: int) -> str:
        return self.base(n).removeprefix("http://")

    def actor_iri(self, n: int) -> str:
        return f"{self.base(n)}/users/f"

    def inbox(self, n: int) -> str:
        return f"{self.base(n)}/inbox"

    def actor_document(self, n: int) -> dict[str, Any]:
        iri = self.actor_iri(n)
        return {"@context": AS_CONTEXT, "id": iri, "type": "Person", "preferredUsername": "f", "name": f"F{n}",
                "inbox": self.inbox(n), "outbox": f"{iri}/outbox", "followers": f"{iri}/followers",
                "endpoints": {"sharedInbox": self.inbox(n)},
                "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": public_key_pem(self.key)}}

    def follow(self, n: int, inbox: str, followee: str, now: Any) -> int:
        """Tarpit `n`'s actor follows `followee` with a signed POST to `inbox`; returns the status."""
        doc = {"@context": AS_CONTEXT[0], "id": f"{self.actor_iri(n)}/follows/1", "type": "Follow",
               "actor": self.actor_iri(n), "object": followee}
        body = json.dumps(doc).encode()
        headers = sign_request(method="POST", url=inbox, headers={"Content-Type": AS2}, body=body,
                               key_id=f"{self.actor_iri(n)}#main-key", private_key_pem=self.key, now=now)
        request = urllib.request.Request(inbox, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    async def _start(self) -> None:
        self._release = release = asyncio.Event()
        by_address = {address: n for n, address in enumerate(self.addresses)}

        def arrived_at(request: web.Request) -> str:
            assert request.transport is not None
            return str(request.transport.get_extra_info("sockname")[0])  # the address it was sent to

        async def actor(request: web.Request) -> web.Response:
            return web.json_response(self.actor_document(by_address[arrived_at(request)]), content_type=AS2)

        async def hold(request: web.Request) -> web.Response:
            self.held[arrived_at(request)] += 1
            await release.wait()  # never answered while the test runs
            return web.Response(status=503)

        app = web.Application()
        app.router.add_get("/users/f", actor)
        app.router.add_post("/inbox", hold)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        for address in self.addresses:
            site = web.TCPSite(self._runner, address, 0)
            await site.start()
            server = site._server
            assert isinstance(server, asyncio.base_events.Server)
            self.ports[address] = int(server.sockets[0].getsockname()[1])

    async def _stop(self) -> None:
        assert self._release is not None and self._runner is not None
        self._release.set()
        await self._runner.cleanup()
