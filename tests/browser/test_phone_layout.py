"""Issue 20 (Look). On a 390×844 phone, without JavaScript: the header and the desk's menu leave the
desk form in the first screen (they took 342 px before it), and the menus, one line each that scrolls
sideways, still reach every link from the keyboard, each shown when it has the focus. On a wide screen,
an item's When/Where/Join/Follow fill the right column beside its text."""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from .conftest import ADMIN, PASSWORD, Site, _tab
from .test_admin_users import log_in

pytestmark = pytest.mark.asyncio(loop_scope="module")
WIDTH, HEIGHT = 390, 844
MENUS = ["/practices", "/journeys", "/outcomes", "/peers", "/search"]
DESK = ["/desk", "/desk/new/practice", "/desk/new/journey", "/desk/new/outcome", "/desk/media", "/desk/share",
        "/desk/comments", "/admin", "/account/profile", "/account/password"]
FOCUSED = """() => { const e = document.activeElement; const r = e.getBoundingClientRect();
  const shown = Math.min(r.right, window.innerWidth) - Math.max(r.left, 0);
  return {href: e.getAttribute("href"), rect: [r.left, r.right, r.top, r.bottom], form: e.closest('main form') !== null,
          inside: shown >= Math.min(r.width, 48) && r.top >= 0 && r.bottom <= window.innerHeight}; }"""


@pytest_asyncio.fixture(loop_scope="module")
async def phone_no_js(browser: Browser) -> AsyncIterator[Page]:
    async with _tab(browser, viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, has_touch=True,
                    java_script_enabled=False) as (tab, watch):
        yield tab
        watch.assert_clean()


async def _reached(tab: Page, limit: int = 60) -> list[str]:
    """The links the keyboard reaches before the page's form, each checked to be on screen when focused
    (whole, or enough of it: Chromium scrolls a menu sideways only to show a link less than 32 px of which
    is in view, here within its `scroll-padding`)."""
    found: list[str] = []
    await tab.locator("body").focus()
    for _ in range(limit):
        await tab.keyboard.press("Tab")
        focused = await tab.evaluate(FOCUSED)
        if focused["form"]:
            return found
        assert focused["inside"], f"{focused['href']} has the focus but is off screen: {focused['rect']}"
        if focused["href"]:
            found.append(focused["href"])
    return found


async def test_the_desk_form_starts_in_the_first_screen(site: Site, phone_no_js: Page) -> None:
    tab = phone_no_js
    await log_in(tab, site, ADMIN, PASSWORD)
    await tab.wait_for_url("**/desk")
    await tab.goto(site.url("/desk/new/practice?lang=en"))
    main = await tab.locator("main").bounding_box()
    field = await tab.locator("main form :is(input, select, textarea):visible").first.bounding_box()
    assert main is not None and field is not None
    assert main["y"] <= 160, f"header and desk menu take {main['y']} px"
    assert field["y"] + field["height"] < HEIGHT / 2
    assert await tab.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    reached = await _reached(tab)
    assert [h for h in reached if h in MENUS] == MENUS
    assert [h for h in reached if h in DESK] == DESK
    assert await tab.get_by_role("button", name="Log out").is_visible()


async def test_the_phone_menu_reaches_search(site: Site, phone_no_js: Page) -> None:
    tab = phone_no_js
    await tab.goto(site.url("/practices"))
    assert not await tab.locator("#site-search").is_visible()  # the header's form is a link on a phone
    await tab.locator("nav.primary").get_by_role("link", name="Search").click()
    await tab.wait_for_url("**/search")
    assert await tab.locator("main form input[name=q]").is_visible()
    assert await tab.locator("nav.langs").get_by_role("link", name="Français").is_visible()


async def test_a_wide_screen_puts_when_where_join_and_follow_beside_the_text(site: Site, browser: Browser) -> None:
    async with _tab(browser, viewport={"width": 1280, "height": 900}) as (tab, watch):
        await tab.goto(site.url("/journeys"))
        await tab.locator("ul.cards h3 a").first.click()
        await tab.wait_for_load_state("load")
        side = await tab.locator(".item-side").bounding_box()
        text = await tab.locator(".item-body").bounding_box()
        assert side is not None and text is not None
        assert side["x"] >= text["x"] + text["width"] and side["y"] < 300  # the right column, from the top
        for part in ("#when", "#where", "#participation", "#follow"):
            assert await tab.locator(f".item-side {part}").is_visible(), part
        watch.assert_clean()
