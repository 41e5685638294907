"""Remote images (issue 16: "a remote <img> in a comment: served and loaded by readers' browsers"): an
image another server names (in a comment, a reply, a message to the desk, a peer's item) never reaches a
reader's page at its own address. Pages name only this node's images: those it serves from its cache
(node/remote_media.py), by the stored object that names them and the image's key, or a link in its place;
the CSP lets a browser load images from this node only. A loopback stub server counts what it is asked for:
a reader's page load asks it nothing, the node's own fetch asks once."""

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from node.appkeys import DB, URLS
from node.page_images import place_images
from node.render import sanitize
from tests.node.conftest import organizer_client
from tests.node.test_remote_content import TEXTS, peer_object
from tests.node.test_remote_media import PNG, ImageServer, serving
from tests.security.test_headers import directives
from tests.support.desk import ORGANIZER
from tests.support.html_safety import active_content, payloads
from tests.support.node import PUBLIC, activity, follows_peer, handled, publish_practice
from tests.support.peer import Peer

PRACTICE = "/practices/monnaie-locale"
BASE = "http://node.test"
__all__ = ["organizer_client"]  # the node tests' fixture: a node whose client is logged in as an organizer


class Tracker(ImageServer):
    """Another server whose images track who loads them: it answers a PNG and notes each request."""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.asked.append(request.path)
        if request.path.startswith("/slow"):
            await asyncio.sleep(0.3)
        if request.path.startswith("/page"):  # a page calling itself an image
            return web.Response(body=b"<html>not an image</html>", content_type="image/png")
        if not request.path.endswith(".png"):
            raise web.HTTPNotFound()
        return web.Response(body=PNG, content_type="image/png")


@pytest.fixture
async def tracker() -> AsyncIterator[Tracker]:
    async with serving(Tracker()) as found:
        yield found


class _Sources(HTMLParser):
    """Every address a browser would load an image (or any embedded resource) from: src and srcset."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "src" and value is not None:
                self.found.append(value)
            elif name == "srcset" and value is not None:
                self.found.extend(part.split()[0] for part in value.split(",") if part.strip())

    handle_startendtag = handle_starttag


def sources(html: str) -> list[str]:
    parser = _Sources()
    parser.feed(html)
    parser.close()
    return parser.found


def outside(html: str, base: str) -> list[str]:
    """The sources of the page that are not this node's: any absolute or scheme-relative address elsewhere."""
    return [s for s in sources(html) if "//" in s and not s.startswith(f"{base}/")]


async def reader_loads(client: TestClient, path: str, **headers: str) -> tuple[str, ClientResponse]:
    """A reader's browser: the page, then every image it names (ours all: the page names no other)."""
    resp = await client.get(path, headers={"Accept": "text/html", **headers})
    assert resp.status == 200, (path, resp.status)
    html = await resp.text()
    assert outside(html, client.app[URLS].base) == [], path
    img_src = directives(resp.headers["Content-Security-Policy"])["img-src"].split()
    assert img_src in (["'self'"], ["'self'", "data:"]), img_src  # no https:, no http:, no *: this node only
    for src in sources(html):
        if not src.startswith("/static/"):
            image = await client.get(src)
            assert image.status == 200 and image.headers["Content-Type"] == "image/png", src
            assert await image.read() == PNG
    return html, resp


def note(peer: Peer, name: str, number: int, content: str, in_reply_to: str, **fields: Any) -> dict[str, Any]:
    return {"id": f"{peer.base}/notes/{number}", "type": "Note", "attributedTo": peer.actor_iri(name),
            "inReplyTo": in_reply_to, "content": content, "to": [PUBLIC], "published": "2026-05-01T10:00:00Z",
            **fields}


