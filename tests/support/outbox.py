"""A loopback peer that publishes like a Maillage network: a Group with an outbox of N pages (Announces
by IRI, Creates with the object embedded, and the odd activity a backfill must skip), the objects
themselves, NodeInfo and a `following` collection. It records every GET and how many were in flight at
once, so tests can see what a backfill asked for and how politely."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.support.peer import Peer

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class OutboxPeer(Peer):
    requests: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    latency: float = 0.0  # seconds each GET takes, to see concurrency

    def app(self) -> web.Application:
        app = super().app()

        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.method == "GET":
                self.requests.append(request.path_qs)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    await asyncio.sleep(self.latency)
                    return await handler(request)
                finally:
                    self.in_flight -= 1
            return await handler(request)

        app.middlewares.append(record)
        return app

    def gets(self, prefix: str) -> list[str]:
        return [r for r in self.requests if r.startswith(prefix)]

    def article(self, author: str, slug: str, title: str = "", **fields: Any) -> dict[str, Any]:
        """A practice write-up in French and English, served at /practices/SLUG."""
        iri = f"{self.base}/practices/{slug}"
        doc = {"@context": AS_CONTEXT, "id": iri, "type": "Article", "attributedTo": self.actor_iri(author),
               "name": title or f"Pratique {slug}", "nameMap": {"fr": title or f"Pratique {slug}",
                                                               "en": f"Practice {slug}"},
               "content": "<p>Le récit.</p>", "contentMap": {"fr": "<p>Le récit.</p>", "en": "<p>The story.</p>"},
               "summary": "Résumé", "url": iri, "published": "2027-01-10T09:00:00Z", "to": [PUBLIC],
               "audience": self.actor_iri("reseau"), **fields}
        self.documents[f"/practices/{slug}"] = doc
        return doc

    def publish_outbox(self, group: str, items: list[Any], page_size: int) -> list[str]:
        """Serve `items` (newest first) as the Group's outbox: a head, then pages at /outbox/page/N.
        Returns the page paths."""
        outbox = f"{self.actor_iri(group)}/outbox"
        paths = [f"/users/{group}/outbox/page/{n}" for n in range(1, (len(items) + page_size - 1) // page_size + 1)]
        self.documents[f"/users/{group}/outbox"] = {
            "@context": AS_CONTEXT, "id": outbox, "type": "OrderedCollection", "totalItems": len(items),
            "first": f"{self.base}{paths[0]}" if paths else None}
        for n, path in enumerate(paths):
            page: dict[str, Any] = {"@context": AS_CONTEXT, "id": f"{self.base}{path}", "type": "OrderedCollectionPage",
                                    "partOf": outbox, "orderedItems": items[n * page_size:(n + 1) * page_size]}
            if n + 1 < len(paths):
                page["next"] = f"{self.base}{paths[n + 1]}"
            self.documents[path] = page
        return paths

    def announce(self, group: str, object_iri: str, number: int) -> dict[str, Any]:
        return {"id": f"{self.actor_iri(group)}/activities/a{number}", "type": "Announce",
                "actor": self.actor_iri(group), "object": object_iri, "to": [PUBLIC]}

    def create(self, author: str, obj: dict[str, Any], number: int) -> dict[str, Any]:
        return {"id": f"{self.actor_iri(author)}/activities/c{number}", "type": "Create",
                "actor": self.actor_iri(author), "object": {k: v for k, v in obj.items() if k != "@context"},
                "to": [PUBLIC]}

    def serve_nodeinfo(self, name: str, languages: list[str], posts: int, network: str | None = None) -> None:
        self.documents["/.well-known/nodeinfo"] = {"links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": f"{self.base}/nodeinfo/2.1"}]}
        self.documents["/nodeinfo/2.1"] = {
            "version": "2.1", "software": {"name": "maillage", "version": "0.1.0"}, "protocols": ["activitypub"],
            "usage": {"users": {"total": 2}, "localPosts": posts},
            "metadata": {"nodeName": name, "languages": languages,
                         **({"network": f"@{network}@{self.host}"} if network else {})}}

    def serve_following(self, name: str, followed: list[str]) -> None:
        """`/users/NAME/following`: a head and one page, as Maillage serves it."""
        iri = f"{self.actor_iri(name)}/following"
        self.actor_fields.setdefault(name, {})["following"] = iri
        self.documents[f"/users/{name}/following"] = {"@context": AS_CONTEXT, "id": iri, "type": "OrderedCollection",
                                                      "totalItems": len(followed), "first": f"{iri}/page"}
        self.documents[f"/users/{name}/following/page"] = {
            "@context": AS_CONTEXT, "id": f"{iri}/page", "type": "OrderedCollectionPage", "partOf": iri,
            "orderedItems": followed}


async def start_outbox_peer(*names: str) -> OutboxPeer:
    remote = OutboxPeer()
    for name in names:
        remote.add_actor(name)
    server = TestServer(remote.app(), host="127.0.0.1")
    await server.start_server()
    remote.server = server
    return remote
