"""The public site's list pages over HTTP: home (description, charter, follow box, next journeys, latest
items), the practices library and its filters, the journeys calendar (upcoming/past, .ics), outcomes,
profiles; in the reader's language; a page costs the same number of queries whatever its length."""

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import clock
from node.appkeys import DB, SETTINGS
from tests.support.node import publish_practice
from tests.support.showcase import JOURNEY_SLUG, OUTCOME_SLUG, PAST_JOURNEY_SLUG, PRACTICE_SLUG, seed

BASE = "http://node.test"


@pytest.fixture
async def site(client: TestClient) -> TestClient:
    await seed(client.app, "reseau")
    return client


async def _page(client: TestClient, path: str, lang: str = "en") -> str:
    resp = await client.get(path, headers={"Accept": "text/html", "Accept-Language": lang})
    assert resp.status == 200, path
    assert "Accept-Language" in resp.headers["Vary"]
    return await resp.text()


async def test_home_says_what_the_network_is_and_what_comes_next(site: TestClient) -> None:
    site.app[SETTINGS].charter_html = "<p>We share <strong>without judging</strong>.</p>"
    html = await _page(site, "/")
    assert "A network of the social and solidarity economy" in html  # no description yet: a default one
    assert '<h2 id="charter-title">Our charter</h2>' in html and "<strong>without judging</strong>" in html
    assert '<code class="handle" id="handle">@reseau@node.test</code>' in html
    assert 'data-copy="@reseau@node.test"' in html and "How to follow from your server" in html
    upcoming = html.index('id="upcoming-title"')
    assert html.index(f"{BASE}/journeys/{JOURNEY_SLUG}") > upcoming
    assert f"{BASE}/journeys/{PAST_JOURNEY_SLUG}\"" not in html[upcoming:html.index('id="practices-title"')]
    assert f'<a href="{BASE}/practices/{PRACTICE_SLUG}">A consumers&#39; cooperative' in html  # English asked
    assert f'<a href="{BASE}/outcomes/{OUTCOME_SLUG}">' in html
    assert "Our charter" not in await _page(site, "/?lang=fr")  # the French page has its own words
    assert "Notre charte" in await _page(site, "/?lang=fr")


async def test_library_lists_practices_in_the_reader_language(site: TestClient) -> None:
    html = await _page(site, "/practices", "fr")
    assert "<h2 id=\"results-title\">3 pratiques</h2>" in html
    assert "Une coopérative de consommateurs" in html
    html = await _page(site, "/practices", "en")
    assert "A consumers&#39; cooperative buying directly from producers" in html
    assert '<a href="/practices?theme=fair-trade">#fair-trade</a>' in html
    assert '<a href="/search">Search the network</a>' in html


@pytest.mark.parametrize(("query", "slugs"), [
    ("theme=fair-trade", {PRACTICE_SLUG}),
    ("theme=commons", {"grupos-compra-solidaria", "feuille-de-route-50-ans"}),
    ("language=es", {"grupos-compra-solidaria"}),
    ("node=node.test", {PRACTICE_SLUG, "grupos-compra-solidaria", "feuille-de-route-50-ans"}),
    ("node=elsewhere.example", set()),
    ("territory=Morlaix", {"feuille-de-route-50-ans"}),
    ("territory=rimouski&theme=fair-trade", {PRACTICE_SLUG}),
    ("territory=rimouski&theme=commons", set()),
    ("theme=%3Cscript%3E", set()),
    ("language=nonsense%20tag&page=-3&node=", {PRACTICE_SLUG, "grupos-compra-solidaria", "feuille-de-route-50-ans"}),
])
async def test_library_filters(site: TestClient, query: str, slugs: set[str]) -> None:
    html = await _page(site, f"/practices?{query}")
    found = {s for s in (PRACTICE_SLUG, "grupos-compra-solidaria", "feuille-de-route-50-ans")
             if f'href="{BASE}/practices/{s}"' in html}
    assert found == slugs
    if not slugs:
        assert "No practice matches these filters." in html


async def test_library_pages_through_many_practices(site: TestClient) -> None:
    for n in range(25):
        await publish_practice(site.app, f"extra-{n:02d}", title=f"Extra {n:02d}")
    first = await _page(site, "/practices?theme=social-currency")
    assert "25 practices" in first and "Extra 24" in first and "Extra 04" not in first
    assert 'href="/practices?theme=social-currency&amp;page=2" rel="next"' in first
    second = await _page(site, "/practices?theme=social-currency&page=2")
    assert "Extra 04" in second and 'rel="prev"' in second and 'rel="next"' not in second