async def test_a_remote_comment_and_a_reply_show_their_images_from_this_node_only(
        client: TestClient, peer: Peer, tracker: Tracker) -> None:
    await publish_practice(client.app)
    base = client.app[URLS].base
    peer.add_actor("bob")
    comment = note(peer, "alice", 1, f'<p>Bravo <img src="{tracker.url("/track.png")}" alt="a pixel"></p>',
                   f"{base}{PRACTICE}")
    reply = note(peer, "bob", 2, f'<p>Merci <img src="{tracker.url("/reply.png")}" alt="">'
                                 f' <img src="/desk/comments" alt="ours"></p>', comment["id"])
    for name, doc in (("alice", comment), ("bob", reply)):
        assert await handled(client, peer, name, activity(peer, name, "Create", doc)) == "done"
    html, _ = await reader_loads(client, PRACTICE)
    assert "Bravo" in html and "Merci" in html and 'alt="a pixel"' in html
    assert "/desk/comments" not in sources(html)  # a relative address in a remote post: not loaded here either
    assert sorted(tracker.asked) == ["/reply.png", "/track.png"]  # the node's own fetch, once each
    await reader_loads(client, PRACTICE)
    await reader_loads(client, PRACTICE, **{"Accept-Language": "en"})
    assert sorted(tracker.asked) == ["/reply.png", "/track.png"]  # from the cache since


async def test_a_message_and_a_comment_on_the_desk_name_no_image_elsewhere(
        organizer_client: TestClient, peer: Peer, tracker: Tracker) -> None:
    urls = organizer_client.app[URLS]
    olga = urls.actor(ORGANIZER)
    await publish_practice(organizer_client.app, author=ORGANIZER)
    message = note(peer, "alice", 1, f'<p>Bonjour <img src="{tracker.url("/message.png")}" alt="mon logo"></p>',
                   "", to=[PUBLIC, olga], tag=[{"type": "Mention", "href": olga}])
    del message["inReplyTo"]
    comment = note(peer, "alice", 2, f'<p>Bravo <img src="{tracker.url("/comment.png")}" alt=""></p>',
                   f"{urls.base}{PRACTICE}")
    for doc in (message, comment):
        assert await handled(organizer_client, peer, "alice", activity(peer, "alice", "Create", doc)) == "done"
    html, _ = await reader_loads(organizer_client, "/desk/comments")
    assert "Bonjour" in html and "Bravo" in html
    # A message (to the desk only, maybe private) shows its image as a link, with its alt text.
    assert f'<a href="{tracker.url("/message.png")}" rel="nofollow noopener noreferrer">mon logo</a>' in html
    assert tracker.asked == ["/comment.png"]  # the approved comment's, through the cache as on its page


async def test_a_peers_item_shows_the_images_of_its_text_from_this_node_only(
        client: TestClient, peer: Peer, tracker: Tracker) -> None:
    await follows_peer(client.app, peer)
    body = f'<p>Le récit. <img src="{tracker.url("/body.png")}" alt="la halle"></p>'
    obj = peer_object(peer, "practice", translations=(dataclasses.replace(TEXTS[0], content_html=body), TEXTS[1]))
    del obj["attachment"]  # images elsewhere (an unknown host), served by /remote/ID/media/N: tests/node
    obj["results"]["en"] = f'<p>Results <img src="{tracker.url("/results.png")}" alt="a chart"></p>'
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", obj)) == "done"
    content_id = await client.app[DB].fetch_value("SELECT id FROM remote_content WHERE iri = ?", (obj["id"],))
    await reader_loads(client, f"/remote/{content_id}?lang=fr")
    await reader_loads(client, f"/remote/{content_id}?lang=en")
    assert sorted(tracker.asked) == ["/body.png", "/results.png"]


