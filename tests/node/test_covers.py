"""Issue 20 (Look): an item's cover, its first image attachment, on its card and at the top of its page,
always at this node's address (CSP `img-src 'self'`): our uploads as they are, any other server's image
through the image cache at the address of the item that names it; no cover for an item without an image."""

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.drafts import parse_markdown
from node.page_images import image_key
from node.publishing import publish
from tests.node.test_remote_media import PNG, ImageServer, held_item, image, serving
from tests.support.peer import Peer

COVER = re.compile(r'<img src="([^"]*)" class="cover" alt="([^"]*)" lang="([^"]*)"')


async def _publish(client: TestClient, slug: str, attachments: str = "") -> None:
    admin = await get_actor(client.app[DB], "admin")
    assert admin is not None
    await publish(client.app[DB], client.app[URLS], network="reseau", author=admin, draft=parse_markdown(
        f"---\ntype: practice\nslug: {slug}\ntitle: Titre {slug}\nsummary: Résumé.\n{attachments}---\nCorps.\n",
        default_lang="fr"))


async def _html(client: TestClient, path: str) -> str:
    resp = await client.get(path, headers={"Accept": "text/html"})
    assert resp.status == 200, path
    return await resp.text()


async def test_our_item_shows_its_first_image_on_its_card_and_page(client: TestClient) -> None:
    base = client.app[URLS].base
    outside = "https://images.example/carte.png"
    await _publish(client, "avec-image", "attachments:\n"
                   f"  - url: {base}/media/{'a' * 32}.pdf\n    media_type: application/pdf\n    alt: Le guide\n"
                   f"  - url: {base}/media/{'b' * 32}.png\n    alt: Les billets de la monnaie\n"
                   f"  - url: {outside}\n    alt: La carte\n")
    await _publish(client, "sans-image")
    for path in ("/practices", "/"):
        html = await _html(client, path)
        assert COVER.findall(html) == [(f"{base}/media/{'b' * 32}.png", "Les billets de la monnaie", "fr")], path
    page = await _html(client, "/practices/avec-image")
    assert COVER.findall(page) == [(f"{base}/media/{'b' * 32}.png", "Les billets de la monnaie", "fr")]
    # The cover is not repeated among the attachments; the other image is, through the cache, never outside.
    assert page.count(f"/media/{'b' * 32}.png") == 1
    assert f'src="/practices/avec-image/images/{image_key(outside)}"' in page and f'src="{outside}"' not in page
    assert 'class="cover"' not in await _html(client, "/practices/sans-image")


async def test_an_outside_first_image_is_the_cover_through_the_cache(client: TestClient) -> None:
    outside = "https://images.example/carte.png"
    await _publish(client, "dehors", f"attachments:\n  - url: {outside}\n    alt: La carte\n")
    [(src, alt, _lang)] = COVER.findall(await _html(client, "/practices"))
    assert (src, alt) == (f"/practices/dehors/images/{image_key(outside)}", "La carte")


@pytest.fixture
async def images() -> AsyncIterator[ImageServer]:
    async with serving(ImageServer()) as found:
        yield found


async def test_a_peers_cover_is_served_from_here(client: TestClient, peer: Peer, images: ImageServer) -> None:
    path = await held_item(client, peer, [image(images.url("/doc.pdf"), "Document", "application/pdf"),
                                          image(images.url("/pic.png"))])
    card = COVER.findall(await _html(client, "/practices"))
    assert card == [(f"{path}/images/{image_key(images.url('/pic.png'))}", "Une photo", "fr")]
    served = await client.get(card[0][0])
    assert served.status == 200 and await served.read() == PNG
    page = await _html(client, path)
    assert COVER.findall(page) == [(f"{path}/media/1", "Une photo", "fr")]
    assert images.url("/pic.png") not in page and images.url("/pic.png") not in await _html(client, "/practices")
