"""A visitor without an account, in a real Chromium: the home page, the library and its filters, a
practice in two languages, a journey and its .ics, an outcome, a profile and its copy button, the
language switcher, the keyboard, a phone's width, no JavaScript, and an error page. Every page must
load without a console error, an uncaught exception or a failed request. Screenshots of the main
pages go to tests/browser/artifacts/ (git-ignored) for people to look at."""

from types import SimpleNamespace

import pytest
from playwright.async_api import Page

from node import remote_content
from node.appkeys import DB
from tests.node.test_remote_content import peer_object
from tests.support.showcase import JOURNEY_SLUG, OUTCOME_SLUG, PAST_JOURNEY_SLUG, PRACTICE_SLUG

from .conftest import Site, Watch, screenshot

pytestmark = pytest.mark.asyncio(loop_scope="module")

NO_OVERFLOW = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
FOCUS_STYLE = """() => { const el = document.activeElement; const s = getComputedStyle(el);
  return {tag: el.tagName, text: (el.textContent || '').trim().slice(0, 40), outline: s.outlineStyle,
          width: parseFloat(s.outlineWidth), color: s.outlineColor}; }"""


async def _open(page: Page, site: Site, path: str) -> None:
    response = await page.goto(site.url(path))
    assert response is not None and response.status == 200, path
    await page.wait_for_load_state("load")


async def test_main_pages_render_without_errors(site: Site, page: tuple[Page, Watch]) -> None:
    tab, watch = page
    await _open(tab, site, "/")
    assert await tab.locator("html").get_attribute("lang") == "en"
    assert await tab.locator("h1").inner_text() == "Réseau des territoires solidaires"
    assert await tab.locator("#upcoming-title + ul, .block-head + ul").first.is_visible()
    await screenshot(tab, "home")

    await tab.get_by_role("link", name="Practices", exact=True).first.click()
    await tab.wait_for_url("**/practices")
    assert "3 practices" in await tab.locator("#results-title").inner_text()
    await screenshot(tab, "library")

    await tab.get_by_role("link", name="A consumers' cooperative buying directly from producers").click()
    await tab.wait_for_url(f"**/practices/{PRACTICE_SLUG}")
    assert await tab.locator("hgroup").get_attribute("lang") == "en"
    await screenshot(tab, "practice-en")
    await tab.locator("nav.translations").get_by_role("link", name="Français").click()
    await tab.wait_for_url(f"**/practices/{PRACTICE_SLUG}?lang=fr")
    assert "Une coopérative de consommateurs" in await tab.locator("h1").inner_text()
    assert await tab.locator("hgroup").get_attribute("lang") == "fr"
    assert await tab.locator("html").get_attribute("lang") == "en"  # reading in French: the interface stays
    await screenshot(tab, "practice-fr")

    await _open(tab, site, "/journeys")
    assert await tab.locator(f'a[href$="/journeys/{JOURNEY_SLUG}.ics"]').count() >= 1
    await screenshot(tab, "calendar")
    await tab.get_by_role("link", name="Voyage apprenant européen : circuits courts et monnaies locales").click()
    await tab.wait_for_url(f"**/journeys/{JOURNEY_SLUG}")
    ics_link = tab.locator('#when a[type="text/calendar"]')
    ics = await tab.request.get(site.url(await ics_link.get_attribute("href") or ""))
    assert ics.ok and ics.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in await ics.text()
    await screenshot(tab, "journey")

    await _open(tab, site, "/outcomes")
    await screenshot(tab, "outcomes")
    await tab.get_by_role("link", name="Bilan du voyage apprenant européen").click()
    await tab.wait_for_url(f"**/outcomes/{OUTCOME_SLUG}")
    assert await tab.locator(f'#journey a[href$="/journeys/{PAST_JOURNEY_SLUG}"]').count() == 1
    await screenshot(tab, "outcome")

    await _open(tab, site, "/users/reseau")
    await screenshot(tab, "profile")
    watch.assert_clean()


async def test_library_filters_work_without_javascript(site: Site, browser_no_js: Page) -> None:
    tab = browser_no_js
    await _open(tab, site, "/practices")
    assert await tab.locator("button.copy").count() == 0 or not await tab.locator("button.copy").is_visible()
    await tab.get_by_label("Theme", exact=True).select_option("fair-trade")
    await tab.get_by_role("button", name="Filter").click()
    await tab.wait_for_url("**/practices?theme=fair-trade*")
    assert "1 practice" in await tab.locator("#results-title").inner_text()
    await tab.get_by_label("Territory", exact=True).fill("Morlaix")
    await tab.get_by_label("Theme", exact=True).select_option("")
    await tab.get_by_role("button", name="Filter").click()
    assert await tab.locator("ul.cards > li").count() == 1
    assert "feuille de route" in (await tab.locator("ul.cards h3").inner_text()).lower()
    await _open(tab, site, "/")
    assert not await tab.locator("button.copy").is_visible()  # no script, no button that does nothing
    assert await tab.locator("code.handle").first.is_visible()


async def test_copy_button_and_follow_instructions(site: Site, page: tuple[Page, Watch]) -> None:
    tab, watch = page
    await tab.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    await _open(tab, site, "/users/reseau")
    button = tab.locator("button.copy")
    assert await button.is_visible()
    await button.click()
    await tab.wait_for_function("() => document.querySelector('button.copy').textContent === 'Copied'")
    assert await tab.evaluate("navigator.clipboard.readText()") == f"@reseau@{site.base.split('://')[1]}"
    await tab.locator("details.how-to-follow summary").click()
    assert await tab.get_by_text("paste it into the search box").is_visible()
    watch.assert_clean()


