"""Issue 20's desk forms in a real browser, without JavaScript doing anything for them: a journey's
mistakes all shown at once, a draft saved and found again on the desk, the preview drawn by the page
template, then published; each page audited by axe-core (WCAG 2.1 AA)."""

import re

import pytest
from playwright.async_api import Page

from .audit import describe, violations
from .conftest import ADMIN, PASSWORD, Site, Watch

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _audited(tab: Page) -> None:
    broken = await violations(tab)
    assert not broken, describe(broken)


async def test_errors_drafts_and_preview_from_the_browser(site: Site, page: tuple[Page, Watch]) -> None:
    tab, _watch = page
    await tab.goto(site.url("/login"))
    await tab.get_by_label("User name").fill(ADMIN)
    await tab.get_by_label("Password").fill(PASSWORD)
    await tab.get_by_role("button", name="Log in").click()
    await tab.wait_for_url("**/desk")

    # A journey sent with its title only: every missing part flagged in one submit.
    await tab.goto(site.url("/desk/new/journey?lang=en"))
    await tab.locator("#f-title").fill("Visit of the repair cafés")
    await tab.locator("#f-timezone").fill("Mars/Olympus")
    await tab.locator("#f-capacity").fill("")
    await tab.locator('button[name="action"][value="publish"]').click()
    await tab.wait_for_load_state("load")
    flagged = await tab.locator(".field-error").count()
    assert flagged >= 3, await tab.locator(".field-error").all_inner_texts()
    await _audited(tab)

    # A practice half written, saved as a draft: nothing published, found again on the desk.
    await tab.goto(site.url("/desk/new/practice?lang=en"))
    await tab.locator("#f-lang").select_option("en")
    await tab.locator("#f-title").fill("Tool libraries in three towns")
    await tab.locator("#f-needs").fill("Lend what people rarely use.")
    await tab.locator('button[name="action"][value="save_draft"]').click()
    await tab.wait_for_url(re.compile(r"/desk/drafts/\d+$"))
    assert await tab.locator("#f-needs").input_value() == "Lend what people rarely use."
    await _audited(tab)
    await tab.goto(site.url("/desk"))
    await _audited(tab)  # the desk with its drafts (a confirm box and a button each)
    await tab.get_by_role("link", name="Tool libraries in three towns").click()
    await tab.wait_for_url(re.compile(r"/desk/drafts/\d+$"))
    await _audited(tab)

    # Finished and previewed: the page's own sections, then published; the draft is gone.
    await tab.locator("#f-summary").fill("Three towns lend tools instead of selling them.")
    await tab.locator('button[name="action"][value="preview"]').click()
    await tab.wait_for_load_state("load")
    preview = tab.locator("section.preview")
    assert await preview.locator("#needs").is_visible()
    assert "Lend what people rarely use." in await preview.inner_text()
    await _audited(tab)
    await tab.locator('button[name="action"][value="publish"]').click()
    await tab.wait_for_url(re.compile(r"/desk\?published="))
    assert await tab.locator("#drafts").count() == 0
