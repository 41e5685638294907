"""A remote ActivityPub server stand-in for node tests: serves actor documents with fixed keys and
records what arrives in its inbox. It is a peer on loopback, not a mock of our own code: the node
fetches keys from it and delivers to it over real HTTP."""

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from protocol.keys import public_key_pem
from protocol.sig.cavage import sign_request

KEYS_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "keys"
AS2 = "application/activity+json"


def fixed_key(name: str = "test-rsa-2048") -> str:
    return (KEYS_DIR / f"{name}.pem").read_text()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Peer:
    """A fake remote server at http://127.0.0.1:PORT with actors at /users/NAME."""

    server: TestServer | None = None
    keys: dict[str, str] = field(default_factory=dict)
    inbox: list[Received] = field(default_factory=list)
    inbox_status: int = 202
    inbox_headers: dict[str, str] = field(default_factory=dict)
    actor_fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # per actor, over the defaults
    documents: dict[str, Any] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # per path: answer this status instead
    inbox_delay: float = 0.0  # seconds each inbox POST takes to answer (a slow receiver)
    get_counts: dict[str, int] = field(default_factory=dict)  # GETs received, by path

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.port}"

    def actor_iri(self, name: str) -> str:
        return f"{self.base}/users/{name}"

    def add_actor(self, name: str, key: str = "test-rsa-2048") -> str:
        self.keys[name] = fixed_key(key)
        return self.actor_iri(name) if self.server is not None else name

    def actor_document(self, name: str) -> dict[str, Any]:
        iri = self.actor_iri(name)
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": iri, "type": "Person", "preferredUsername": name, "name": name.title(),
            "inbox": f"{iri}/inbox", "outbox": f"{iri}/outbox", "followers": f"{iri}/followers",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": f"{iri}#main-key", "owner": iri, "publicKeyPem": public_key_pem(self.keys[name])},
            **self.actor_fields.get(name, {}),
        }

    def handle(self, name: str) -> str:
        return f"@{name}@{self.host}"

    def sign(self, name: str, method: str, url: str, body: bytes | None, headers: dict[str, str] | None = None,
             now: Any = None, key: str | None = None, key_id: str | None = None) -> dict[str, str]:
        """Sign as actor `name`; `key` (a fixture key name) and `key_id` override what a forger would change."""
        from node import clock

        return sign_request(
            method=method, url=url, headers=headers or ({"Content-Type": AS2} if body is not None else {}),
            body=body, key_id=key_id or f"{self.actor_iri(name)}#main-key",
            private_key_pem=fixed_key(key) if key else self.keys[name], now=now or clock.now(),
        )

    def app(self) -> web.Application:
        async def get_actor(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            if name not in self.keys:
                return web.json_response({"error": "gone"}, status=410)
            return web.json_response(self.actor_document(name), content_type=AS2)

        async def get_document(request: web.Request) -> web.Response:
            if request.path in self.statuses:
                return web.json_response({"error": "as configured"}, status=self.statuses[request.path])
            doc = self.documents.get(request.path)
            if doc is None:
                return web.json_response({"error": "not found"}, status=404)
            return web.json_response(doc, content_type=AS2)

        async def post_inbox(request: web.Request) -> web.Response:
            if self.inbox_delay:
                await asyncio.sleep(self.inbox_delay)
            self.inbox.append(Received(request.path_qs, dict(request.headers), await request.read()))
            return web.Response(status=self.inbox_status, headers=self.inbox_headers)

        async def get_webfinger(request: web.Request) -> web.Response:
            resource = request.query.get("resource", "")
            name = resource.removeprefix("acct:").partition("@")[0]
            if resource != f"acct:{name}@{self.host}" or name not in self.keys:
                return web.json_response({"error": "not found"}, status=404)
            links = [{"rel": "self", "type": AS2, "href": self.actor_iri(name)}]
            return web.json_response({"subject": resource, "links": links}, content_type="application/jrd+json")

        @web.middleware
        async def count_gets(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.method == "GET":
                self.get_counts[request.path] = self.get_counts.get(request.path, 0) + 1
            return await handler(request)

        app = web.Application(middlewares=[count_gets])
        app.router.add_get("/users/{name}", get_actor)
        app.router.add_post("/users/{name}/inbox", post_inbox)
        app.router.add_post("/inbox", post_inbox)
        app.router.add_get("/.well-known/webfinger", get_webfinger)
        app.router.add_get("/{tail:.*}", get_document)
        return app


async def start_peer(*names: str) -> Peer:
    """A peer serving on a free loopback port with these actors; close it with `await peer.server.close()`."""
    remote = Peer()
    for name in names:
        remote.add_actor(name)
    server = TestServer(remote.app(), host="127.0.0.1")
    await server.start_server()
    remote.server = server
    return remote