async def test_language_switcher_changes_the_page_language(site: Site, page: tuple[Page, Watch]) -> None:
    tab, watch = page
    await _open(tab, site, "/practices?theme=commons")
    assert await tab.locator("html").get_attribute("lang") == "en"
    await tab.locator("nav.langs").get_by_role("link", name="Español").click()
    await tab.wait_for_function("() => document.documentElement.lang === 'es'")
    assert "theme=commons" in tab.url  # the filters stay
    assert await tab.locator("h1").inner_text() == "Biblioteca de prácticas"
    await screenshot(tab, "library-es")
    await _open(tab, site, "/journeys")  # remembered: no ?lang= any more
    assert await tab.locator("html").get_attribute("lang") == "es"
    await tab.locator("nav.langs").get_by_role("link", name="Français").click()
    await tab.wait_for_function("() => document.documentElement.lang === 'fr'")
    assert await tab.locator("h1").inner_text() == "Voyages apprenants"
    assert await tab.locator("nav.langs [aria-current]").inner_text() == "Français"
    watch.assert_clean()


async def test_keyboard_reaches_everything_with_a_visible_focus(site: Site, page: tuple[Page, Watch]) -> None:
    tab, watch = page
    await _open(tab, site, "/")
    await tab.keyboard.press("Tab")
    focused = await tab.evaluate(FOCUS_STYLE)
    assert focused["text"] == "Skip to content" and focused["outline"] == "solid" and focused["width"] >= 2
    assert await tab.locator("a.skip").is_visible()
    await tab.keyboard.press("Enter")
    assert await tab.evaluate("document.activeElement.id") == "main"
    await tab.keyboard.press("Tab")
    focused = await tab.evaluate(FOCUS_STYLE)
    assert focused["outline"] == "solid" and focused["width"] >= 2, focused  # the first link of the content
    await screenshot(tab, "focus", full_page=False)
    seen = set()
    for _ in range(80):  # every stop of the tab order, to the end of the page, shows its focus
        await tab.keyboard.press("Tab")
        focused = await tab.evaluate(FOCUS_STYLE)
        if focused["tag"] == "BODY":  # past the last control
            break
        seen.add(focused["tag"])
        assert focused["outline"] == "solid" and focused["width"] >= 2, focused
    assert {"A", "BUTTON", "SUMMARY"} <= seen
    watch.assert_clean()


@pytest.mark.parametrize("path", ["/", "/practices", "/journeys", "/outcomes", f"/practices/{PRACTICE_SLUG}",
                                  f"/journeys/{JOURNEY_SLUG}", f"/outcomes/{OUTCOME_SLUG}", "/users/reseau",
                                  "/search?q=cooperative", "/peers"])
async def test_phone_width_has_no_sideways_scroll(site: Site, phone: tuple[Page, Watch], path: str) -> None:
    tab, watch = phone
    await _open(tab, site, path)
    assert await tab.evaluate(NO_OVERFLOW), f"{path} scrolls sideways at 320 px"
    if path in ("/", "/practices", f"/journeys/{JOURNEY_SLUG}"):
        await screenshot(tab, f"phone-{path.strip('/').split('/')[0] or 'home'}", full_page=False)
    watch.assert_clean()


async def test_error_page_in_the_visitor_language(site: Site, page: tuple[Page, Watch]) -> None:
    tab, watch = page
    watch.allowed_statuses.add(404)
    response = await tab.goto(site.url("/no/such/page?lang=es"))
    assert response is not None and response.status == 404
    assert await tab.locator("html").get_attribute("lang") == "es"
    assert await tab.locator("h1").inner_text() == "Página no encontrada"
    await screenshot(tab, "error-404")
    watch.assert_clean()


async def test_a_peers_practice_is_read_here(site: Site, page: tuple[Page, Watch], phone: tuple[Page, Watch]) -> None:
    """A peer's practice the node holds: from the library to its page here, in the reader's language, with
    the way to its original page; no request leaves the node (its image is left out: no network here)."""
    peer = SimpleNamespace(base="https://peer.example", actor_iri=lambda name: f"https://peer.example/u/{name}")
    document = peer_object(peer, "practice", slug="luciole")  # type: ignore[arg-type]
    document.pop("attachment", None)
    async with site.app[DB].transaction() as tx:
        assert await remote_content.store(tx, document)
        content_id = await tx.fetch_value("SELECT id FROM remote_content WHERE iri = ?", (document["id"],))
    tab, watch = page
    await _open(tab, site, "/practices?lang=en")
    await tab.get_by_role("link", name="The Luciole").click()
    await tab.wait_for_url(f"**/remote/{content_id}")
    assert await tab.locator("h1").inner_text() == "The Luciole"
    assert await tab.get_by_role("link", name="Read it on its node").get_attribute("href") == document["url"]
    await tab.locator("nav.translations").get_by_role("link", name="Français").click()
    await tab.wait_for_url(f"**/remote/{content_id}?lang=fr")
    assert await tab.locator("h1").inner_text() == "La Luciole"
    assert await tab.locator("html").get_attribute("lang") == "en"  # reading in French: the interface stays
    await screenshot(tab, "peer-practice")
    watch.assert_clean()
    small, small_watch = phone
    await _open(small, site, f"/remote/{content_id}")
    assert await small.evaluate(NO_OVERFLOW), "a peer's practice scrolls sideways at 320 px"
    small_watch.assert_clean()
