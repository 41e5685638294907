"""Images of peers' items served from this node (node/remote_media.py): fetched once from their server,
checked by their bytes, kept in a bounded cache; only the images an item we hold names; the page links
them here, so a reader's browser never contacts another server."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node import remote_content, remote_media
from node.appkeys import CONFIG, DB
from tests.node.test_remote_content import peer_object
from tests.support.peer import Peer

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
GIF = b"GIF89a" + b"\1" * 200


class ImageServer:
    """A peer's media server on loopback, counting what it is asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.server: TestServer | None = None

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}{path}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.asked.append(request.path)
        if request.path == "/moved.gif":
            raise web.HTTPFound("/pic.gif")
        bodies = {"/pic.png": (PNG, "image/png"), "/pic.gif": (GIF, "image/gif"),
                  "/page.png": (b"<html><script>alert(1)</script></html>", "image/png")}
        if request.path not in bodies:
            raise web.HTTPNotFound()
        body, kind = bodies[request.path]
        return web.Response(body=body, content_type=kind)


S = TypeVar("S", bound=ImageServer)


@contextlib.asynccontextmanager
async def serving(found: S) -> AsyncIterator[S]:
    """`found` (an ImageServer, or one answering otherwise) on a port of 127.0.0.1 while the block runs."""
    app = web.Application()
    app.router.add_get("/{name}", found.handle)
    found.server = TestServer(app, host="127.0.0.1")
    await found.server.start_server()
    try:
        yield found
    finally:
        await found.server.close()


@pytest.fixture
async def images() -> AsyncIterator[ImageServer]:
    async with serving(ImageServer()) as found:
        yield found


def image(url: str, kind: str = "Image", media_type: str = "image/png") -> dict[str, Any]:
    return {"type": kind, "mediaType": media_type, "url": url, "name": "Une photo"}


async def held_item(client: TestClient, peer: Peer, attachments: list[dict[str, Any]]) -> str:
    """A peer's practice with these attachments, stored; returns its page's path here."""
    document = peer_object(peer, "practice", slug="luciole")
    document["attachment"] = attachments
    async with client.app[DB].transaction() as tx:
        assert await remote_content.store(tx, document)
        content_id = await tx.fetch_value("SELECT id FROM remote_content WHERE iri = ?", (document["id"],))
    return f"/remote/{content_id}"


async def test_an_image_is_fetched_once_checked_and_served_from_here(client: TestClient, peer: Peer,
                                                                   images: ImageServer) -> None:
    path = await held_item(client, peer, [image(images.url("/pic.png")),
                                          image(images.url("/doc.pdf"), "Document", "application/pdf"),
                                          image(images.url("/page.png")), image(images.url("/moved.gif")),
                                          image(images.url("/gone.png"))])
    html = await (await client.get(path, headers={"Accept": "text/html"})).text()
    assert f'<img src="{path}/media/0"' in html and images.url("/pic.png") not in html
    assert f'href="{images.url("/doc.pdf")}"' in html  # a document stays a link to its origin
    for _ in range(2):
        resp = await client.get(f"{path}/media/0")
        assert resp.status == 200 and resp.headers["Content-Type"] == "image/png" and await resp.read() == PNG
        assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert images.asked == ["/pic.png"]  # the second from the cache
    assert (await client.get(f"{path}/media/1")).status == 404  # not an image
    assert (await client.get(f"{path}/media/2")).status == 502  # HTML calling itself image/png: refused
    moved = await client.get(f"{path}/media/3")
    assert moved.status == 200 and moved.headers["Content-Type"] == "image/gif"
    assert (await client.get(f"{path}/media/4")).status == 404  # gone at its origin
    assert (await client.get(f"{path}/media/5")).status == 404  # no such attachment
    assert (await client.get("/remote/999999/media/0")).status == 404
    kept = remote_media.cache_dir(client.app[CONFIG].data_dir)
    assert sorted(p.read_bytes() for p in kept.iterdir()) == sorted([PNG, GIF])  # one file each, nothing else


async def test_the_cache_keeps_the_most_recently_used_within_its_bound(client: TestClient, peer: Peer,
                                                                      images: ImageServer,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_media, "MAX_CACHE_BYTES", len(PNG) + len(GIF) - 1)  # room for one of them
    path = await held_item(client, peer, [image(images.url("/pic.png")), image(images.url("/pic.gif"))])
    assert (await client.get(f"{path}/media/0")).status == 200
    assert (await client.get(f"{path}/media/1")).status == 200  # the PNG makes room
    assert (await client.get(f"{path}/media/1")).status == 200
    assert (await client.get(f"{path}/media/0")).status == 200
    assert images.asked == ["/pic.png", "/pic.gif", "/pic.png"]