async def test_calendar_splits_upcoming_and_past(site: TestClient) -> None:
    html = await _page(site, "/journeys", "fr")
    upcoming, past = html.index('id="upcoming-title"'), html.index('id="past-title"')
    assert upcoming < html.index(f'{BASE}/journeys/{JOURNEY_SLUG}"') < past
    assert html.index(f'{BASE}/journeys/{PAST_JOURNEY_SLUG}"') > past
    assert f'<a href="/journeys/{JOURNEY_SLUG}.ics" type="text/calendar"' in html
    assert '<a href="/journeys.ics" type="text/calendar" class="button">S’abonner à l’agenda (.ics)</a>' in html
    assert "(Europe/Paris)" in html
    ics = await site.get(f"/journeys/{JOURNEY_SLUG}.ics")
    assert ics.status == 200 and "BEGIN:VEVENT" in await ics.text()


async def test_outcomes_name_their_journey(site: TestClient) -> None:
    html = await _page(site, "/outcomes", "fr")
    assert "1 compte rendu" in html
    assert f'<a href="{BASE}/outcomes/{OUTCOME_SLUG}">Bilan du voyage apprenant européen</a>' in html
    assert f'Compte rendu du voyage <a href="{BASE}/journeys/{PAST_JOURNEY_SLUG}">' in html


async def test_profiles_show_the_handle_and_how_to_follow(site: TestClient) -> None:
    html = await _page(site, "/users/reseau", "es")
    assert '<code class="handle" id="handle">@reseau@node.test</code>' in html
    assert "Cómo seguir desde su servidor" in html and "Publicado aquí" in html
    assert f'{BASE}/outcomes/{OUTCOME_SLUG}"' in html
    html = await _page(site, "/users/admin", "en")
    assert "@admin@node.test" in html and "Written by" in html


async def _insert_peer_practice(client: TestClient) -> None:
    """A peer's practice as node/remote_content.py stores it, in Spanish only."""
    now = clock.iso()
    async with client.app[DB].transaction() as tx:
        await tx.execute(
            "INSERT INTO remote_content (iri, kind, as_type, origin, attributed_to, url, default_lang, fields,"
            " published_at, received_at, refreshed_at) VALUES (?, 'practice', 'Article', 'peer.example', ?, ?, 'es',"
            " ?, ?, ?, ?)",
            ("https://peer.example/p/1", "https://peer.example/u/ana", "https://peer.example/p/1",
             json.dumps({"location": {"type": "Place", "name": "Valparaíso"}}), now, now, now))
        cid = await tx.fetch_value("SELECT id FROM remote_content WHERE iri = 'https://peer.example/p/1'")
        await tx.execute("INSERT INTO remote_translations VALUES (?, 'es', 'Moneda social del puerto', 'Resumen', '')",
                         (cid,))
        await tx.execute("INSERT INTO remote_tags VALUES (?, 'social-currency')", (cid,))


async def test_peers_items_are_in_the_library_with_their_origin(site: TestClient) -> None:
    await _insert_peer_practice(site)
    html = await _page(site, "/practices?node=peer.example", "en")
    cid = await site.app[DB].fetch_value("SELECT id FROM remote_content WHERE iri = 'https://peer.example/p/1'")
    assert f'<a href="/remote/{cid}">Moneda social del puerto</a>' in html  # its page here, which links the origin
    assert "from peer.example" in html and "Valparaíso" in html and "1 practice<" in html
    assert '<option value="peer.example" selected>peer.example</option>' in html


async def _queries(client: TestClient, path: str) -> int:
    db = client.app[DB]
    count = 0
    originals = {name: getattr(db, name) for name in ("fetch_one", "fetch_all", "fetch_value")}

    def counting(method: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            return await method(*args, **kwargs)
        return wrapper

    for name, method in originals.items():
        setattr(db, name, counting(method))
    try:
        await _page(client, path)
    finally:
        for name in originals:
            delattr(db, name)
    return count


@pytest.mark.parametrize("path", ["/", "/practices", "/journeys", "/outcomes", "/users/reseau"])
async def test_list_pages_cost_no_more_queries_when_longer(site: TestClient, path: str) -> None:
    await _insert_peer_practice(site)
    before = await _queries(site, path)
    for n in range(8):
        await publish_practice(site.app, f"more-{n}", title=f"More {n}")
    assert await _queries(site, path) <= before <= 20  # a few per list (rows, texts, themes), never one per item