async def test_the_cache_serves_only_images_a_shown_object_names(
        client: TestClient, peer: Peer, tracker: Tracker) -> None:
    """Not an open proxy: an image's address is good for the object that names it, while it is shown."""
    await publish_practice(client.app)
    comment = note(peer, "alice", 1, f'<p><img src="{tracker.url("/track.png")}" alt=""></p>',
                   f"{client.app[URLS].base}{PRACTICE}")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", comment)) == "done"
    [shown] = [s for s in sources(await (await client.get(PRACTICE)).text()) if s.startswith("/comments/")]
    _, _, comment_id, _, key = shown.split("/")
    for path in (f"/comments/{comment_id}/images/{'0' * len(key)}", f"/comments/{int(comment_id) + 1}/images/{key}",
                 f"/remote/{comment_id}/images/{key}", f"{PRACTICE}/images/{key}"):
        assert (await client.get(path)).status == 404, path
    assert tracker.asked == []
    assert (await client.get(shown)).status == 200
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE comments SET state = 'held' WHERE id = ?", (int(comment_id),))
    assert (await client.get(shown)).status == 404  # no longer shown: its images neither
    assert tracker.asked == ["/track.png"]


async def test_our_items_show_images_elsewhere_from_this_node_a_bio_as_a_link(
        client: TestClient, tracker: Tracker) -> None:
    """The CSP no longer lets a page load another server's image: an organizer's own items name theirs
    through the cache too (their attachments, their text), what is not cached becomes a link."""
    await publish_practice(client.app, body=f"Le récit ![un graphique]({tracker.url('/chart.png')})")
    await reader_loads(client, PRACTICE)
    assert tracker.asked == ["/chart.png"]
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE actors SET summary = ? WHERE username = 'admin'",
                         (f'<p>Moi <img src="{tracker.url("/me.png")}" alt="mon portrait"></p>',))
    html, _ = await reader_loads(client, "/users/admin")
    assert f'<a href="{tracker.url("/me.png")}" rel="nofollow noopener noreferrer">mon portrait</a>' in html
    assert tracker.asked == ["/chart.png"]


async def test_readers_at_once_and_a_broken_image_cost_the_other_server_one_request(
        client: TestClient, peer: Peer, tracker: Tracker) -> None:
    """A page naming a slow, broken or hostile image does not make the node ask its server once per reader."""
    await publish_practice(client.app)
    comment = note(peer, "alice", 1, f'<p><img src="{tracker.url("/slow.png")}" alt="">'
                                     f'<img src="{tracker.url("/page.png")}" alt=""></p>',
                   f"{client.app[URLS].base}{PRACTICE}")
    assert await handled(client, peer, "alice", activity(peer, "alice", "Create", comment)) == "done"
    slow, broken = [s for s in sources(await (await client.get(PRACTICE)).text()) if s.startswith("/comments/")]
    answers = await asyncio.gather(*(client.get(slow) for _ in range(5)))
    assert [a.status for a in answers] == [200] * 5
    assert [(await client.get(broken)).status for _ in range(3)] == [502] * 3
    assert tracker.asked == ["/slow.png", "/page.png"]


@pytest.mark.parametrize("payload", payloads())
def test_a_page_with_any_payload_stays_inert_and_names_no_image_elsewhere(payload: str) -> None:
    for at in ("/comments/1/images/", None):
        shown = place_images(sanitize(f"<p>{payload}</p><a href='https://x.example/'>{payload}</a>"), BASE, at)
        assert active_content(shown) == []
        assert outside(shown, BASE) == []


def test_every_template_prints_html_through_the_images_filter() -> None:
    """HTML a template prints as is (`| safe`) goes through `images` first: a new page showing remote
    HTML cannot name another server's image by forgetting it. Two exceptions: form attributes (no HTML),
    and the desk's preview, which is the item's page template rendered (node/web/preview.py), itself
    held by this test."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    rendered_by_checked_templates = {"attrs|safe", "preview | safe"}
    unfiltered = [f"{path.relative_to(templates)}: {expr}" for path in sorted(templates.rglob("*.html"))
                  for expr in re.findall(r"\{\{([^}]*\|\s*safe)\s*\}\}", path.read_text(encoding="utf-8"))
                  if not re.search(r"\|\s*images\b", expr) and expr.strip() not in rendered_by_checked_templates]
    assert unfiltered == []
