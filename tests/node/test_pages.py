"""The remaining public endpoints: home page, tag pages, our activities (dereferenceable when public),
health check, static files, and the headers every response carries."""

import pytest
from aiohttp.test_utils import TestClient

from node.appkeys import DB
from tests.support.node import follow_network, publish_practice
from tests.support.peer import AS2, Peer

BASE = "http://node.test"
PRACTICE = f"{BASE}/practices/monnaie-locale"


async def test_home_lists_the_latest_publications(client: TestClient) -> None:
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    html = await resp.text()
    assert "Rien n’a encore été publié." in html  # the node's default language
    assert '<code class="handle" id="handle">@reseau@node.test</code>' in html
    assert f'<link rel="alternate" type="application/activity+json" href="{BASE}/users/reseau">' in html

    await publish_practice(client.app, "premiere", title="Première")
    await publish_practice(client.app, "seconde", title="Seconde")
    html = await (await client.get("/")).text()
    assert html.index(f'<a href="{BASE}/practices/seconde">Seconde</a>') < html.index(
        f'<a href="{BASE}/practices/premiere">Première</a>')
    assert "Rien n’a encore été publié." not in html


async def test_pages_escape_what_organizers_write(client: TestClient) -> None:
    await publish_practice(client.app, title='"<script>alert(1)</script>"', summary='"<img src=x onerror=alert(1)>"',
                           body="<script>alert(2)</script> *ok*")
    for path in ("/", "/practices/monnaie-locale", "/users/admin", "/tags/social-currency"):
        html = await (await client.get(path)).text()
        assert "<script>" not in html and "<img src=x" not in html, path
    page = await (await client.get("/practices/monnaie-locale")).text()
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert "<em>ok</em>" in page


@pytest.mark.parametrize("path", ["/tags/social-currency", "/tags/Social-Currency"])
async def test_tag_page_lists_tagged_publications(client: TestClient, path: str) -> None:
    await publish_practice(client.app, title="Une monnaie locale")
    await publish_practice(client.app, "autre", title="Autre chose", themes="[fair-trade]")
    resp = await client.get(path)
    assert resp.status == 200
    html = await resp.text()
    assert "<h1>#social-currency</h1>" in html
    assert f'<a href="{PRACTICE}">Une monnaie locale</a>' in html
    assert "Autre chose" not in html


async def test_tag_page_without_publications(client: TestClient) -> None:
    html = await (await client.get("/tags/nothing", headers={"Accept-Language": "en"})).text()
    assert "Nothing tagged #nothing yet." in html


async def test_public_activities_are_dereferenceable(client: TestClient) -> None:
    result = await publish_practice(client.app)
    for iri in result.activity_iris:
        resp = await client.get(iri.removeprefix(BASE), headers={"Accept": AS2})
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
        doc = await resp.json(content_type=None)
        assert doc["id"] == iri
    create, announce = [await (await client.get(i.removeprefix(BASE))).json(content_type=None)
                        for i in result.activity_iris]
    assert (create["type"], create["object"]["id"]) == ("Create", PRACTICE)
    assert (announce["type"], announce["object"]) == ("Announce", PRACTICE)


async def test_activities_addressed_to_one_actor_are_not_shown(client: TestClient, peer: Peer) -> None:
    await follow_network(client, peer, "alice")
    accept_iri = peer.inbox[-1].json["id"]
    assert await client.app[DB].fetch_value("SELECT count(*) FROM activities WHERE iri = ?", (accept_iri,)) == 1
    resp = await client.get(accept_iri.removeprefix(BASE))
    assert resp.status == 404
    assert await resp.json() == {"error": "no such activity"}
    resp = await client.get("/activities/00000000-0000-0000-0000-000000000000")
    assert (resp.status, await resp.json()) == (404, {"error": "no such activity"})


async def test_healthz(client: TestClient) -> None:
    resp = await client.get("/healthz")
    assert (resp.status, await resp.json()) == (200, {"status": "ok"})


async def test_static_files_are_served(client: TestClient) -> None:
    resp = await client.get("/static/maillage.css")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/css")
    assert (await client.get("/static/../node/app.py")).status in (403, 404)


@pytest.mark.parametrize("path", ["/", "/users/reseau", "/actor", "/.well-known/nodeinfo", "/healthz"])
async def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    resp = await client.get(path)
    assert resp.status == 200
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    if resp.headers["Content-Type"].startswith("text/html"):
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/nothing/here", "/users/reseau/nothing", "/users/nobody"])
async def test_unknown_path_is_404_with_the_security_headers(client: TestClient, path: str) -> None:
    resp = await client.get(path)
    assert resp.status == 404
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
