"""Error pages: a browser gets a page in its reader's language with the right status (and `Allow`,
`Retry-After`), the CSP and no detail of the error; ActivityPub and JSON clients keep their errors."""

import io
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from node.app import create_app
from node.config import Config
from tests.support.peer import AS2

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret detail /etc/passwd in a traceback")


async def _forbidden(request: web.Request) -> web.Response:
    raise web.HTTPForbidden(text='{"error": "not yours"}', content_type="application/json")


async def _slow_down(request: web.Request) -> web.Response:
    raise web.HTTPTooManyRequests(headers={"Retry-After": "30"}, text="slow down")


async def _form_error(request: web.Request) -> web.Response:
    return web.Response(text="<p>the form, with its message</p>", status=400, content_type="text/html")


@pytest.fixture
async def pages(node_config: Config) -> AsyncIterator[TestClient]:
    app = create_app(node_config, workers=False)
    app.router.add_get("/test/boom", _boom)
    app.router.add_get("/test/forbidden", _forbidden)
    app.router.add_get("/test/slow", _slow_down)
    app.router.add_get("/test/form", _form_error)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(("lang", "title", "text"), [
    ("en", "Page not found", "There is nothing at this address."),
    ("fr", "Page introuvable", "Il n’y a rien à cette adresse."),
    ("es", "Página no encontrada", "No hay nada en esta dirección."),
])
async def test_a_browser_gets_a_404_page_in_its_language(pages: TestClient, lang: str, title: str, text: str) -> None:
    resp = await pages.get("/no/such/page", headers={"Accept": BROWSER, "Accept-Language": lang})
    assert resp.status == 404
    assert resp.content_type == "text/html"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    html = await resp.text()
    assert f'<html lang="{lang}">' in html
    assert f'<h1 id="error-title">{title}</h1>' in html
    assert text in html
    assert '<a href="/search">' in html and '<main id="main"' in html


async def test_the_language_switcher_works_on_an_error_page(pages: TestClient) -> None:
    resp = await pages.get("/no/such/page?lang=es", headers={"Accept": BROWSER, "Accept-Language": "fr"})
    assert resp.status == 404
    assert '<html lang="es">' in await resp.text()


async def test_machines_keep_their_errors(pages: TestClient) -> None:
    resp = await pages.get("/practices/nothing-here", headers={"Accept": AS2})
    assert (resp.status, resp.content_type) == (404, "application/json")
    assert await resp.json() == {"error": "no such object"}
    resp = await pages.get("/users/nobody", headers={"Accept": "application/ld+json"})
    assert (resp.status, resp.content_type) == (404, "application/json")
    for accept in ("*/*", "application/json", "application/json, text/html;q=0.5"):
        resp = await pages.get("/no/such/page", headers={"Accept": accept})
        assert resp.status == 404 and resp.content_type != "text/html", accept


async def test_a_json_error_reaching_a_browser_becomes_a_page(pages: TestClient) -> None:
    resp = await pages.get("/users/nobody", headers={"Accept": BROWSER})
    assert (resp.status, resp.content_type) == (404, "text/html")
    resp = await pages.get("/activities/nothing", headers={"Accept": BROWSER, "Accept-Language": "fr"})
    assert resp.status == 404 and "Page introuvable" in await resp.text()


async def test_a_crash_shows_no_detail(pages: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    resp = await pages.get("/test/boom", headers={"Accept": BROWSER, "Accept-Language": "en"})
    assert (resp.status, resp.content_type) == (500, "text/html")
    html = await resp.text()
    assert "Something went wrong" in html
    assert "secret" not in html and "Traceback" not in html and "RuntimeError" not in html
    assert "secret detail" in caplog.text  # the log has it
    resp = await pages.get("/test/boom", headers={"Accept": AS2})
    assert resp.status == 500 and await resp.json() == {"error": "internal error"}


async def test_403_405_413_429_pages(pages: TestClient) -> None:
    headers = {"Accept": BROWSER, "Accept-Language": "fr"}
    resp = await pages.get("/test/forbidden", headers=headers)
    assert resp.status == 403 and "Accès refusé" in await resp.text()
    resp = await pages.post("/test/forbidden", headers=headers)  # no CSRF token: refused before the handler
    assert resp.status in (403, 405) and "<html" in await resp.text()
    resp = await pages.post("/", headers=headers)
    assert resp.status == 405 and "Impossible ici" in await resp.text()
    assert "GET" in resp.headers["Allow"]
    resp = await pages.post("/inbox", data=io.BytesIO(b"x" * 1_100_000),  # no CSRF there
                            headers={**headers, "Content-Type": "application/activity+json"})
    assert resp.status == 413 and "Trop volumineux" in await resp.text()
    resp = await pages.get("/test/slow", headers=headers)
    assert resp.status == 429 and "Trop de requêtes" in await resp.text()
    assert resp.headers["Retry-After"] == "30"


async def test_pages_that_are_already_html_are_left_alone(pages: TestClient) -> None:
    resp = await pages.get("/test/form", headers={"Accept": BROWSER})
    assert resp.status == 400 and await resp.text() == "<p>the form, with its message</p>"
