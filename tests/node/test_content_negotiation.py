"""One IRI per thing: ActivityPub clients get AS2 JSON, browsers get HTML, decided by Accept with
q-values; both representations say `Vary: Accept` so no cache hands one to the other."""

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB
from tests.support.node import get_as2, publish_practice
from tests.support.peer import AS2

BASE = "http://node.test"
GROUP = f"{BASE}/users/reseau"
PRACTICE = f"{BASE}/practices/monnaie-locale"
LD_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

JSON_ACCEPTS = [
    AS2,
    LD_PROFILE,
    "application/ld+json",
    f"{AS2}, {LD_PROFILE}",
    f"text/html;q=0.9, {AS2}",
    f"{AS2};q=0.5, text/html;q=0.5",
    "APPLICATION/ACTIVITY+JSON",
]
HTML_ACCEPTS = [
    "",
    "text/html",
    FIREFOX,
    "*/*",
    f"{AS2};q=0.1, text/html",
    f"{AS2};q=0",
    f"{AS2};q=abc",
    "application/xhtml+xml",
]


@pytest.fixture
async def published(client: TestClient) -> str:
    result = await publish_practice(client.app, title="Une monnaie locale", summary="Deux phrases.")
    assert result.iri == PRACTICE
    return result.iri


def alternate_link(iri: str) -> str:
    return f'<link rel="alternate" type="application/activity+json" href="{iri}">'


@pytest.mark.parametrize("iri", [GROUP, PRACTICE])
@pytest.mark.parametrize("accept", JSON_ACCEPTS)
async def test_activitypub_clients_get_as2(client: TestClient, published: str, iri: str, accept: str) -> None:
    resp = await get_as2(client, iri, accept)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert resp.headers["Vary"] == "Accept"
    doc = await resp.json(content_type=None)
    assert doc["id"] == iri


@pytest.mark.parametrize("iri", [GROUP, PRACTICE])
@pytest.mark.parametrize("accept", HTML_ACCEPTS)
async def test_browsers_get_html_with_an_alternate_link(client: TestClient, published: str, iri: str,
                                                        accept: str) -> None:
    resp = await get_as2(client, iri, accept)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    # The page also depends on the reader's language (Accept-Language, the `lang` cookie).
    assert resp.headers["Vary"] == "Accept, Accept-Language, Cookie"
    html = await resp.text()
    assert alternate_link(iri) in html


async def test_object_as2_document(client: TestClient, published: str) -> None:
    doc = await (await get_as2(client, PRACTICE)).json(content_type=None)
    assert doc["type"] == "Article"
    assert doc["attributedTo"] == f"{BASE}/users/admin"
    assert doc["name"] == "Une monnaie locale"
    assert doc["summary"] == "#SocialCurrency — Deux phrases."  # the teaser Mastodon shows, its hashtag whole
    assert doc["nameMap"] == {"fr": "Une monnaie locale"}
    assert doc["url"] == PRACTICE
    assert doc["audience"] == GROUP
    assert doc["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert doc["cc"] == [f"{BASE}/users/admin/followers", f"{GROUP}/followers"]
    assert doc["tag"] == [{"type": "Hashtag", "name": "#SocialCurrency", "href": f"{BASE}/tags/SocialCurrency"}]


async def test_object_page_shows_the_write_up(client: TestClient, published: str) -> None:
    resp = await get_as2(client, PRACTICE, "text/html")
    html = await resp.text()
    assert "<h1>Une monnaie locale</h1>" in html
    assert "<p>Le <strong>récit</strong> complet.</p>" in html
    assert f'<a href="{BASE}/tags/social-currency">#social-currency</a>' in html
    assert "Pas encore de commentaire." in html  # the node's default language, French
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_actor_page_lists_the_groups_publications(client: TestClient, published: str) -> None:
    resp = await get_as2(client, GROUP, "text/html")
    html = await resp.text()
    assert '<code class="handle" id="handle">@reseau@node.test</code>' in html
    assert f'<a href="{PRACTICE}">Une monnaie locale</a>' in html
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(("accept", "content_type", "body"), [
    (AS2, "application/json", '{"error": "no such object"}'),
    ("text/html", "text/html", '<h1 id="error-title">Page introuvable</h1>'),  # the error page (node/web/errors.py)
    ("*/*", "text/plain", "Not found"),
])
async def test_unknown_object_is_404_in_the_asked_form(client: TestClient, accept: str, content_type: str,
                                                       body: str) -> None:
    resp = await get_as2(client, f"{BASE}/practices/nothing-here", accept)
    assert resp.status == 404
    assert resp.headers["Content-Type"].startswith(content_type)
    assert body in await resp.text()


@pytest.mark.parametrize("path", ["/journeys/monnaie-locale", "/outcomes/monnaie-locale"])
async def test_a_slug_belongs_to_its_kind(client: TestClient, published: str, path: str) -> None:
    resp = await get_as2(client, f"{BASE}{path}")
    assert resp.status == 404


async def test_deleted_object_is_a_410_tombstone(client: TestClient, published: str) -> None:
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE objects SET deleted_at = '2026-01-02T03:04:05Z' WHERE iri = ?", (PRACTICE,))
    resp = await get_as2(client, PRACTICE)
    assert resp.status == 410
    assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert await resp.json(content_type=None) == {
        "@context": "https://www.w3.org/ns/activitystreams", "id": PRACTICE, "type": "Tombstone",
        "formerType": "Article", "deleted": "2026-01-02T03:04:05Z"}
    page = await get_as2(client, PRACTICE, "text/html")
    assert page.status == 410
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = await page.text()
    assert "Cette page a été supprimée" in html and "Une monnaie locale" not in html


async def test_translation_page_by_lang_parameter(client: TestClient, published: str) -> None:
    await publish_practice(client.app, lang="en", title="A local currency", summary="Two sentences.",
                           body="The full *story*.")
    html_en = await (await get_as2(client, f"{PRACTICE}?lang=en", "text/html")).text()
    assert "<h1>A local currency</h1>" in html_en and "<p>The full <em>story</em>.</p>" in html_en
    assert '<a href="?lang=fr" hreflang="fr" lang="fr" rel="alternate">Français</a>' in html_en
    not_kept = await (await get_as2(client, PRACTICE, "text/html")).text()  # a text's language is not remembered
    assert "<h1>Une monnaie locale</h1>" in not_kept
    client.session.cookie_jar.clear()
    html_default = await (await get_as2(client, PRACTICE, "text/html")).text()
    assert "<h1>Une monnaie locale</h1>" in html_default
    doc = await (await get_as2(client, PRACTICE)).json(content_type=None)
    assert doc["nameMap"] == {"en": "A local currency", "fr": "Une monnaie locale"}
    assert doc["name"] == "Une monnaie locale"
